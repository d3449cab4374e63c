// `doctor`, and a run whose files depend on a tool that is not installed: run with a PATH that
// holds only the tools named.
import { mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execaSync } from "execa";
import { describe, expect, it } from "vitest";
import { bin, marked, plop, snapshot } from "../support/cli.ts";
import { copyExample, PROJECT_ROOT } from "../support/example.ts";

const TOOLS = path.join(PROJECT_ROOT, ".tools", "bin");

/** A PATH of one folder holding only these tools (node too: plop's bin starts with it). */
function pathWith(...tools: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "path-"));
  symlinkSync(process.execPath, path.join(dir, "node"));
  const everywhere = `${TOOLS}:${process.env.PATH}`;
  for (const tool of tools)
    symlinkSync(execaSync("bash", ["-c", `PATH=${everywhere} command -v ${tool}`]).stdout, path.join(dir, tool));
  return dir;
}

const ALL = ["kubectl", "git", "helm", "flux", "tilt", "jq", "bash"];

describe("doctor", () => {
  it("lists every tool with its version and what is lost without it, and writes nothing", async () => {
    const repo = copyExample();
    const before = await snapshot(repo);
    const run = await bin(repo, ["doctor"], { PATH: pathWith(...ALL) });
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines.map((line) => line.split(/ +/)[0])).toEqual(ALL);
    for (const line of lines) expect(line).toMatch(/^\S+ +v?\d+\.\d+\S* +without it: \S/);
    expect(marked(run.stderr)).toEqual(["✔  -> all 7 tools found"]);
    expect(await snapshot(repo)).toBe(before);
  });

  it("names what is missing; exit 0 while the run can work", async () => {
    const run = await bin(copyExample(), ["doctor"], { PATH: pathWith("kubectl", "git") });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^helm +not found +without it: HelmReleases' charts are not rendered/m);
    expect(run.stdout).toMatch(/^kubectl +v\d/m);
    expect(marked(run.stderr)).toEqual([
      "✔  -> helm, flux, tilt, jq, bash not found: the run works, without what the lines above name",
    ]);
  });

  it("exit 1 without what the run needs", async () => {
    const run = await bin(copyExample(), ["doctor"], { PATH: pathWith("helm") });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/^kubectl +not found +without it: the run cannot build what Flux applies/m);
    expect(marked(run.stderr)).toEqual([
      "✖  -> kubectl and git not found: npx tilt-flux-scaffold namespace cannot run without them",
    ]);
  });
});

describe("a run without helm", () => {
  const monitoring = "infrastructure/monitoring";
  const changed = [
    "Tiltfile",
    "overlays/dev/kustomization.yaml",
    "overlays/dev/local-path/kustomization.yaml",
    "overlays/dev/dev-claims/kustomization.yaml",
    "dashboard.sh",
  ]
    .map((f) => `${monitoring}/${f}`)
    .join(", ");
  const why = `helm is not installed, so the HelmReleases' charts of ${monitoring} are not rendered (their forwards and pods are left out)`;

  it("refuses to rewrite the committed files without their charts, in one line, unless --force", async () => {
    const repo = copyExample();
    const PATH = pathWith("kubectl", "git");
    const before = await snapshot(repo);
    const refused = await plop(repo, [monitoring], { PATH });
    expect(refused.exitCode).toBe(1);
    expect(marked(refused.stdout)).toEqual([
      `✖  write-plan ${why}: writing would change ${changed}; install helm, or add --force to write them anyway`,
    ]);
    expect(await snapshot(repo)).toBe(before);

    const check = await plop(repo, [monitoring, "--mode", "check"], { PATH });
    expect(check.exitCode).toBe(1);
    expect(check.stderr.trim().split("\n").at(-1)).toBe(
      `warning: ${why}; files to be written so: ${changed}; install helm and run again`,
    );
    expect(await snapshot(repo)).toBe(before);

    const tiltfile = path.join(repo, monitoring, "Tiltfile");
    expect(readFileSync(tiltfile, "utf8")).toContain('(8082, 8080, "echo-server")');
    const forced = await plop(repo, [monitoring, "--force"], { PATH });
    expect(forced.exitCode, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stderr.trim().split("\n").at(-1)).toBe(
      `warning: ${why}; files written so: ${changed}; install helm and run again`,
    );
    expect(readFileSync(tiltfile, "utf8")).not.toContain('(8082, 8080, "echo-server")');
    // With helm again, the run writes back what was committed.
    expect((await plop(repo, [monitoring])).exitCode).toBe(0);
    expect(await snapshot(repo)).toBe(before);
  });
});
