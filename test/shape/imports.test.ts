// The code's import graph, as madge reads it: one run is a straight line (repository → namespace
// → plan), so no module imports one that imports it back, through any chain.
import path from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../support/example.ts";

describe("the import graph", () => {
  it("has no cycle in helpers/, generators/ or plopfile.ts", async () => {
    const graph = await madge(["helpers", "generators", "plopfile.ts"].map((p) => path.join(PROJECT_ROOT, p)), {
      baseDir: PROJECT_ROOT,
      fileExtensions: ["ts"],
      tsConfig: path.join(PROJECT_ROOT, "tsconfig.json"),
    });
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(50);
    expect(graph.circular()).toEqual([]);
  }, 60_000);
});
