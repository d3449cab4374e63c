// Before a run reports success, the dev overlays it plans are built with the real kustomize
// and held to what the Tiltfile says and to what the API server updates in place.
import path from "node:path";
import { UserError } from "../errors.ts";
import { substituteKnown } from "../repository/flux.ts";
import { tiltObjectRef, type KubeObject } from "../repository/manifests.ts";
import { parseKept } from "../repository/build-cache.ts";
import type { DevBuild, NamespaceModel } from "../namespace/model.ts";
import { buildPlanned, type PlannedFile, type TreeCache } from "../repository/planned-build.ts";
import { inPlaceViolations } from "../live-cluster/in-place.ts";
import { resourceSelectors, tiltObjectsProblem, type Storage } from "../namespace/tilt-objects.ts";

export interface DevBuildCheck {
  model: NamespaceModel;
  /** Flux's build of the namespace, substituted as Flux does. */
  fluxObjects: KubeObject[];
}

/** Throws a one-line UserError for the first overlay that fails to build or to agree. */
export async function checkDevBuilds(
  root: string,
  files: PlannedFile[],
  checks: DevBuildCheck[],
  cache?: TreeCache,
): Promise<void> {
  // One namespace's builds hold the same objects: its folder is their group, which no kustomize
  // run holds twice.
  const targets = (["live", "localPath", "devClaims"] as const).flatMap((kind) =>
    checks.flatMap(({ model, fluxObjects }) =>
      model.builds.map((unit) => {
        const build = unit[kind];
        return {
          model,
          unit,
          fluxObjects,
          build,
          dir: path.join(model.folder, build.dir),
          label: path.posix.join(model.folderInRepo, build.dir),
          group: model.folder,
        };
      }),
    ),
  );
  const outputs = await buildPlanned(root, files, targets, cache);
  // What the Tiltfile names must be in one of the namespace's builds of each kind.
  const builtByKind = new Map<string, Set<string>>();
  const objectsByKind = new Map<string, KubeObject[]>();
  const parsed = targets.map(({ model, unit, build, label }, index) => {
    const output = outputs[index]!;
    if (output instanceof UserError) throw output;
    const objects = parseKept(
      substituteKnown(output, unit.substitutes, unit.variables, `kustomize build of ${label}`),
      `kustomize build of ${label}`,
      cache?.env,
    );
    const key = `${model.folder}\0${build.keepOnDown}\0${build.ownClaims}`;
    const built = builtByKind.get(key) ?? new Set<string>();
    for (const object of objects) built.add(tiltObjectRef(object));
    builtByKind.set(key, built);
    objectsByKind.set(key, [...(objectsByKind.get(key) ?? []), ...objects]);
    return { objects, key };
  });
  for (const [index, { model, fluxObjects, build, label }] of targets.entries()) {
    const { objects, key } = parsed[index]!;
    const built = new Set(objects.map(tiltObjectRef));
    const missing = tiltfileRefs(model, build).filter((ref) => !builtByKind.get(key)!.has(ref));
    if (missing.length > 0)
      throw new UserError(
        `${label} does not build ${missing.join(", ")}, which the Tiltfile names: was it edited by hand?`,
      );
    // Tilt loads the Tiltfile over all of a namespace's builds for one storage at once.
    const problem =
      model.observe || !objectsByKind.has(key)
        ? undefined
        : tiltObjectsProblem(model.resources, storageOf(build), objectsByKind.get(key)!);
    objectsByKind.delete(key);
    if (problem)
      throw new UserError(
        `${path.posix.join(model.folderInRepo, "Tiltfile")} with --storage=${storageOf(build)}: Tilt would refuse it: ${problem}`,
      );
    const leftOut = new Set([
      ...(build.keepOnDown ? model.liveExclusions.map((e) => e.ref) : []),
      ...model.sopsSecrets.map((name) => tiltObjectRef({ kind: "Secret", metadata: { name } })),
    ]);
    const stillIn = [...built].filter((ref) => leftOut.has(ref));
    if (stillIn.length > 0)
      throw new UserError(
        `${label} still builds ${stillIn.join(", ")}, which Tilt must leave to Flux: was it edited by hand?`,
      );
    if (!build.keepOnDown) continue;
    const [violation] = inPlaceViolations(fluxObjects, objects, build.namespace);
    if (violation) {
      throw new UserError(
        `${label} changes ${violation.field} of ${violation.object}, which the API server cannot update in place: Tilt would delete and re-create it on the cluster Flux manages`,
      );
    }
  }
}

/** The `--storage` whose Tiltfile applies this build. */
function storageOf(build: DevBuild): Storage {
  return !build.keepOnDown ? "local-path" : build.ownClaims ? "dev-claims" : "live";
}

/** The objects the Tiltfile names for one build: what Tilt refuses to load when missing. */
function tiltfileRefs(model: NamespaceModel, build: DevBuild): string[] {
  return model.resources.flatMap((r) => resourceSelectors(r, storageOf(build)) ?? []);
}
