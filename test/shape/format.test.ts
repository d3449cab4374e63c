// The TypeScript is as Prettier prints it (.prettierrc.json: 120 columns), so a diff shows what
// changed, not how someone's editor wraps lines; and ESLint with typescript-eslint's strict rules
// finds nothing (eslint.config.mjs). `npx prettier --write "**/*.ts"` and `npx eslint --fix .`
// fix most of what they report.
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../support/example.ts";

const bin = (name: string) => path.join(PROJECT_ROOT, "node_modules/.bin", name);

describe("format and lint", () => {
  it("finds every TypeScript file formatted by Prettier", async () => {
    const run = await execa(bin("prettier"), ["--list-different", "**/*.ts", "eslint.config.mjs"], {
      cwd: PROJECT_ROOT,
      reject: false,
    });
    expect(run.stdout.split("\n").filter(Boolean)).toEqual([]);
    expect(run.exitCode, run.stderr).toBe(0);
  }, 60_000);

  it("finds no ESLint problem, warnings included", async () => {
    const run = await execa(bin("eslint"), ["--max-warnings", "0", "."], { cwd: PROJECT_ROOT, reject: false });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  }, 120_000);
});
