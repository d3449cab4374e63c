// Flux Kustomizations as Flux applies them. A Kustomization that another one's path takes in is
// what that parent's build makes of it: a kustomization.yaml on the way may put it in a namespace
// (`kubernetes/apps/<ns>/kustomization.yaml` with `namespace: <ns>` over ks.yaml files without
// one), and the parent's own spec.patches may add to its spec (HelmRelease defaults for every
// app). kustomize builds what takes each child in, with the parent's Flux additions on top.
import path from "node:path";
import { findFluxKustomizations, FLUX_KUSTOMIZE_GROUP, kustomizationAbove, type FluxKustomization } from "./flux.ts";
import { hasKustomization, isWithin, type RepoObject } from "./files.ts";
import { parseManifests, type KubeObject } from "./manifests.ts";
import { kustomizeBuildMany, type BuildTarget } from "./tools.ts";

function isFluxKustomization(object: KubeObject): boolean {
  return object.kind === "Kustomization" && object.apiVersion.startsWith(`${FLUX_KUSTOMIZE_GROUP}/`);
}

/** A parent's build of the directory that takes in some of its children. */
interface ChildBuild {
  parent: FluxKustomization;
  /** Repository-relative: the directory built, which holds the children's files. */
  dir: string;
  target: BuildTarget;
}

/** The repository's objects with each Flux Kustomization that a parent builds replaced by the parent's build of it. */
export async function asAppliedByParents(root: string, objects: RepoObject[]): Promise<RepoObject[]> {
  let current = objects;
  const done = new Set<string>();
  // Outermost parents first: a parent that another takes in is built as that one applies it.
  for (;;) {
    const kustomizations = findFluxKustomizations(current);
    const parents = kustomizations.filter(
      (k) => !done.has(key(k)) && kustomizations.some((child) => takesInFile(k, child.file)),
    );
    const outermost = parents.filter((p) => !parents.some((other) => other !== p && takesInFile(other, p.file)));
    if (outermost.length === 0) return current;
    for (const parent of outermost) done.add(key(parent));
    const builds = outermost.flatMap((parent) => childBuilds(root, parent, kustomizations));
    current = replaceChildren(current, builds, await kustomizeBuildMany(builds.map((b) => b.target)));
  }
}

function key(k: FluxKustomization): string {
  return `${k.file}#${k.namespace}/${k.name}`;
}

function takesInFile(parent: FluxKustomization, file: string): boolean {
  return isWithin(file, parent.path) && file !== parent.file;
}

/**
 * The directories whose kustomization.yaml takes in the parent's children, each built with what
 * the parent adds. A child in a plain file of a folder without kustomization.yaml is taken in as
 * written, which only the parent's own additions would change: it is kept as written.
 */
function childBuilds(root: string, parent: FluxKustomization, all: FluxKustomization[]): ChildBuild[] {
  const dirs = new Set<string>();
  for (const child of all.filter((k) => takesInFile(parent, k.file))) {
    const dir = path.posix.dirname(child.file) === "." ? "" : path.posix.dirname(child.file);
    const takenInBy =
      kustomizationAbove(root, parent.path, dir) ?? (hasKustomization(path.join(root, dir)) ? dir : undefined);
    if (takenInBy !== undefined) dirs.add(takenInBy);
  }
  return [...dirs].map((dir) => ({
    parent,
    dir,
    target: {
      dir: path.join(root, dir),
      label: dir || ".",
      components: (parent.components ?? []).map((c) => path.join(root, parent.path, c)),
      patches: parent.patches,
      images: parent.images,
      namespace: parent.targetNamespace,
    },
  }));
}

/**
 * Each built Kustomization replaces the repository's one of its name whose file the parent takes
 * in below the directory built; of several, the one written in the namespace it was built in (a
 * kustomization.yaml's `namespace:` overrides the one a file names). A build that fails keeps its
 * children as written: the folder's own build reports what is wrong.
 */
function replaceChildren(objects: RepoObject[], builds: ChildBuild[], outputs: (string | Error)[]): RepoObject[] {
  const replaced = new Map<RepoObject, KubeObject>();
  builds.forEach(({ parent, dir, target }, index) => {
    const built = outputs[index];
    if (typeof built !== "string") return;
    for (const object of parseManifests(built, target.label).filter(isFluxKustomization)) {
      const named = objects.filter(
        ({ object: raw, file }) =>
          isFluxKustomization(raw) &&
          raw.metadata.name === object.metadata.name &&
          takesInFile(parent, file) &&
          isWithin(file, dir),
      );
      const candidates =
        named.length > 1
          ? named.filter(({ object: raw }) => raw.metadata.namespace === object.metadata.namespace)
          : named;
      if (candidates.length === 1) replaced.set(candidates[0]!, object);
    }
  });
  return objects.map((o) => (replaced.has(o) ? { ...o, object: replaced.get(o)! } : o));
}
