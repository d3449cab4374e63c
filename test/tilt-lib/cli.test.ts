// `npx plop tilt-lib` as a user runs it: no TTY, answers on the command line.
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { copyExample, PROJECT_ROOT } from "../support/example.ts";
import { kustomize, snapshot } from "./support.ts";
import { generatorHelp } from "../../generators/options.ts";
import { TILT_LIB_GENERATOR } from "../../generators/tilt-lib.ts";

const PLOP = path.join(PROJECT_ROOT, "node_modules", ".bin", "plop");
// What .npmrc gives `npx plop` in the project; these runs start in copies outside it.
const TSX_LOADER = `--import ${pathToFileURL(path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href}`;

async function plop(cwd: string, args: string[]) {
  return execa(PLOP, ["--plopfile", path.join(PROJECT_ROOT, "plopfile.ts"), "tilt-lib", ...args], {
    cwd,
    reject: false,
    stdin: "ignore",
    timeout: 50_000,
    env: { KUBECONFIG: "/nonexistent", NO_COLOR: "1", NODE_OPTIONS: TSX_LOADER },
  });
}

describe("npx plop tilt-lib", () => {
  it("with no answer at all checks the embedded example without blocking, and finds it up to date", async () => {
    const run = await plop(PROJECT_ROOT, ["--", "--mode", "check"]);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/tilt-lib 1\.\d+\.\d+ in tilt-lib: \d+ unchanged in \d+ ms \(check: nothing written\)/);
  });

  it("writes the package into a folder relative to where it runs, and a second run writes nothing", async () => {
    const repo = copyExample();
    rmSync(path.join(repo, "tilt-lib"), { recursive: true });
    // Relative to where plop runs: applications/platform (deeper than the root needs git).
    await execa("git", ["init", "-q"], { cwd: repo });
    const nested = await plop(path.join(repo, "applications"), ["platform"]);
    expect(nested.exitCode, nested.stderr + nested.stdout).toBe(0);
    expect(readFileSync(path.join(repo, "applications/platform/tilt_lib.star"), "utf8")).toMatch(/^VERSION = /m);
    rmSync(path.join(repo, "applications/platform"), { recursive: true });
    rmSync(path.join(repo, ".git"), { recursive: true });
    const created = await plop(repo, [
      "tilt-lib",
      "--",
      "--namespaces",
      "coder,team-a",
      "--pin",
      "v1",
      "--repo-url",
      "https://git.example.com/homelab.git",
    ]);
    expect(created.exitCode, created.stderr + created.stdout).toBe(0);
    expect(created.stdout).toMatch(/written \(new\)\s+tilt-lib\/kustomization\.yaml/);
    expect(readFileSync(path.join(repo, "tilt-lib/argocd/application.yaml"), "utf8")).toContain(
      'repoURL: "https://git.example.com/homelab.git"',
    );
    const before = await snapshot(repo);
    const again = await plop(repo, ["--", "--dir", "tilt-lib"]);
    expect(again.exitCode, again.stderr).toBe(0);
    // 12 files, and the library and its pinned copy are 8 files each.
    expect(again.stdout).toMatch(/: 26 unchanged in/);
    expect(await snapshot(repo)).toBe(before);
    // Options after the folder, without --.
    const check = await plop(repo, ["tilt-lib", "--mode", "check", "--namespaces", "coder"]);
    expect(check.exitCode).not.toBe(0);
    // The table on stdout, saying what a write would do, then one short line after plop's ✖.
    expect(check.stdout).toMatch(/^would be written +tilt-lib\/kustomization\.yaml$/m);
    expect(check.stdout).not.toMatch(/^written/m);
    expect(check.stdout).toMatch(
      /✖ +write-plan the tilt-lib package is stale: tilt-lib 1\.\d+\.\d+ in tilt-lib: \d+ unchanged, \d+ would be written in \d+ ms \(check: nothing written\)$/m,
    );
    expect(Math.max(...(check.stdout + check.stderr).split("\n").map((line) => line.length))).toBeLessThan(160);
    expect(await snapshot(repo)).toBe(before);
  });

  it("writes the package in a plain git repository, taking the repository URL from origin", async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), "platform-tools-"));
    await execa("git", ["init", "-q"], { cwd: repo });
    await execa("git", ["remote", "add", "origin", "https://git.example.com/platform-tools.git"], { cwd: repo });
    const run = await plop(repo, ["tilt-lib"]);
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    const application = readFileSync(path.join(repo, "tilt-lib/argocd/application.yaml"), "utf8");
    expect(application).toContain('repoURL: "https://git.example.com/platform-tools.git"');
    expect(application).toContain('path: "tilt-lib"');
    expect((await kustomize(path.join(repo, "tilt-lib"))).docs.filter((d) => d.kind === "ConfigMap")).toHaveLength(2);
  });

  it("writes the package in an empty folder, which is the repository ArgoCD syncs", async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), "platform-tools-"));
    const missing = await plop(repo, ["tilt-lib"]);
    expect(missing.stdout + missing.stderr).toMatch(
      /✖.*--repo-url "": no default, as the repository has neither a Flux GitRepository with a URL nor a git remote origin/,
    );
    const run = await plop(repo, ["tilt-lib", "--", "--repo-url", "https://git.example.com/platform-tools.git"]);
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    expect(readFileSync(path.join(repo, "tilt-lib/argocd/application.yaml"), "utf8")).toContain('path: "tilt-lib"');
    expect((await kustomize(path.join(repo, "tilt-lib"))).docs.filter((d) => d.kind === "ConfigMap")).toHaveLength(2);
  });

  it("outside this project, without a folder and without a terminal, says what to pass", async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), "platform-tools-"));
    const run = await plop(repo, []);
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(
      /✖ +write-plan no folder given and no terminal to ask on: name the package folder, e\.g\. npx plop tilt-lib tilt-lib$/m,
    );
    expect(readdirSync(repo)).toEqual([]);
  });

  it("prints every option with --help, and takes a .. folder that stays in the repository", async () => {
    const repo = copyExample();
    const before = await snapshot(repo);
    const help = await plop(repo, ["--help"]);
    expect(help.exitCode, help.stderr).toBe(0);
    expect(help.stdout).toBe(generatorHelp(TILT_LIB_GENERATOR, "npx plop"));
    await execa("git", ["init", "-q"], { cwd: repo });
    const up = await plop(path.join(repo, "clusters"), ["../tilt-lib", "--mode", "check"]);
    expect(up.exitCode, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(
      /✔ +write-plan tilt-lib 1\.\d+\.\d+ in tilt-lib: \d+ unchanged in \d+ ms \(check: nothing written\)$/m,
    );
    rmSync(path.join(repo, ".git"), { recursive: true });
    expect(await snapshot(repo)).toBe(before);
  });

  const gitInit = (repo: string) => execa("git", ["init", "-q"], { cwd: repo });
  const badInputs: [string, (repo: string) => string[] | Promise<string[]>, RegExp][] = [
    ["an invalid version to pin", () => ["tilt-lib", "--", "--pin", "1.x"], /--pin "1\.x": invalid version/],
    [
      "a pin of a major the library is not at",
      () => ["tilt-lib", "--", "--pin", "v2"],
      /cannot pin v2: versions\/v2\/tilt_lib\.star does not exist and tilt_lib\.star is 1\./,
    ],
    [
      "a pinned copy with an invalid VERSION",
      (repo) => {
        writeFileSync(path.join(repo, "tilt-lib/versions/v1/tilt_lib.star"), 'VERSION = "one"\n');
        return ["tilt-lib"];
      },
      /versions\/v1\/tilt_lib\.star: invalid version/,
    ],
    [
      "a namespace name that is not DNS-1123",
      () => ["tilt-lib", "--", "--namespaces", "coder,Team_A"],
      /--namespaces "Team_A": not a namespace name/,
    ],
    ["no namespace at all", () => ["tilt-lib", "--", "--namespaces", " , "], /name at least one workspace namespace/],
    [
      "a repo URL that is not a URL",
      () => ["tilt-lib", "--", "--repo-url", "not a url"],
      /--repo-url "not a url": not a repository URL/,
    ],
    [
      "no repo URL and no Flux GitRepository to take it from",
      (repo) => {
        const sync = path.join(repo, "clusters/homelab/flux-system/gotk-sync.yaml");
        writeFileSync(sync, readFileSync(sync, "utf8").split("\n---\n")[1]!);
        rmSync(path.join(repo, "tilt-lib/.tilt-scaffold.yaml"));
        return ["tilt-lib"];
      },
      /--repo-url "": no default/,
    ],
    [
      "a revision that is not a git ref",
      () => ["tilt-lib", "--", "--revision", "main branch"],
      /--revision "main branch": not a git branch/,
    ],
    ["a folder with no repository folder around it", () => ["/tmp"], /\/tmp has no repository folder around it/],
    [
      "a folder that does not exist, with none around it",
      () => ["/nonexistent-tilt-lib-test/tilt-lib"],
      /has no repository folder around it/,
    ],
    [
      "a folder outside the repository, in git",
      async (repo) => (await gitInit(repo), ["/tmp"]),
      /\/tmp has no repository folder around it/,
    ],
    ["the repository root itself", () => ["."], /is the repository root/],
    [
      "a path with .. that leaves the repository",
      async (repo) => (await gitInit(repo), ["clusters/../../elsewhere"]),
      /^✖ +write-plan folder clusters\/\.\.\/\.\.\/elsewhere is \S+\/elsewhere, outside the repository \S+\/homelab: name a folder inside it$/,
    ],
    ["a file instead of a folder", () => ["tilt-lib/tilt_lib.star"], /is not a directory/],
    [
      "a folder Flux applies whole",
      async (repo) => (await gitInit(repo), ["clusters/homelab/tilt-lib"]),
      /inside \.\/clusters\/homelab, which the Flux Kustomization flux-system\/flux-system applies whole/,
    ],
    [
      "a symlink leaving the repository",
      (repo) => {
        symlinkSync(mkdtempSync(path.join(os.tmpdir(), "outside-")), path.join(repo, "elsewhere"));
        return ["elsewhere"];
      },
      /outside the repository/,
    ],
    ["two folders", () => ["tilt-lib", "platform"], /one package folder only/],
    [
      "an unknown option",
      () => ["tilt-lib", "--", "--colour", "red"],
      /✖ +write-plan unknown option --colour \(npx plop tilt-lib --help lists its options\)$/,
    ],
    [
      "a mistyped option",
      () => ["tilt-lib", "--repo-ulr", "https://git.example.com/x.git"],
      /✖ +write-plan unknown option --repo-ulr: did you mean --repo-url\? \(npx plop tilt-lib --help lists its options\)$/,
    ],
    [
      "an answers file whose answers are a number",
      (repo) => (writeFileSync(path.join(repo, "tilt-lib/.tilt-scaffold.yaml"), "answers: 42\n"), ["tilt-lib"]),
      /✖ +write-plan \S+\/homelab\/tilt-lib\/\.tilt-scaffold\.yaml: answers is 42, not a mapping; fix it or restore it from git$/,
    ],
    [
      "an empty answers file",
      (repo) => (writeFileSync(path.join(repo, "tilt-lib/.tilt-scaffold.yaml"), ""), ["tilt-lib"]),
      /✖ +write-plan \S+\/tilt-lib\/\.tilt-scaffold\.yaml: empty, where a mapping of answers, ports and file hashes belongs; fix it or restore it from git$/,
    ],
    ["an unknown mode", () => ["tilt-lib", "--", "--mode", "yolo"], /unknown mode "yolo"/],
    [
      "an answers file from a newer generator",
      (repo) => (writeFileSync(path.join(repo, "tilt-lib/.tilt-scaffold.yaml"), "generator: 99.0.0\n"), ["tilt-lib"]),
      /newer than this one/,
    ],
  ];

  it.each(badInputs)(
    "refuses %s with one line, a non-zero exit and nothing written",
    async (_name, setup, expected) => {
      const repo = copyExample();
      const args = await setup(repo);
      const before = await snapshot(repo);
      const run = await plop(repo, args);
      expect(run.exitCode).not.toBe(0);
      const output = run.stdout + run.stderr;
      const message = output.split("\n").filter((line) => line.includes("✖"));
      expect(message, output).toHaveLength(1);
      expect(message[0]).toMatch(expected);
      expect(output).not.toMatch(/\n\s+at /);
      expect(await snapshot(repo)).toBe(before);
    },
  );
});
