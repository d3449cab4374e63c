// The Flux builds of a namespace folder. Each Flux Kustomization whose path lies in the folder is
// built the way Flux builds it (its path, components, patches, images, commonMetadata and
// targetNamespace); Kustomizations with the same spec (one per cluster, say) share one build.
// Each build gets dev overlays of its own.
import path from "node:path";
import { stringify } from "yaml";
import { UserError } from "../errors.ts";
import type { FluxImage, FluxKustomization, FluxPatch } from "../repository/flux.ts";
import { hasKustomization } from "../repository/files.ts";

export const DEV_OVERLAY_DIR = "overlays/dev";

/** One Flux build of the folder, before it is built. */
export interface LocatedUnit {
  /** Tilt's and the overlays' name for it: its first Kustomization's name, or `base`. */
  name: string;
  /** Namespace-relative directory Flux builds (overlays/prod, base, sonarr/app, …). */
  path: string;
  kustomizations: FluxKustomization[];
  /** Flux-level kustomize Components, repository-relative, patches (commonMetadata's too) and images. */
  components: string[];
  patches: FluxPatch[];
  images: FluxImage[];
  targetNamespace?: string;
  /**
   * For a path without kustomization.yaml, the repository-relative resources of the one Flux
   * generates (set by locateNamespace, which knows the repository).
   */
  generated?: string[];
  /**
   * Namespace-relative directory of its dev overlays: overlays/dev, overlays/dev/<name> for several,
   * or, for a flat folder, the sibling `../<folder>-dev`.
   */
  devDir: string;
}

/**
 * Groups the folder's own Kustomizations into builds. Without any, dev builds on base/. A flat
 * folder, the path Flux applies itself, gets its dev overlays beside it: kustomize cannot build
 * an overlay inside the folder it builds on ("cycle detected"), and Flux takes in every folder of
 * a path without kustomization.yaml.
 */
export function locateUnits(folder: string, folderInRepo: string, own: FluxKustomization[]): LocatedUnit[] {
  const renaming = own.find((k) => k.namePrefix !== undefined || k.nameSuffix !== undefined);
  if (renaming) {
    throw new UserError(`Flux Kustomization ${renaming.name} (${renaming.file}) renames what it applies (spec.namePrefix/nameSuffix), which the dev overlays do not reproduce: Tilt would apply copies under the old names`);
  }
  // One name in one namespace is one Kustomization, defined once per cluster (clusters/staging,
  // clusters/production): the first definition is the build, whatever the others patch.
  const byName = new Map<string, FluxKustomization[]>();
  for (const k of own) byName.set(`${k.namespace}/${k.name}`, [...(byName.get(`${k.namespace}/${k.name}`) ?? []), k]);
  const groups = new Map<string, FluxKustomization[]>();
  for (const same of byName.values()) {
    const k = same[0]!;
    const key = JSON.stringify([k.path, k.components ?? [], k.patches ?? [], k.images ?? [], k.commonMetadata ?? {}, k.targetNamespace ?? ""]);
    groups.set(key, [...(groups.get(key) ?? []), ...same]);
  }
  const units = [...groups.values()].map((kustomizations) => {
    const first = kustomizations[0]!;
    return {
      name: first.name,
      path: path.posix.relative(folderInRepo, first.path) || ".",
      kustomizations,
      components: (first.components ?? []).map((c) => path.posix.join(first.path, c)),
      patches: [...(first.patches ?? []), ...commonMetadataPatches(first)],
      images: first.images ?? [],
      targetNamespace: first.targetNamespace,
    };
  });
  const flat = units.find((u) => u.path === ".");
  if (flat && (units.length > 1 || folderInRepo === "")) throw flatFolder(folderInRepo, flat.kustomizations[0]!);
  if (flat) return [{ ...flat, devDir: `../${path.posix.basename(folderInRepo)}-dev` }];
  const inDev = units.find((u) => u.path === DEV_OVERLAY_DIR || u.path.startsWith(`${DEV_OVERLAY_DIR}/`));
  if (inDev) throw new UserError(`Flux Kustomization ${inDev.kustomizations[0]!.name} applies ${folderInRepo}/${inDev.path}, where the dev overlays go: point it elsewhere`);
  if (units.length === 1) return [{ ...units[0]!, devDir: DEV_OVERLAY_DIR }];
  if (units.length === 0) {
    // No Kustomization applies the folder: dev builds on base/.
    if (!hasKustomization(path.join(folder, "base"))) throw new UserError(`${folderInRepo || folder} has no base/kustomization.yaml and no Flux Kustomization applies it`);
    return [{ name: "base", path: "base", kustomizations: [], components: [], patches: [], images: [], devDir: DEV_OVERLAY_DIR }];
  }
  const names = new Set<string>();
  return units.map((unit) => {
    // Kustomization names are unique per namespace: a clash across namespaces takes the namespace in.
    const name = names.has(unit.name) ? `${unit.kustomizations[0]!.namespace}-${unit.name}` : unit.name;
    names.add(name);
    return { ...unit, name, devDir: `${DEV_OVERLAY_DIR}/${name}` };
  });
}

/**
 * Flux sets spec.commonMetadata on every object it applies, after the build and on metadata only
 * (never on pod templates or selectors): a patch of every object's metadata does the same.
 */
function commonMetadataPatches(k: FluxKustomization): FluxPatch[] {
  const { labels, annotations } = k.commonMetadata ?? {};
  if (!labels && !annotations) return [];
  const metadata = { name: "any", ...(labels && { labels }), ...(annotations && { annotations }) };
  return [{ patch: stringify({ apiVersion: "v1", kind: "Any", metadata }), target: { name: ".*" }, from: "spec.commonMetadata" }];
}

function flatFolder(folderInRepo: string, k: FluxKustomization): UserError {
  return new UserError(
    `${folderInRepo || "the repository root"} is itself the path Flux Kustomization ${k.name} applies, and holds the paths of others: scaffold each of their folders on its own`,
  );
}
