// The packed package as a user gets it: `npm pack`, installed into a copy of a real GitOps
// repository, run through its bin and through `plop.load` in the user's own plopfile.
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../support/example.ts";
import { copyFixture, haveFixtures } from "../support/fixtures.ts";
import { tiltfileResult } from "../support/tiltfile.ts";

const FIXTURE = "flux2-kustomize-helm-example";
const ours = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
};
// A user's shell: none of what `npm test` gives this process (NODE_OPTIONS loading tsx, npm's
// own settings). npm talks to its registry, which the tests' blocking proxy would stop.
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => key !== "NODE_OPTIONS" && !/^npm_/i.test(key)),
);
const { HTTPS_PROXY: _https, HTTP_PROXY: _http, ...npmEnv } = userEnv;
const runEnv = { ...userEnv, KUBECONFIG: "/nonexistent", NO_COLOR: "1" };

let repo: string;
let tarball: string;
let packed: { files: { path: string }[]; size: number };

async function bin(cwd: string, args: string[], env: Record<string, string> = {}) {
  return execa(path.join(repo, "node_modules", ".bin", "tilt-flux-scaffold"), args, {
    cwd,
    reject: false,
    stdin: "ignore",
    env: { ...runEnv, ...env },
    extendEnv: false,
  });
}

/** Files below node_modules changed since `marker` was touched: a run must leave none. */
async function changedInNodeModules(marker: string): Promise<string[]> {
  const { stdout } = await execa("find", ["node_modules", "-newer", marker, "-print"], { cwd: repo });
  return stdout.split("\n").filter(Boolean);
}

async function mark(): Promise<string> {
  const marker = path.join(mkdtempSync(path.join(os.tmpdir(), "marker-")), "marker");
  writeFileSync(marker, "");
  // find -newer compares modification times; a write in the same instant would hide.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return marker;
}

