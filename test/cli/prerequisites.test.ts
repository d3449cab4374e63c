// A run whose files depend on a tool that is not installed: run with a PATH that holds only the
// tools named.
import { mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execaSync } from "execa";
import { describe, expect, it } from "vitest";
import { marked, plop, snapshot } from "../support/cli.ts";
import { copyExample, PROJECT_ROOT } from "../support/example.ts";

const TOOLS = path.join(PROJECT_ROOT, ".tools", "bin");

/** A PATH of one folder holding only these tools (node too: plop's bin starts with it). */
function pathWith(...tools: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "path-"));
  symlinkSync(process.execPath, path.join(dir, "node"));
  const everywhere = `${TOOLS}:${process.env.PATH}`;
  for (const tool of tools) symlinkSync(execaSync("bash", ["-c", `PATH=${everywhere} command -v ${tool}`]).stdout, path.join(dir, tool));
  return dir;
}

describe("a run without helm", () => {
  const monitoring = "infrastructure/monitoring";
  const changed = ["Tiltfile", "overlays/dev/kustomization.yaml", "overlays/dev/local-path/kustomization.yaml", "overlays/dev/dev-claims/kustomization.yaml", "dashboard.sh"].map((f) => `${monitoring}/${f}`).join(", ");
  const why = `helm is not installed, so the HelmReleases' charts of ${monitoring} are not rendered (their forwards and pods are left out)`;

  it("refuses to rewrite the committed files without their charts, in one line, unless --force", async () => {
    const repo = copyExample();
    const PATH = pathWith("kubectl", "git");
    const before = await snapshot(repo);
    const refused = await plop(repo, [monitoring], { PATH });
    expect(refused.exitCode).toBe(1);
    expect(marked(refused.stdout)).toEqual([`✖  -> ${why}: writing would change ${changed}; install helm, or add --force to write them anyway`]);
    expect(await snapshot(repo)).toBe(before);

    const check = await plop(repo, [monitoring, "--mode", "check"], { PATH });
    expect(check.exitCode).toBe(1);
    expect(check.stderr.trim().split("\n").at(-1)).toBe(`warning: ${why}; files to be written so: ${changed}; install helm and run again`);
    expect(await snapshot(repo)).toBe(before);

    const tiltfile = path.join(repo, monitoring, "Tiltfile");
    expect(readFileSync(tiltfile, "utf8")).toContain('(8082, 8080, "echo-server")');
    const forced = await plop(repo, [monitoring, "--force"], { PATH });
    expect(forced.exitCode, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stderr.trim().split("\n").at(-1)).toBe(`warning: ${why}; files written so: ${changed}; install helm and run again`);
    expect(readFileSync(tiltfile, "utf8")).not.toContain('(8082, 8080, "echo-server")');
    // With helm again, the run writes back what was committed.
    expect((await plop(repo, [monitoring])).exitCode).toBe(0);
    expect(await snapshot(repo)).toBe(before);
  });
});
