// Tilt's Tiltfile load time against a plain `kubectl kustomize` of the same overlay: the Tiltfile
// adds tilt_lib, Flux substitution and resource wiring on top of the build it cannot avoid.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const TILT = path.join(ROOT, ".tools", "bin", "tilt");

type Alternate = (a: () => Promise<unknown>, b: () => Promise<unknown>) => Promise<[number, number]>;

export async function tiltBenchmarks(alternate: Alternate) {
  if (!existsSync(TILT)) throw new Error("no .tools/bin/tilt: run `npm run tools`");
  const media = path.join(ROOT, "examples", "homelab", "applications", "media");
  const env = { KUBECONFIG: "/nonexistent" };
  const load = (tiltfile: string) => () =>
    execa(TILT, ["alpha", "tiltfile-result", "-f", tiltfile], { cwd: media, env });
  const kustomize = () =>
    execa("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", "overlays/dev"], { cwd: media });
  const [ours, build] = await alternate(load("Tiltfile"), kustomize);
  // The least a Tiltfile can do with this overlay: Tilt's own start-up and kustomize, nothing else.
  const minimal = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-tiltfile-")), "Tiltfile");
  writeFileSync(minimal, `k8s_yaml(kustomize("${media}/overlays/dev"))\n`);
  const [ours2, bare] = await alternate(load("Tiltfile"), load(minimal));
  return [
    {
      name: "Tiltfile load (tilt alpha tiltfile-result)",
      ours,
      baseline: build,
      baselineName: "kubectl kustomize overlays/dev",
      goal: 1.1,
    },
    { name: "Tiltfile load", ours: ours2, baseline: bare, baselineName: "minimal Tiltfile, same overlay", goal: 1.1 },
  ];
}
