// A namespace's dev overlays of one kind as Flux would apply them: each Flux build's overlay built
// by the real kustomize, then substituted by the real `flux envsubst` with that build's variables.
import path from "node:path";
import { execa } from "execa";
import type { DevBuild, NamespaceModel } from "../../helpers/namespace/model.ts";
import { toolPath } from "./cluster.ts";

export type DevBuildKind = "live" | "localPath" | "devClaims";

export async function buildAsFlux(model: NamespaceModel, kind: DevBuildKind, options: { strict?: boolean } = {}): Promise<{ build: DevBuild; text: string }[]> {
  return Promise.all(
    model.builds.map(async (unit) => {
      const build = unit[kind];
      const built = await execa("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", path.join(model.folder, build.dir)]);
      if (!unit.substitutes) return { build, text: built.stdout };
      const variables = Object.fromEntries(unit.variables.map((v) => [v.name, v.value ?? ""]));
      const args = ["envsubst", ...(options.strict ? ["--strict"] : [])];
      const substituted = await execa(toolPath("flux"), args, { input: built.stdout, env: variables, extendEnv: false });
      return { build, text: substituted.stdout };
    }),
  );
}
