// Fixtures for the generated scripts: a copy of the example as a git work tree with a real bare
// remote, and runners for deploy.sh and dashboard.sh.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { copyExample, PROJECT_ROOT } from "../support/example.ts";

export const TOOLS_BIN = path.join(PROJECT_ROOT, ".tools", "bin");
export const inCI = Boolean(process.env.CI);

/** PATH without the flux CLI (the system one), and with the one `npm run tools` builds. */
export const PATH_WITHOUT_FLUX = process.env
  .PATH!.split(":")
  .filter((dir) => !existsSync(path.join(dir, "flux")))
  .join(":");
export const PATH_WITH_FLUX = `${TOOLS_BIN}:${PATH_WITHOUT_FLUX}`;

// A HOME of its own: no user git config (commit signing, hooks) or kubectl cache leaks in.
const HOME = mkdtempSync(path.join(os.tmpdir(), "scripts-home-"));

export interface GitFixture {
  /** The work tree (a copy of examples/homelab unless given) with `main` tracking origin/main. */
  work: string;
  /** The bare remote. */
  remote: string;
  git(args: string[], cwd?: string): Promise<string>;
  /** `git` in the bare remote. */
  remoteGit(args: string[]): Promise<string>;
  /** Commits on the remote's main, newest first. */
  remoteLog(): Promise<string[]>;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

/** `work` (by default a copy of the example) as a git work tree whose `main` tracks a bare remote. */
export async function gitFixture(work = copyExample()): Promise<GitFixture> {
  const remote = path.join(mkdtempSync(path.join(os.tmpdir(), "deploy-remote-")), "homelab.git");
  const git = async (args: string[], cwd = work) =>
    (await execa("git", args, { cwd, env: { ...GIT_ENV, HOME } })).stdout;
  await git(["init", "--quiet", "--bare", "--initial-branch=main", remote], os.tmpdir());
  await git(["init", "--quiet", "--initial-branch=main"]);
  await git(["add", "--all"]);
  await git(["commit", "--quiet", "-m", "homelab"]);
  await git(["remote", "add", "origin", remote]);
  await git(["push", "--quiet", "--set-upstream", "origin", "main"]);
  const remoteGit = (args: string[]) => git(["--git-dir", remote, ...args], os.tmpdir());
  return {
    work,
    remote,
    git,
    remoteGit,
    remoteLog: async () => (await remoteGit(["log", "--format=%H %s", "main"])).split("\n"),
  };
}

/** Everything a run could change: files, index, refs (remote-tracking ones too), HEAD. */
export async function gitSnapshot(fixture: GitFixture): Promise<string> {
  const { stdout } = await execa(
    "bash",
    [
      "-c",
      "git status --porcelain=v2 --untracked-files=all; git for-each-ref; git rev-parse HEAD; git diff; git diff --cached; find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum",
    ],
    { cwd: fixture.work },
  );
  return `${stdout}\nremote:\n${await fixture.remoteGit(["for-each-ref"])}`;
}

export interface ScriptRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<ScriptRun> {
  const result = await execa(script, args, {
    reject: false,
    stdin: "ignore",
    env: { PATH: PATH_WITHOUT_FLUX, HOME, KUBECONFIG: "/nonexistent", NO_COLOR: "1", ...GIT_ENV, ...env },
    extendEnv: false,
    timeout: 240_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A directory to put first on PATH whose `kubectl` counts its calls into `file`. */
export function countingKubectl(): { dir: string; calls(): Promise<number> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "counting-kubectl-"));
  const log = path.join(dir, "calls.log");
  const real = process.env
    .PATH!.split(":")
    .map((d) => path.join(d, "kubectl"))
    .find((p) => existsSync(p));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, "kubectl"),
    `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >>'${log}'\nexec '${real}' "$@"\n`,
  );
  chmodSync(path.join(dir, "kubectl"), 0o755);
  return {
    dir,
    calls: async () => (existsSync(log) ? (await execa("cat", [log])).stdout.split("\n").filter(Boolean).length : 0),
  };
}

/** Loud skip locally, failure in CI: a missing prerequisite must not pass silently there. */
export function warnSkipping(what: string, why: string): void {
  console.warn(["", "!".repeat(72), `!! SKIPPING ${what}: ${why}`, "!".repeat(72), ""].join("\n"));
}
