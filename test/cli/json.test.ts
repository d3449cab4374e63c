// `--json`, as CI runs it through the bin: stdout is one JSON report of every file and its
// state, true to what the run did on disk; progress, warnings and the ✔/✖ line stay on stderr.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { JsonReport } from "../../helpers/plan/report.ts";
import { bin, marked, snapshot } from "../support/cli.ts";
import { copyExample } from "../support/example.ts";

const TILTFILE = "applications/media/Tiltfile";
const DEV_OVERLAY = "applications/media/overlays/dev/kustomization.yaml";

/** A copy of the example where media's Tiltfile is edited by hand and its dev overlay is gone. */
function staleExample(): { repo: string; edited: string } {
  const repo = copyExample();
  const edited = `${readFileSync(path.join(repo, TILTFILE), "utf8")}\n# my own addition\n`;
  writeFileSync(path.join(repo, TILTFILE), edited);
  rmSync(path.join(repo, DEV_OVERLAY));
  return { repo, edited };
}

function parse(stdout: string): JsonReport & { namespaces: { name: string; folder: string }[]; warnings: string[] } {
  return JSON.parse(stdout);
}

const fileOf = (report: JsonReport, file: string) => report.files.find((f) => f.path === file);

describe("--json", () => {
  it("check mode: every file with what a write would do, nothing written, one ✖ line on stderr", async () => {
    const { repo } = staleExample();
    const before = await snapshot(repo);
    const run = await bin(path.join(repo, "applications/media"), ["namespace", ".", "--mode", "check", "--json"]);
    expect(run.exitCode).toBe(1);
    expect(marked(run.stderr)).toEqual([expect.stringMatching(/^✖ +write-plan tooling is stale: media: /)]);
    const report = parse(run.stdout);
    expect(report).toMatchObject({ mode: "check", changed: true, root: repo, title: "media" });
    expect(fileOf(report, TILTFILE)).toEqual({
      path: TILTFILE,
      state: "kept-edited",
      beside: `${TILTFILE}.new`,
      changes: true,
      written: false,
    });
    expect(fileOf(report, DEV_OVERLAY)).toEqual({ path: DEV_OVERLAY, state: "create", changes: true, written: false });
    expect(fileOf(report, "tilt-lib/tilt_lib.star")).toMatchObject({ state: "unchanged", changes: false });
    expect(report.files.filter((f) => f.written)).toEqual([]);
    expect(Object.values(report.counts).reduce((a, b) => a + b, 0)).toBe(report.files.length);
    expect(report.namespaces).toEqual([
      { name: "media", namespace: "media", folder: "applications/media", context: null },
    ]);
    expect(await snapshot(repo)).toBe(before);
  });

  it("write mode: written is what changed on disk, and a check run after it finds nothing to change", async () => {
    const { repo, edited } = staleExample();
    const before = new Map<string, string>();
    const run = await bin(repo, ["namespace", "applications/media", "--json", "--quiet"]);
    expect(run.exitCode, run.stderr).toBe(0);
    const report = parse(run.stdout);
    expect(report).toMatchObject({ mode: "write", changed: true });
    for (const file of report.files) {
      expect(file.written, file.path).toBe(file.changes);
      if (file.state === "unchanged") expect(file.changes, file.path).toBe(false);
      before.set(file.path, readFileSync(path.join(repo, file.path), "utf8"));
    }
    // Kept means kept: the hand edit stays, the new version is beside it.
    expect(fileOf(report, TILTFILE)).toMatchObject({ state: "kept-edited", written: true });
    expect(before.get(TILTFILE)).toBe(edited);
    expect(existsSync(path.join(repo, `${TILTFILE}.new`))).toBe(true);
    expect(fileOf(report, DEV_OVERLAY)).toMatchObject({ state: "create", written: true });

    const check = await bin(repo, ["namespace", "applications/media", "--mode", "check", "--json"]);
    expect(check.exitCode, check.stderr).toBe(0);
    const again = parse(check.stdout);
    expect(again.changed).toBe(false);
    expect(again.files.map((f) => f.path)).toEqual(report.files.map((f) => f.path));
    for (const file of again.files) {
      expect(file, file.path).toMatchObject({ changes: false, written: false });
      // The .new already holds the new version: the Tiltfile is still the user's, nothing to write.
      expect(file.state, file.path).toBe(file.path === TILTFILE ? "kept-edited" : "unchanged");
      expect(readFileSync(path.join(repo, file.path), "utf8"), file.path).toBe(before.get(file.path));
    }
  });

  it("keeps warnings and progress on stderr, and lists the warnings in the report too", async () => {
    const repo = copyExample();
    // kube-prometheus-stack's chart is not reachable from the tests (nor is helm everywhere): the run warns.
    const run = await bin(repo, ["namespace", "infrastructure/monitoring", "--mode", "dry-run", "--json"]);
    expect(run.exitCode, run.stderr).toBe(0);
    const report = parse(run.stdout);
    expect(report.mode).toBe("dry-run");
    expect(report.files.filter((f) => f.written)).toEqual([]);
    expect(report.warnings).toEqual([expect.stringMatching(/helm/)]);
    expect(run.stderr).toContain(`warning: ${report.warnings[0]}\n`);
    expect(run.stderr).toMatch(/^\[1\/1\] infrastructure\/monitoring \d+ ms$/m);
    expect(marked(run.stderr)).toEqual([
      expect.stringMatching(/^✔ +write-plan monitoring: .*\(dry-run: nothing written\)$/),
    ]);
  });

  it("tilt-lib: the package's files, written, then unchanged", async () => {
    const repo = copyExample();
    rmSync(path.join(repo, "tilt-lib/README.md"));
    const write = await bin(repo, ["tilt-lib", "tilt-lib", "--json"]);
    expect(write.exitCode, write.stderr).toBe(0);
    const report = parse(write.stdout);
    expect(report).toMatchObject({ generator: "tilt-lib", mode: "write", changed: true });
    expect(fileOf(report, "tilt-lib/README.md")).toEqual({
      path: "tilt-lib/README.md",
      state: "create",
      changes: true,
      written: true,
    });
    expect(existsSync(path.join(repo, "tilt-lib/README.md"))).toBe(true);
    const before = await snapshot(repo);
    const check = await bin(repo, ["tilt-lib", "tilt-lib", "--mode", "check", "--json"]);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(parse(check.stdout)).toMatchObject({
      mode: "check",
      changed: false,
      counts: { unchanged: report.files.length },
    });
    expect(await snapshot(repo)).toBe(before);
  });
});
