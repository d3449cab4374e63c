// A namespace's dev overlays of one kind as Flux would apply them: each Flux build's overlay built
// by the real kustomize, then substituted by the real `flux envsubst` with that build's variables.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import type { DevBuild, FluxBuild, NamespaceModel } from "../../helpers/namespace/model.ts";
import type { FluxKustomization } from "../../helpers/repository/flux.ts";
import { toolPath } from "./cluster.ts";

export type DevBuildKind = "live" | "localPath" | "devClaims";

export async function buildAsFlux(
  model: NamespaceModel,
  kind: DevBuildKind,
  options: { strict?: boolean } = {},
): Promise<{ build: DevBuild; text: string }[]> {
  return Promise.all(
    model.builds.map(async (unit) => {
      const build = unit[kind];
      const built = await execa("kubectl", [
        "kustomize",
        "--load-restrictor",
        "LoadRestrictionsNone",
        path.join(model.folder, build.dir),
      ]);
      if (!unit.substitutes) return { build, text: built.stdout };
      const variables = Object.fromEntries(unit.variables.map((v) => [v.name, v.value ?? ""]));
      const args = ["envsubst", ...(options.strict ? ["--strict"] : [])];
      const substituted = await execa(toolPath("flux"), args, {
        input: built.stdout,
        env: variables,
        extendEnv: false,
      });
      return { build, text: substituted.stdout };
    }),
  );
}

/**
 * How the live overlay of one Flux build differs from Flux's build of it (the real `flux build`),
 * object by object, before substitution: objects it adds or changes beyond the dev changes (the
 * down-policy annotation, replicas, container resources), and Flux's objects it leaves out
 * without a delete.
 */
export async function liveOverlayDifferences(model: NamespaceModel, unit: FluxBuild): Promise<string[]> {
  const flux = await fluxBuildUnsubstituted(model, unit);
  const live = await kustomizeObjects(path.join(model.folder, unit.live.dir));
  const key = (o: Record<string, any>) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
  const fluxByKey = new Map(flux.map((o) => [key(o), o]));
  const deleted = new Set(unit.live.deletes.map((d) => `${d.kind}/${d.name}`));
  const differences: string[] = [];
  for (const object of live) {
    const original = fluxByKey.get(key(object));
    if (!original) differences.push(`${key(object)} is not in Flux's build`);
    else if (
      JSON.stringify(withoutDevChanges(object, original)) !== JSON.stringify(withoutDevChanges(original, original))
    )
      differences.push(`${key(object)} differs beyond the dev changes`);
  }
  const liveKeys = new Set(live.map(key));
  for (const object of flux) {
    if (!liveKeys.has(key(object)) && !deleted.has(`${object.kind}/${object.metadata?.name}`))
      differences.push(`${key(object)} is left out without a delete`);
  }
  return differences;
}

/** Flux's labels naming the Kustomization that applied an object: on the cluster, never in what Tilt applies. */
const OWNER_LABELS = ["kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace"];

/**
 * `flux build --dry-run` of the build's first Kustomization, as Flux applies it, with its
 * postBuild taken out: Flux's own generator adds what it adds (components, patches, images,
 * commonMetadata, targetNamespace) and nothing is substituted, as in the overlay's kustomize build.
 */
async function fluxBuildUnsubstituted(model: NamespaceModel, unit: FluxBuild): Promise<Record<string, any>[]> {
  const k = model.flux.kustomizations.find(
    (candidate) => `${candidate.namespace}/${candidate.name}` === unit.kustomizations[0],
  );
  if (!k) return kustomizeObjects(path.join(model.folder, unit.path));
  const object = await appliedKustomization(model, k);
  delete object.spec.postBuild;
  const objects = await fluxBuild(
    model.repoRoot,
    { ...object, metadata: { ...object.metadata, namespace: k.namespace } },
    k.path,
  );
  for (const o of objects) {
    for (const label of OWNER_LABELS) delete o.metadata?.labels?.[label];
    if (o.metadata?.labels && Object.keys(o.metadata.labels).length === 0) delete o.metadata.labels;
  }
  return objects;
}

