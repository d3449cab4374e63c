// The repository's root Tiltfile: every scaffolded namespace, runnable together.
import path from "node:path";
import { UserError } from "../errors.ts";
import { generatorCommand } from "../invocation.ts";
import { toPosix } from "../repository/files.ts";

export interface ScaffoldedNamespace {
  name: string;
  /** Absolute path of the namespace folder. */
  folder: string;
  ports: Record<string, number>;
  /** The clusters whose Flux applies it (clusterOf), none when no Kustomization does. */
  clusters: string[];
}

export interface RootTiltfileModel {
  generatorVersion: string;
  /** What runs the generators where the user is: the header names it. */
  generatorCommand: string;
  /**
   * `within`: the scaffolded folder holding this one (an app of a namespace folder), which runs it
   * already. `apart`: folders that only other clusters' Flux applies (apps/staging beside
   * apps/production): one Tilt runs on one cluster, and they often hold the same objects.
   */
  namespaces: { name: string; tiltfile: string; within?: string; apart?: string[] }[];
  /** The root Tiltfile's WITHIN and APART dicts: the namespaces that have one, with it. */
  within: { name: string; within: string }[];
  apart: { name: string; apart: string[] }[];
  exampleArgs: string;
}

/**
 * Strictly below: a folder does not hold itself. The folders are absolute and normalized (joined
 * to the repository's root), so a prefix says it: path.relative, for every pair of 200 folders,
 * cost a large repository's run 0.15 s.
 */
function isInside(folder: string, parent: string): boolean {
  return folder.startsWith(parent) && folder[parent.length] === path.sep;
}

/** Sorted namespaces with their Tiltfiles; two namespaces that forward the same local port cannot run together. */
export function rootTiltfileModel(
  repoRoot: string,
  namespaces: ScaffoldedNamespace[],
  generatorVersion: string,
): RootTiltfileModel {
  const owner = new Map<number, string>();
  const sorted = [...namespaces].sort((a, b) => a.name.localeCompare(b.name));
  for (const ns of sorted) {
    const names = sorted.filter((other) => other.name === ns.name);
    if (names.length > 1)
      throw new UserError(
        `${ns.name} names two scaffolded folders (${names.map((n) => path.relative(repoRoot, n.folder)).join(", ")}): each needs a Flux Kustomization of its own`,
      );
    for (const port of new Set(Object.values(ns.ports))) {
      const other = owner.get(port);
      if (other) {
        throw new UserError(
          `namespaces ${other} and ${ns.name} both forward local port ${port}: re-run \`${generatorCommand()} namespace -- --folder all\` to renumber them`,
        );
      }
      owner.set(port, ns.name);
    }
  }
  const listed = sorted.map((ns) => {
    const holder = sorted
      .filter((other) => other !== ns && isInside(ns.folder, other.folder))
      .sort((a, b) => b.folder.length - a.folder.length)[0];
    const nested = (other: ScaffoldedNamespace) =>
      isInside(ns.folder, other.folder) || isInside(other.folder, ns.folder);
    const apart = sorted
      .filter((other) => other !== ns && !nested(other) && isApart(ns, other))
      .map((other) => other.name);
    return {
      name: ns.name,
      tiltfile: path.posix.join(toPosix(path.relative(repoRoot, ns.folder)), "Tiltfile"),
      ...(holder && { within: holder.name }),
      ...(apart.length > 0 && { apart }),
    };
  });
  return {
    generatorVersion,
    generatorCommand: generatorCommand(),
    namespaces: listed,
    within: listed.flatMap(({ name, within }) => (within ? [{ name, within }] : [])),
    apart: listed.flatMap(({ name, apart }) => (apart ? [{ name, apart }] : [])),
    exampleArgs: exampleNames(sorted).join(" "),
  };
}

function isApart(a: ScaffoldedNamespace, b: ScaffoldedNamespace): boolean {
  return a.clusters.length > 0 && b.clusters.length > 0 && !a.clusters.some((cluster) => b.clusters.includes(cluster));
}

/** Two outermost folders that run together, for the header's example. */
function exampleNames(sorted: ScaffoldedNamespace[]): string[] {
  const outermost = sorted.filter((ns) => !sorted.some((other) => other !== ns && isInside(ns.folder, other.folder)));
  const [first] = outermost;
  if (!first) return [];
  const second = outermost.find((ns) => ns !== first && !isApart(ns, first));
  return second ? [first.name, second.name] : [first.name];
}
