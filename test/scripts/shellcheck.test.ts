// The generated scripts of every example namespace pass shellcheck with no exclusions (with the
// library each sources), the libraries pass on their own, and the scripts fail the way the issue
// asks when a tool or the cluster is missing.
import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { copyExample, EXAMPLE_FOLDERS, EXAMPLE_ROOT } from "../support/example.ts";
import { REPO_SCRIPT_LIBRARIES } from "../../helpers/templates.ts";
import { SCRIPT_FACTS_VERSION, SCRIPT_LIB_VERSION } from "../../helpers/version.ts";
import { inCI, runScript, warnSkipping } from "./support.ts";

// Default checks plus the optional ones Google's shell style asks for (braces, [[ ]], default cases).
const OPTIONAL_CHECKS =
  "add-default-case,require-variable-braces,quote-safe-variables,require-double-brackets,avoid-nullary-conditions,deprecate-which,check-unassigned-uppercase";
const SCRIPTS = EXAMPLE_FOLDERS.flatMap((ns) => ["dashboard.sh", "deploy.sh"].map((name) => path.join(ns, name)));
// The shell files of the libraries (dashboard.jq is jq, which dashboard_lib.sh runs).
const LIBRARIES = REPO_SCRIPT_LIBRARIES.filter((file) => file.endsWith(".sh"));
const haveShellcheck = (await execa("shellcheck", ["--version"], { reject: false })).exitCode === 0;
if (!haveShellcheck && !inCI)
  warnSkipping("shellcheck of the generated scripts", "shellcheck is not installed (apt-get install shellcheck)");

describe("generated scripts", () => {
  it.runIf(haveShellcheck || inCI).each([...SCRIPTS, ...LIBRARIES])(
    "%s passes shellcheck with no exclusions",
    async (script) => {
      const file = path.join(EXAMPLE_ROOT, script);
      // -x: a script is checked together with the library it sources, which assigns nothing it uses.
      const result = await execa(
        "shellcheck",
        ["--external-sources", "--shell=bash", "--severity=style", `--enable=${OPTIONAL_CHECKS}`, file],
        { reject: false },
      );
      expect(result.stdout + result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
    },
  );

  it.each(SCRIPTS)("%s is executable, strict, and ends by calling its library's main", (script) => {
    const file = path.join(EXAMPLE_ROOT, script);
    expect(statSync(file).mode & 0o111).toBe(0o111);
    const text = readFileSync(file, "utf8");
    expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(text).toContain("\nset -Eeuo pipefail\n");
    expect(text.trimEnd()).toMatch(
      new RegExp(
        `\n${path.basename(script, ".sh")}_main ${SCRIPT_FACTS_VERSION.replaceAll(".", "\\.")} "\\$\\{FACTS\\}" "\\$@"$`,
      ),
    );
    expect(text).not.toMatch(/\beval\b/);
  });
});

describe("dashboard.sh without a cluster or tools", () => {
  const dashboard = path.join(EXAMPLE_ROOT, "applications/media/dashboard.sh");

  it("says in one line that the cluster is unreachable, and fails", async () => {
    const run = await runScript(dashboard, []);
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr.split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^dashboard.sh: cannot read namespace media \(context current\): /);
  });

  it("names a missing tool in one line", async () => {
    // A PATH with bash, kubectl and dirname (it finds its library) only.
    const bin = mkdtempSync(path.join(os.tmpdir(), "no-jq-"));
    for (const tool of ["bash", "kubectl", "dirname"])
      symlinkSync((await execa("bash", ["-c", `command -v ${tool}`])).stdout, path.join(bin, tool));
    const run = await runScript(dashboard, [], { PATH: bin });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toBe("dashboard.sh: jq is not installed (dashboard.sh needs bash, kubectl and jq)");
  });

  it("explains itself and rejects bad arguments", async () => {
    const help = await runScript(dashboard, ["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/--watch \[SECONDS\]/);
    expect(help.stdout).toMatch(/NO_COLOR/);
    const bad = await runScript(dashboard, ["--watch", "0"]);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/--watch takes a whole number of seconds/);
  });
});

describe("the script libraries", () => {
  it.each(LIBRARIES.filter((file) => file.endsWith("_lib.sh")))(
    "%s carries its version, one that reads the facts the generated scripts hold",
    (library) => {
      const text = readFileSync(path.join(EXAMPLE_ROOT, library), "utf8");
      expect(/^readonly [A-Z]+_LIB_VERSION="([^"]+)"$/m.exec(text)?.[1]).toBe(SCRIPT_LIB_VERSION);
      const [major, minor] = SCRIPT_LIB_VERSION.split(".").map(Number);
      const [factsMajor, factsMinor] = SCRIPT_FACTS_VERSION.split(".").map(Number);
      expect([major, minor! >= factsMinor!]).toEqual([factsMajor, true]);
    },
  );

  it("refuses, in one line naming the command that updates it, a library older than the script needs", async () => {
    const repo = copyExample();
    const library = path.join(repo, "tilt-lib/deploy_lib.sh");
    writeFileSync(
      library,
      readFileSync(library, "utf8").replace(/^readonly DEPLOY_LIB_VERSION=.*$/m, 'readonly DEPLOY_LIB_VERSION="0.9.0"'),
    );
    const run = await runScript(path.join(repo, "applications/media/deploy.sh"), ["--help"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      /^deploy\.sh: \S+\/tilt-lib\/deploy_lib\.sh is version 0\.9\.0, this deploy\.sh needs 2\.x from 2\.0\.0: run `npx plop namespace applications\/media`\n?$/,
    );
  });
});
