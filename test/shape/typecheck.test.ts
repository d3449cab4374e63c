// The whole project type-checks under tsconfig.json (strict, no unused locals or parameters):
// vitest strips types without checking them, so this is where a type error fails the tests.
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../support/example.ts";

describe("tsc", () => {
  it("type-checks plopfile.ts, bin, generators, helpers, test, bench and tools", async () => {
    const run = await execa(path.join(PROJECT_ROOT, "node_modules/.bin/tsc"), ["--noEmit", "-p", "tsconfig.json"], {
      cwd: PROJECT_ROOT,
      reject: false,
    });
    expect(run.exitCode, run.stdout).toBe(0);
  }, 180_000);
});
