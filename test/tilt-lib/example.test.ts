// examples/homelab/tilt-lib is a golden package: a fresh run reproduces it byte for byte, the real
// kustomize builds it, and its ConfigMaps hold exactly the files the namespace Tiltfiles load.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TILT_LIB_PARTS, tiltLibSource } from "../../helpers/templates.ts";
import { generateTiltLibPackage, type TiltLibResult } from "../../helpers/tilt-lib/package.ts";
import { EXAMPLE_NAMESPACES, EXAMPLE_ROOT } from "../support/example.ts";
import { kustomize } from "./support.ts";

const PACKAGE = path.join(EXAMPLE_ROOT, "tilt-lib");
let result: TiltLibResult;

beforeAll(async () => {
  result = await generateTiltLibPackage({ dir: PACKAGE, cwd: EXAMPLE_ROOT, answers: {}, mode: "check" });
});

describe("examples/homelab/tilt-lib", () => {
  it("holds exactly what the generator writes today (run `npx plop tilt-lib` after changing templates)", () => {
    const stale = result.plan
      .filter((w) => w.outcome !== "unchanged")
      .map((w) => `${w.outcome} ${path.relative(EXAMPLE_ROOT, w.path)}`);
    expect(stale).toEqual([]);
    expect(result.obsolete).toEqual([]);
  });

  it("builds ConfigMaps whose data are the package's files byte for byte, in each workspace namespace", async () => {
    const { docs } = await kustomize(PACKAGE);
    const { namespaces, pins } = result.model.answers;
    expect(namespaces.length).toBeGreaterThan(1);
    expect(pins).toEqual(["v1"]);
    // key → file: the library is tilt_lib.star and its parts, one folder once mounted; the v1 pin
    // was copied before the library had parts.
    const files: Record<string, Record<string, string>> = {
      "tilt-lib": Object.fromEntries(TILT_LIB_PARTS.map((file) => [file, file])),
      "tilt-lib-v1": { "tilt_lib.star": "versions/v1/tilt_lib.star" },
      "tilt-templates": { "Tiltfile.hbs": "template/Tiltfile.hbs" },
    };
    for (const ns of namespaces) {
      for (const [name, keys] of Object.entries(files)) {
        const configMap = docs.find(
          (d) => d.kind === "ConfigMap" && d.metadata.name === name && d.metadata.namespace === ns,
        );
        expect(configMap, `${ns}/${name}`).toBeDefined();
        expect(Object.keys(configMap!.data).sort()).toEqual(Object.keys(keys).sort());
        for (const [key, file] of Object.entries(keys))
          expect(configMap!.data[key]).toBe(readFileSync(path.join(PACKAGE, file), "utf8"));
      }
    }
    for (const file of TILT_LIB_PARTS) expect(readFileSync(path.join(PACKAGE, file), "utf8")).toBe(tiltLibSource(file));
  });

  it.each(EXAMPLE_NAMESPACES)("%s: its Tiltfile loads the package's tilt_lib.star, or the mounted one", (ns) => {
    const tiltfile = readFileSync(path.join(EXAMPLE_ROOT, ns, "Tiltfile"), "utf8");
    const [, local, repository] = /^TILT_LIB_PATHS = \["([^"]+)", "([^"]+)"/m.exec(tiltfile) ?? [];
    expect(local).toBe("tilt_lib.star");
    expect(path.resolve(EXAMPLE_ROOT, ns, repository!)).toBe(path.join(PACKAGE, "tilt_lib.star"));
    expect(tiltfile).toContain(`"${result.model.libraryMount}"`);
  });
});