/** The Kustomization as Flux applies it: from the build of the nearest ancestor that holds it, else as written. */
export async function appliedKustomization(model: NamespaceModel, k: FluxKustomization): Promise<Record<string, any>> {
  const isIt = (o: Record<string, any>) =>
    o?.kind === "Kustomization" &&
    String(o.apiVersion).startsWith("kustomize.toolkit.fluxcd.io/") &&
    o.metadata?.name === k.name;
  for (const parent of [...model.flux.ancestors].sort((a, b) => b.path.length - a.path.length)) {
    const key = `${model.repoRoot}#${parent.file}#${parent.name}`;
    if (!ancestorBuilds.has(key))
      ancestorBuilds.set(key, fluxBuild(model.repoRoot, writtenKustomization(model.repoRoot, parent), parent.path));
    // By name: the namespace is the parent build's to say; by namespace too when the name is not enough.
    const named = (await ancestorBuilds.get(key)!).filter(isIt);
    const found =
      named.length > 1 ? named.find((o) => (o.metadata.namespace ?? "flux-system") === k.namespace) : named[0];
    if (found) return structuredClone(found);
  }
  return writtenKustomization(model.repoRoot, k);
}

const ancestorBuilds = new Map<string, Promise<Record<string, any>[]>>();

function writtenKustomization(root: string, k: FluxKustomization): Record<string, any> {
  const text = readFileSync(path.join(root, k.file), "utf8");
  const object = parseAllDocuments(text)
    .map((d) => d.toJS())
    .find((o) => o?.kind === "Kustomization" && o.metadata?.name === k.name);
  return { ...object, metadata: { ...object.metadata, namespace: object.metadata?.namespace ?? "flux-system" } };
}

/** `flux build kustomization --dry-run --in-memory-build` of this Kustomization object over `fluxPath`. */
async function fluxBuild(root: string, object: Record<string, any>, fluxPath: string): Promise<Record<string, any>[]> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "flux-ks-")), "ks.yaml");
  writeFileSync(file, JSON.stringify(object));
  const args = [
    "build",
    "kustomization",
    object.metadata.name,
    "-n",
    object.metadata.namespace,
    "--path",
    path.join(root, fluxPath),
    "--kustomization-file",
    file,
    "--dry-run",
    "--in-memory-build",
  ];
  const built = await execa(toolPath("flux"), args, { cwd: root, env: { KUBECONFIG: "/nonexistent" } });
  return parseAllDocuments(built.stdout)
    .map((d) => d.toJS())
    .filter((o) => o);
}

async function kustomizeObjects(dir: string): Promise<Record<string, any>[]> {
  const built = await execa("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", dir]);
  return parseAllDocuments(built.stdout)
    .map((d) => d.toJS())
    .filter((o) => o);
}

/** The object without what dev changes: for a HelmRelease, the post-renderer added after Flux's own. */
function withoutDevChanges(object: Record<string, any>, original: Record<string, any>): Record<string, any> {
  const copy = structuredClone(object);
  if (copy.kind === "HelmRelease" && Array.isArray(copy.spec?.postRenderers)) {
    const own = (original.spec?.postRenderers ?? []) as unknown[];
    copy.spec.postRenderers = copy.spec.postRenderers.slice(0, own.length);
    if (own.length === 0) delete copy.spec.postRenderers;
  }
  const annotations = copy.metadata?.annotations;
  if (annotations) {
    delete annotations["tilt.dev/down-policy"];
    if (Object.keys(annotations).length === 0) delete copy.metadata.annotations;
  }
  if (copy.spec && typeof copy.spec === "object") delete copy.spec.replicas;
  const pod =
    copy.spec?.jobTemplate?.spec?.template?.spec ??
    copy.spec?.template?.spec ??
    (copy.kind === "Pod" ? copy.spec : undefined);
  for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) delete container.resources;
  return copy;
}
