// The Flux builds of a namespace folder. Each Flux Kustomization whose path lies in the folder is
// built the way Flux builds it (its path, components, patches, images, commonMetadata and
// targetNamespace); Kustomizations with the same spec (one per cluster, say) share one build.
// Each build gets dev overlays of its own.
import path from "node:path";
import { stringify } from "yaml";
import { UserError } from "../errors.ts";
import type { FluxImage, FluxKustomization, FluxPatch } from "../repository/flux.ts";
import type { ArgoApplication } from "../repository/argocd.ts";
import { hasKustomization } from "../repository/files.ts";

export const DEV_OVERLAY_DIR = "overlays/dev";

/** One Flux build of the folder, before it is built. */
export interface LocatedUnit {
  /** Tilt's and the overlays' name for it: its first Kustomization's name, or `base`. */
  name: string;
  /** Namespace-relative directory Flux builds (overlays/prod, base, sonarr/app, …). */
  path: string;
  kustomizations: FluxKustomization[];
  /** Or the Argo CD Applications that deploy it (a folder is Flux's or Argo CD's, never both's). */
  applications: ArgoApplication[];
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
      applications: [],
      components: (first.components ?? []).map((c) => path.posix.join(first.path, c)),
      patches: [...(first.patches ?? []), ...commonMetadataPatches(first)],
      images: first.images ?? [],
      targetNamespace: first.targetNamespace,
    };
  });
  if (units.length === 0) {
    // No Kustomization applies the folder: dev builds on base/.
    if (!hasKustomization(path.join(folder, "base"))) throw new UserError(`${folderInRepo || folder} has no base/kustomization.yaml and no Flux Kustomization applies it`);
    return [{ name: "base", path: "base", kustomizations: [], applications: [], components: [], patches: [], images: [], devDir: DEV_OVERLAY_DIR }];
  }
  return withDevDirs(folderInRepo, units);
}

/**
 * The builds of a folder that Argo CD Applications deploy: one per source path (the same path
 * deployed to several clusters is one build). Argo CD puts the objects that name no namespace in
 * the destination's, which the dev overlay does as a targetNamespace would (parseNamespace checks
 * that no object names another).
 */
export function locateApplicationUnits(folderInRepo: string, applications: ArgoApplication[]): LocatedUnit[] {
  const byPath = new Map<string, ArgoApplication[]>();
  for (const a of applications) byPath.set(a.path, [...(byPath.get(a.path) ?? []), a]);
  const units = [...byPath.values()].map((same) => ({
    name: same[0]!.name,
    path: path.posix.relative(folderInRepo, same[0]!.path) || ".",
    kustomizations: [],
    applications: same,
    components: [],
    patches: [],
    images: [],
    targetNamespace: same[0]!.destinationNamespace,
  }));
  return withDevDirs(folderInRepo, units);
}

/** `Flux Kustomization x (file)` or `Argo CD Application x (file)`: what deploys a unit, for messages. */
export function deployerOf(unit: Pick<LocatedUnit, "kustomizations" | "applications">): { kind: string; namespace: string; name: string; file: string } {
  const first = unit.kustomizations[0] ?? unit.applications[0]!;
  return { kind: unit.kustomizations.length > 0 ? "Flux Kustomization" : "Argo CD Application", namespace: first.namespace, name: first.name, file: first.file };
}

function withDevDirs(folderInRepo: string, units: Omit<LocatedUnit, "devDir">[]): LocatedUnit[] {
  const flat = units.find((u) => u.path === ".");
  if (flat && (units.length > 1 || folderInRepo === "")) throw flatFolder(folderInRepo, deployerOf(flat));
  if (flat) return [{ ...flat, devDir: `../${path.posix.basename(folderInRepo)}-dev` }];
  const inDev = units.find((u) => u.path === DEV_OVERLAY_DIR || u.path.startsWith(`${DEV_OVERLAY_DIR}/`));
  if (inDev) throw new UserError(`${deployerOf(inDev).kind} ${deployerOf(inDev).name} applies ${folderInRepo}/${inDev.path}, where the dev overlays go: point it elsewhere`);
  if (units.length === 1) return [{ ...units[0]!, devDir: DEV_OVERLAY_DIR }];
  const names = new Set<string>();
  return units.map((unit) => {
    // Names are unique per namespace: a clash across namespaces takes the namespace in.
    const name = names.has(unit.name) ? `${deployerOf(unit).namespace}-${unit.name}` : unit.name;
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

function flatFolder(folderInRepo: string, deployer: { kind: string; name: string }): UserError {
  return new UserError(
    `${folderInRepo || "the repository root"} is itself the path ${deployer.kind} ${deployer.name} applies, and holds the paths of others: scaffold each of their folders on its own`,
  );
}
