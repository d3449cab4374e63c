// deploy.sh's validation and git paths against a real bare remote; no cluster (--offline, or none reachable).
import { appendFileSync, chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { EXAMPLE_NAMESPACES } from "../support/example.ts";
import { gitFixture, gitSnapshot, PATH_WITH_FLUX, PATH_WITHOUT_FLUX, runScript, type GitFixture } from "./support.ts";

const MEDIA = "applications/media";

let repo: GitFixture;
beforeEach(async () => {
  repo = await gitFixture();
});

// With the flux CLI `npm run tools` builds: it substitutes postBuild variables.
const deploy = (ns: string, args: string[], env: Record<string, string> = {}) =>
  runScript(path.join(repo.work, ns, "deploy.sh"), args, { PATH: PATH_WITH_FLUX, ...env });
const edit = (file: string, text: string) => appendFileSync(path.join(repo.work, file), text);

/** Files the newest remote commit touches. */
async function remoteChangedFiles(): Promise<string[]> {
  return (await repo.remoteGit(["show", "--format=", "--name-only", "main"])).split("\n").filter(Boolean);
}

describe("deploy.sh: git", () => {
  it("commits and pushes only the namespace folder, leaving other staged, modified and new files alone", async () => {
    edit(`${MEDIA}/base/namespace.yaml`, "# deployed\n");
    writeFileSync(path.join(repo.work, `${MEDIA}/base/new-note.yaml`), "# new file in the namespace\n");
    edit("infrastructure/monitoring/base/namespace.yaml", "# staged elsewhere\n");
    await repo.git(["add", "infrastructure/monitoring/base/namespace.yaml"]);
    edit("clusters/homelab/apps.yaml", "# modified elsewhere\n");
    writeFileSync(path.join(repo.work, "untracked.txt"), "not mine\n");
    const before = await repo.remoteLog();

    const run = await deploy(MEDIA, ["--offline", "-m", "media: tweak namespace"]);

    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    const after = await repo.remoteLog();
    expect(after.length).toBe(before.length + 1);
    expect(after[0]).toMatch(/ media: tweak namespace$/);
    expect(await remoteChangedFiles()).toEqual([`${MEDIA}/base/namespace.yaml`, `${MEDIA}/base/new-note.yaml`]);
    const status = await repo.git(["status", "--porcelain"]);
    expect(status.split("\n").sort()).toEqual([
      " M clusters/homelab/apps.yaml",
      "?? untracked.txt",
      "M  infrastructure/monitoring/base/namespace.yaml",
    ]);
    expect(run.stdout).toContain("--offline");
  });

  it("refuses a detached HEAD", async () => {
    edit(`${MEDIA}/base/namespace.yaml`, "# change\n");
    await repo.git(["checkout", "--quiet", "--detach"]);
    const before = await gitSnapshot(repo);
    const run = await deploy(MEDIA, ["--offline"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/HEAD is detached/);
    expect(await gitSnapshot(repo)).toBe(before);
  });

  it("refuses a branch behind its upstream, without fetching", async () => {
    const other = path.join(path.dirname(repo.remote), "other");
    await repo.git(["clone", "--quiet", repo.remote, other], path.dirname(repo.remote));
    appendFileSync(path.join(other, "README.md"), "someone else\n");
    await repo.git(["add", "README.md"], other);
    await repo.git(["commit", "--quiet", "-m", "someone else"], other);
    await repo.git(["push", "--quiet"], other);
    edit(`${MEDIA}/base/namespace.yaml`, "# change\n");
    const before = await gitSnapshot(repo);
    const run = await deploy(MEDIA, ["--offline"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/behind origin\/main: `git pull --rebase` first/);
    expect(await gitSnapshot(repo)).toBe(before);
  });

  it("reports a push the remote rejects, and the remote keeps its history", async () => {
    const hook = path.join(repo.remote, "hooks", "pre-receive");
    writeFileSync(hook, "#!/bin/sh\necho 'pushes are frozen' >&2\nexit 1\n");
    chmodSync(hook, 0o755);
    edit(`${MEDIA}/base/namespace.yaml`, "# change\n");
    const before = await repo.remoteLog();
    const run = await deploy(MEDIA, ["--offline", "-m", "blocked"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/git push to origin\/main was rejected/);
    expect(run.stderr).toContain("pushes are frozen");
    expect(await repo.remoteLog()).toEqual(before);
  });

  it("refuses an upstream branch Flux does not track, unless --branch-ok", async () => {
    await repo.git(["checkout", "--quiet", "-b", "feature"]);
    await repo.git(["push", "--quiet", "--set-upstream", "origin", "feature"]);
    edit(`${MEDIA}/base/namespace.yaml`, "# change\n");
    const refused = await deploy(MEDIA, ["--offline"]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/push to origin\/feature, but Flux tracks main/);
    const allowed = await deploy(MEDIA, ["--offline", "--branch-ok", "-m", "on feature"]);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(await repo.remoteGit(["log", "-1", "--format=%s", "feature"])).toBe("on feature");
    expect(await repo.remoteGit(["log", "-1", "--format=%s", "main"])).toBe("homelab");
  });

  it("refuses to push unpushed commits outside the namespace folder", async () => {
    edit("clusters/homelab/apps.yaml", "# elsewhere\n");
    await repo.git(["commit", "--quiet", "-am", "elsewhere"]);
    edit(`${MEDIA}/base/namespace.yaml`, "# change\n");
    const run = await deploy(MEDIA, ["--offline"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/unpushed commits outside applications\/media \(e\.g\. clusters\/homelab\/apps\.yaml\)/);
  });

  it("says there is nothing to deploy when the folder is clean and pushed", async () => {
    const run = await deploy(MEDIA, ["--offline"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/Nothing to deploy/);
  });

  it("refuses an unreachable cluster unless --offline, before touching git", async () => {
    edit(`${MEDIA}/base/namespace.yaml`, "# change\n");
    const before = await gitSnapshot(repo);
    const run = await deploy(MEDIA, []);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/cannot reach the cluster .*use --offline/);
    expect(await gitSnapshot(repo)).toBe(before);
  });
});

describe("deploy.sh: validation", () => {
  it.each(EXAMPLE_NAMESPACES)("%s: --dry-run validates and changes nothing", async (ns) => {
    edit(`${ns}/base/namespace.yaml`, "# change\n");
    edit("clusters/homelab/apps.yaml", "# unrelated\n");
    const before = await gitSnapshot(repo);
    const run = await deploy(ns, ["--dry-run", "--offline", "-m", "try"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Dry run: nothing was changed/);
    expect(run.stdout).toContain(`M ${ns}/base/namespace.yaml`);
    expect(run.stdout).not.toContain("clusters/homelab/apps.yaml");
    expect(await gitSnapshot(repo)).toBe(before);
  });

  it.each([
    ["invalid YAML", "base/namespace.yaml", "  bad: [\n"],
    ["a variable defined nowhere", "base/homepage/configmap.yaml", "  nope: ${NOT_DEFINED_ANYWHERE}\n"],
  ])("a broken manifest (%s) never reaches the remote", async (_, file, text) => {
    edit(`${MEDIA}/${file}`, text);
    const before = await gitSnapshot(repo);
    const run = await deploy(MEDIA, ["--offline", "-m", "broken"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/deploy.sh: (kustomize build|postBuild substitution) of overlays\/prod failed/);
    expect(await gitSnapshot(repo)).toBe(before);
  });

  it("substitutes with Flux's own code: defaults, $$ escapes, quotes, and objects annotated substitute: disabled left alone", async () => {
    edit(
      `${MEDIA}/base/homepage/configmap.yaml`,
      '  escaped: "$${NOT_SUBSTITUTED}"\n  fallback: ${UNSET_WITH_DEFAULT:=ok}\n  quoted: ${quote}x${quote}\n',
    );
    // Strict substitution fails on ${NOT_DEFINED_ANYWHERE} unless Flux leaves the object alone.
    const kept =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  script: echo ${NOT_DEFINED_ANYWHERE}\n";
    writeFileSync(path.join(repo.work, MEDIA, "base/kept.yaml"), kept);
    edit(`${MEDIA}/base/kustomization.yaml`, "  - kept.yaml\n");
    const run = await deploy(MEDIA, ["--dry-run", "--offline"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("postBuild substitution (flux build kustomization --dry-run --strict-substitute)");
  });

  it("without the flux CLI, refuses in one line a build with postBuild variables, and validates one without", async () => {
    edit(`${MEDIA}/base/namespace.yaml`, "# change\n");
    const refused = await deploy(MEDIA, ["--dry-run", "--offline"], { PATH: PATH_WITHOUT_FLUX });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toBe(
      "deploy.sh: flux is not installed: it substitutes the postBuild variables of overlays/prod as Flux does (https://fluxcd.io/flux/installation/#install-the-flux-cli)",
    );
    edit("infrastructure/monitoring/base/namespace.yaml", "# change\n");
    const validated = await deploy("infrastructure/monitoring", ["--dry-run", "--offline"], {
      PATH: PATH_WITHOUT_FLUX,
    });
    expect(validated.exitCode, validated.stderr).toBe(0);
  });

  it("validates, commits and pushes a folder no Flux Kustomization applies, and says so", async () => {
    const apps = path.join(repo.work, "clusters/homelab/infrastructure.yaml");
    writeFileSync(apps, readFileSync(apps, "utf8").split("---\n")[0]!);
    await repo.git(["commit", "--quiet", "-am", "observability leaves Flux"]);
    await repo.git(["push", "--quiet"]);
    await scaffold({
      folders: [path.join(repo.work, "infrastructure/observability")],
      cwd: repo.work,
      env: { KUBECONFIG: "/nonexistent" },
    });
    const script = readFileSync(path.join(repo.work, "infrastructure/observability/deploy.sh"), "utf8");
    expect(script).toContain('  "reconciled": [],\n');
    const run = await deploy("infrastructure/observability", ["--offline", "-m", "scripts without Flux"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/no Flux Kustomization applies infrastructure\/observability/);
    expect(await repo.remoteGit(["log", "-1", "--format=%s", "main"])).toBe("scripts without Flux");
  });

  it("explains itself and rejects unknown arguments", async () => {
    const help = await deploy(MEDIA, ["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(
      /flux reconcile kustomization --with-source, then wait .*\n.* for: flux-system\/media\./,
    );
    expect(help.stdout).toMatch(/--dry-run/);
    const bad = await deploy(MEDIA, ["--frobnicate"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe("deploy.sh: unknown argument: --frobnicate (see --help)");
  });
});
