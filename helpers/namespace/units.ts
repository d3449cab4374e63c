// The Flux builds of a namespace folder. Each Flux Kustomization whose path lies in the folder is
// built the way Flux builds it (its path, components, patches, images, commonMetadata and
// targetNamespace); Kustomizations with the same spec (one per cluster, say) share one build.
// Each build gets dev overlays of its own.
import path from "node:path";
import { dump } from "js-yaml";
import { UserError } from "../errors.ts";
import {
  matchNamespaceKustomizations,
  type FluxImage,
  type FluxKustomization,
  type FluxPatch,
} from "../repository/flux.ts";
import { hasKustomization, isWithin } from "../repository/files.ts";
import type { ArgoApplication } from "../repository/argocd.ts";

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
   * For an app folder inside the Flux path (`path` above it): the repository-relative folder whose
   * objects, of all the path's build makes, are this unit's.
   */
  only?: string;
  /**
   * Namespace-relative directory of its dev overlays: overlays/dev, overlays/dev/<name> for several,
   * or, for a flat folder, the sibling `../<folder>-dev`.
   */
  devDir: string;
}

/**
 * The Kustomizations a folder's tooling suspends (own) and those above it, left to Flux. A folder
 * that is itself a Flux path (or holds one) holding the paths of others runs those others: that
 * path's Kustomization applies theirs, as any parent does, and keeps running. A folder no Kustomization's
 * path reaches, inside a Flux path (an app folder), is part of the deepest such path's build.
 */
export function applyingKustomizations(
  folder: string,
  folderInRepo: string,
  all: FluxKustomization[],
): { own: FluxKustomization[]; ancestors: FluxKustomization[] } {
  const { own, ancestors } = matchNamespaceKustomizations(folderInRepo, all);
  const parents = own.filter((k) => own.some((other) => other.path !== k.path && isWithin(other.path, k.path)));
  if (parents.length > 0)
    return { own: own.filter((k) => !parents.includes(k)), ancestors: [...parents, ...ancestors] };
  if (own.length > 0 || ancestors.length === 0 || hasKustomization(path.join(folder, "base")))
    return { own, ancestors };
  const deepest = ancestors.reduce((a, b) => (b.path.length > a.path.length ? b : a)).path;
  return { own: ancestors.filter((k) => k.path === deepest), ancestors: ancestors.filter((k) => k.path !== deepest) };
}

/**
 * Groups the folder's own Kustomizations into builds. Without any, dev builds on base/. A flat
 * folder, the path Flux applies itself, gets its dev overlays beside it: kustomize cannot build
 * an overlay inside the folder it builds on ("cycle detected"), and Flux takes in every folder of
 * a path without kustomization.yaml.
 */