describe.skipIf(!haveFixtures())("the packed package, installed in a user's GitOps repository", () => {
  beforeAll(async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), "pack-"));
    const pack = await execa("npm", ["pack", "--json", "--pack-destination", out], {
      cwd: PROJECT_ROOT,
      env: npmEnv,
      extendEnv: false,
    });
    const [report] = JSON.parse(pack.stdout) as (typeof packed & { filename: string })[];
    packed = report!;
    tarball = path.join(out, report!.filename);
    repo = await copyFixture(FIXTURE);
    writeFileSync(path.join(repo, "package.json"), JSON.stringify({ name: "home-ops", private: true, type: "module" }));
    await execa(
      "npm",
      [
        "install",
        "--save-dev",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        tarball,
        `plop@${ours.dependencies.plop}`,
      ],
      { cwd: repo, env: npmEnv, extendEnv: false },
    );
  }, 300_000);

  afterAll(() => rmSync(path.dirname(tarball), { recursive: true, force: true }));

  it("ships compiled JavaScript, the templates, the README with the docs it links to and the licence, and nothing else", () => {
    const top = new Set(packed.files.map((f) => f.path.split("/")[0]));
    expect([...top].sort()).toEqual(["LICENSE", "README.md", "dist", "docs", "package.json", "templates"]);
    expect(packed.files.filter((f) => f.path.startsWith("dist/") && !f.path.endsWith(".js"))).toEqual([]);
    expect(packed.files.map((f) => f.path)).toContain("dist/bin/tilt-flux-scaffold.js");
  });

  it("answers --version and --help, and without a generator prints its usage and exits 1", async () => {
    expect((await bin(repo, ["--version"])).stdout).toBe(ours.version);
    const help = await bin(repo, ["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(
      /^ {2}namespace \[folder\] +Tiltfile, dev overlays and scripts for a namespace folder$/m,
    );
    expect(help.stdout).toMatch(
      /^ {2}tilt-lib \[dir\] +the platform package: tilt_lib.star as ConfigMaps for ArgoCD$/m,
    );
    const bare = await bin(repo, []);
    expect(bare.exitCode).toBe(1);
    expect(bare.stderr).toMatch(/^Usage: tilt-flux-scaffold <generator>/);
    const options = await bin(repo, ["namespace", "--help"]);
    expect(options.exitCode).toBe(0);
    expect(options.stdout).toMatch(/^ {2}--context NAME +kube context of the cluster Flux manages/m);
    const typo = await bin(repo, ["namepsace", "apps/staging"]);
    expect(typo.exitCode).toBe(1);
    expect(typo.stderr.trim()).toBe(
      '✖ unknown generator "namepsace": did you mean namespace? (generators: namespace, tilt-lib, doctor)',
    );
  });

  it("scaffolds the folder it runs in, writes only into the repository, and --mode check tells stale from fresh", async () => {
    const staging = path.join(repo, "apps/staging");
    const marker = await mark();
    const run = await bin(staging, ["namespace", "."]);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    // The bin runs it without plop, whose ✔ and ✖ go to stdout under vitest: the bin's go to stderr.
    expect(run.stderr).toMatch(/✔ +write-plan staging: \d+ written \(new\) in \d+ ms/);
    expect(await changedInNodeModules(marker)).toEqual([]);
    const tiltfile = readFileSync(path.join(staging, "Tiltfile"), "utf8");
    expect(tiltfile).toContain("# Update it with `npx tilt-flux-scaffold namespace apps/staging`");
    // The real Tilt loads what was written, from the folder it was written in.
    const loaded = await tiltfileResult(staging);
    expect(loaded.run.exitCode, loaded.log).toBe(0);
    expect(loaded.manifests.map((m) => m.Name)).toContain("staging-flux");

    expect((await bin(staging, ["namespace", ".", "--", "--mode", "check"])).exitCode).toBe(0);
    // After the progress, and no spinner residue.
    const fresh = await bin(staging, ["namespace", ".", "--mode", "check"], { NODE_ENV: "" });
    expect(fresh.stderr.split("\n").filter((line) => !line.startsWith("warning: "))).toEqual([
      expect.stringMatching(/^\[1\/1\] apps\/staging \d+ ms$/),
      expect.stringMatching(/^✔ +write-plan staging: \d+ unchanged in \d+ ms \(check: nothing written\)$/),
    ]);
    rmSync(path.join(staging, "dashboard.sh"));
    // Options after the folder, without --, as every CLI takes them.
    const stale = await bin(staging, ["namespace", ".", "--mode", "check"]);
    expect(stale.exitCode).toBe(1);
    expect(stale.stderr).toMatch(
      /✖ +write-plan tooling is stale: staging: \d+ unchanged, 1 would be written \(new\) in \d+ ms \(check: nothing written\)$/m,
    );
    expect(readdirSync(staging)).not.toContain("dashboard.sh");
    // Every scaffolded folder, from anywhere in the repository.
    expect(
      (await bin(path.join(repo, "apps/base/podinfo"), ["namespace", "--folder", "all", "--mode", "dry-run"])).stdout,
    ).toMatch(/^would be written \(new\) +apps\/staging\/dashboard\.sh$/m);
  });

  it("without a folder and without a terminal names what to pass, and writes nothing", async () => {
    const run = await bin(path.join(repo, "apps"), ["namespace"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      /✖ +write-plan no folder given and no terminal to ask on: name a namespace folder: npx tilt-flux-scaffold namespace <folder>, or npx tilt-flux-scaffold namespace -- --folder all$/m,
    );
    expect(readdirSync(path.join(repo, "apps/production"))).not.toContain("Tiltfile");
  });

  it("runs as `npx plop` through plop.load in the user's own plopfile, naming that command", async () => {
    writeFileSync(
      path.join(repo, "plopfile.js"),
      'export default async function (plop) {\n  await plop.load("tilt-flux-scaffold");\n}\n',
    );
    const marker = await mark();
    const run = await execa(path.join(repo, "node_modules", ".bin", "plop"), ["namespace", "apps/production"], {
      cwd: repo,
      reject: false,
      stdin: "ignore",
      env: runEnv,
      extendEnv: false,
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(await changedInNodeModules(marker)).toEqual([]);
    expect(readFileSync(path.join(repo, "apps/production/Tiltfile"), "utf8")).toContain(
      "# Update it with `npx plop namespace apps/production`",
    );
  });

  it("writes the platform package into an empty folder", async () => {
    const platform = mkdtempSync(path.join(os.tmpdir(), "platform-tools-"));
    const run = await bin(platform, [
      "tilt-lib",
      "tilt-lib",
      "--",
      "--repo-url",
      "https://git.example.com/platform-tools.git",
    ]);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(readFileSync(path.join(platform, "tilt-lib/README.md"), "utf8")).toContain(
      "`npx tilt-flux-scaffold tilt-lib tilt-lib`",
    );
  });

  it("exits 1 with one line when its own generators fail to load", async () => {
    const args = path.join(repo, "node_modules/tilt-flux-scaffold/dist/generators/args.js");
    const aside = `${args}.aside`;
    renameSync(args, aside);
    try {
      const run = await bin(repo, ["namespace", "apps/staging"]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(
        /^tilt-flux-scaffold: cannot load its generators \S+generators\/all\.js: Cannot find module '\S+args\.js'/,
      );
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
    } finally {
      renameSync(aside, args);
    }
  });
});
