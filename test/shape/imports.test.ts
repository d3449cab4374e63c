// The code's import graph, as madge reads it: one run is a straight line (repository →
// live-cluster → namespace → plan → scaffold.ts), so no module imports one that imports it back,
// through any chain, and no stage imports a later one.
import path from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../support/example.ts";

/** What each stage of helpers/ must not import: the stages that come after it. */
const LATER: Record<string, string[]> = {
  "helpers/repository/": [
    "helpers/namespace/",
    "helpers/live-cluster/",
    "helpers/plan/",
    "helpers/tilt-lib/",
    "helpers/scaffold.ts",
  ],
  "helpers/live-cluster/": ["helpers/namespace/", "helpers/plan/", "helpers/tilt-lib/", "helpers/scaffold.ts"],
  "helpers/namespace/": ["helpers/plan/", "helpers/tilt-lib/", "helpers/scaffold.ts"],
  "helpers/plan/": ["helpers/tilt-lib/", "helpers/scaffold.ts"],
};

describe("the import graph", async () => {
  const graph = await madge(
    ["helpers", "generators", "plopfile.ts"].map((p) => path.join(PROJECT_ROOT, p)),
    {
      baseDir: PROJECT_ROOT,
      fileExtensions: ["ts"],
      tsConfig: path.join(PROJECT_ROOT, "tsconfig.json"),
    },
  );

  it("has no cycle in helpers/, generators/ or plopfile.ts", () => {
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(50);
    expect(graph.circular()).toEqual([]);
  });

  it("has no stage of helpers/ importing a later one", () => {
    const backwards = Object.entries(graph.obj()).flatMap(([file, imports]) =>
      Object.entries(LATER)
        .filter(([stage]) => file.startsWith(stage))
        .flatMap(([, later]) =>
          imports
            .filter((imported) => later.some((l) => imported.startsWith(l)))
            .map((imported) => `${file} -> ${imported}`),
        ),
    );
    expect(backwards).toEqual([]);
  });
});