export function locateUnits(
  folder: string,
  folderInRepo: string,
  own: FluxKustomization[],
  { ancestors = [], offered = [] }: { ancestors?: FluxKustomization[]; offered?: string[] } = {},
): LocatedUnit[] {
  const renaming = own.find((k) => k.namePrefix !== undefined || k.nameSuffix !== undefined);
  if (renaming) {
    throw new UserError(
      `Flux Kustomization ${renaming.name} (${renaming.file}) renames what it applies (spec.namePrefix/nameSuffix), which the dev overlays do not reproduce: Tilt would apply copies under the old names`,
    );
  }
  // One name in one namespace is one Kustomization, defined once per cluster (clusters/staging,
  // clusters/production): the first definition is the build, whatever the others patch.
  const byName = new Map<string, FluxKustomization[]>();
  for (const k of own) byName.set(`${k.namespace}/${k.name}`, [...(byName.get(`${k.namespace}/${k.name}`) ?? []), k]);
  const groups = new Map<string, FluxKustomization[]>();
  for (const same of byName.values()) {
    const k = same[0]!;
    const key = JSON.stringify([
      k.path,
      k.components ?? [],
      k.patches ?? [],
      k.images ?? [],
      k.commonMetadata ?? {},
      k.targetNamespace ?? "",
    ]);
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
  const flat = units.find((u) => u.path === ".");
  // A parent's path (or the repository root) holds no dev overlays: kustomize cannot build an
  // overlay inside the folder it builds on, and Flux may take in every folder below it.
  const parent = ancestors.find((k) => k.path === folderInRepo);
  if ((flat || parent) && folderInRepo === "")
    throw rootFolder((flat ?? units[0])?.kustomizations[0] ?? parent!, offered);
  if (flat) return [{ ...flat, devDir: `../${path.posix.basename(folderInRepo)}-dev` }];
  const inside = units.find((u) => u.path.startsWith(".."));
  if (inside) return [appFolderUnit(folderInRepo, inside, units)];
  const inDev = units.find((u) => u.path === DEV_OVERLAY_DIR || u.path.startsWith(`${DEV_OVERLAY_DIR}/`));
  if (inDev)
    throw new UserError(
      `Flux Kustomization ${inDev.kustomizations[0]!.name} applies ${folderInRepo}/${inDev.path}, where the dev overlays go: point it elsewhere`,
    );
  const devRoot = parent ? `../${path.posix.basename(folderInRepo)}-dev` : DEV_OVERLAY_DIR;
  if (units.length === 1) return [{ ...units[0]!, devDir: parent ? `${devRoot}/${units[0]!.name}` : devRoot }];
  if (units.length === 0) {
    // No Kustomization applies the folder: dev builds on base/.
    if (!hasKustomization(path.join(folder, "base")))
      throw new UserError(
        `${folderInRepo || folder} has no base/kustomization.yaml and lies in no Flux Kustomization's path${suggest(folderInRepo, offered)}`,
      );
    return [
      {
        name: "base",
        path: "base",
        kustomizations: [],
        applications: [],
        components: [],
        patches: [],
        images: [],
        devDir: DEV_OVERLAY_DIR,
      },
    ];
  }
  const names = new Set<string>();
  return units.map((unit) => {
    // Kustomization names are unique per namespace: a clash across namespaces takes the namespace in.
    const name = names.has(unit.name) ? `${unit.kustomizations[0]!.namespace}-${unit.name}` : unit.name;
    names.add(name);
    return { ...unit, name, devDir: `${devRoot}/${name}` };
  });
}

/**
 * The builds of a folder that Argo CD Applications deploy: one per source path (the same path
 * deployed to several clusters is one build), with dev overlays placed as for Flux's. Argo CD puts
 * the objects that name no namespace in the destination's, which the dev overlay does as a
 * targetNamespace would (parseNamespace checks that no object names another).
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
  const flat = units.find((u) => u.path === ".");
  if (flat && (units.length > 1 || folderInRepo === "")) {
    throw new UserError(
      `${folderInRepo || "the repository root"} is itself the path Argo CD Application ${flat.name} deploys, and holds the paths of others: scaffold each of their folders on its own`,
    );
  }
  if (flat) return [{ ...flat, devDir: `../${path.posix.basename(folderInRepo)}-dev` }];
  const inDev = units.find((u) => u.path === DEV_OVERLAY_DIR || u.path.startsWith(`${DEV_OVERLAY_DIR}/`));
  if (inDev)
    throw new UserError(
      `Argo CD Application ${inDev.name} deploys ${folderInRepo}/${inDev.path}, where the dev overlays go: point it elsewhere`,
    );
  if (units.length === 1) return [{ ...units[0]!, devDir: DEV_OVERLAY_DIR }];
  const names = new Set<string>();
  return units.map((unit) => {
    const name = names.has(unit.name) ? `${unit.applications[0]!.namespace}-${unit.name}` : unit.name;
    names.add(name);
    return { ...unit, name, devDir: `${DEV_OVERLAY_DIR}/${name}` };
  });
}

/** `Flux Kustomization x (file)` or `Argo CD Application x (file)`: what deploys a unit, for messages. */
export function deployerOf(unit: Pick<LocatedUnit, "kustomizations" | "applications">): {
  kind: string;
  namespace: string;
  name: string;
  file: string;
} {
  const first = unit.kustomizations[0] ?? unit.applications[0]!;
  return {
    kind: unit.kustomizations.length > 0 ? "Flux Kustomization" : "Argo CD Application",
    namespace: first.namespace,
    name: first.name,
    file: first.file,
  };
}

/**
 * An app folder inside a Flux path builds that path, as Flux does, and keeps what comes from the
 * folder; of several definitions (one per cluster) the first is the build, and all are suspended.
 * Its dev overlays sit beside the path, under `<path>-dev/`: kustomize cannot build an overlay
 * inside the folder it builds on.
 */
function appFolderUnit(
  folderInRepo: string,
  first: Omit<LocatedUnit, "devDir">,
  units: Omit<LocatedUnit, "devDir">[],
): LocatedUnit {
  const fluxPath = path.posix.join(folderInRepo, first.path);
  const devDir = path.posix.relative(folderInRepo, `${fluxPath}-dev/${path.posix.relative(fluxPath, folderInRepo)}`);
  return { ...first, kustomizations: units.flatMap((u) => u.kustomizations), only: folderInRepo, devDir };
}

/**
 * Flux sets spec.commonMetadata on every object it applies, after the build and on metadata only
 * (never on pod templates or selectors): a patch of every object's metadata does the same.
 */
function commonMetadataPatches(k: FluxKustomization): FluxPatch[] {
  const { labels, annotations } = k.commonMetadata ?? {};
  if (!labels && !annotations) return [];
  const metadata = { name: "any", ...(labels && { labels }), ...(annotations && { annotations }) };
  return [
    {
      patch: dump({ apiVersion: "v1", kind: "Any", metadata }),
      target: { name: ".*" },
      from: "spec.commonMetadata",
    },
  ];
}

function rootFolder(k: FluxKustomization, offered: string[]): UserError {
  return new UserError(
    `the repository root is the path Flux Kustomization ${k.name} applies, where no dev overlay can go beside it${suggest("", offered)}`,
  );
}

/**
 * `: scaffold <folder>` naming folders the picker offers: below this one, else below the nearest
 * folder above it that holds some.
 */
export function suggest(folderInRepo: string, offered: string[]): string {
  for (let dir = folderInRepo; ; dir = path.posix.dirname(dir)) {
    const scope = dir === "." ? "" : dir;
    const below = offered.filter((f) => f !== folderInRepo && isWithin(f, scope));
    if (below.length > 0) {
      const nearest = below.sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b)).slice(0, 2);
      return `: scaffold ${nearest.join(" or ")}, which the picker offers`;
    }
    if (scope === "") return "";
  }
}
