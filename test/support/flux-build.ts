// A namespace's dev overlays of one kind as Flux would apply them: each Flux build's overlay built
// by the real kustomize, then substituted by the real `flux envsubst` with that build's variables.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import type { DevBuild, FluxBuild, NamespaceModel } from "../../helpers/namespace/model.ts";
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

/**
 * How the live overlay of one Flux build differs from Flux's build of it, object by object,
 * before substitution: objects it adds or changes beyond the dev changes (the down-policy
 * annotation, replicas, container resources), and Flux's objects it leaves out without a delete.
 */
export async function liveOverlayDifferences(model: NamespaceModel, unit: FluxBuild): Promise<string[]> {
  const patches = unit.live.fluxPatches.map((p) => ({ patch: p.patch, ...(p.target ? { target: JSON.parse(p.target) } : {}) }));
  const flux = await kustomizeObjects(model.folder, unit.path, unit.components, unit.live.namespace, patches);
  const live = await kustomizeObjects(model.folder, unit.live.dir, []);
  const key = (o: Record<string, any>) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
  const fluxByKey = new Map(flux.map((o) => [key(o), o]));
  const deleted = new Set(unit.live.deletes.map((d) => `${d.kind}/${d.name}`));
  const differences: string[] = [];
  for (const object of live) {
    const original = fluxByKey.get(key(object));
    if (!original) differences.push(`${key(object)} is not in Flux's build`);
    else if (JSON.stringify(withoutDevChanges(object, original)) !== JSON.stringify(withoutDevChanges(original, original))) differences.push(`${key(object)} differs beyond the dev changes`);
  }
  const liveKeys = new Set(live.map(key));
  for (const object of flux) {
    if (!liveKeys.has(key(object)) && !deleted.has(`${object.kind}/${object.metadata?.name}`)) differences.push(`${key(object)} is left out without a delete`);
  }
  return differences;
}

async function kustomizeObjects(folder: string, dir: string, components: string[], targetNamespace?: string, patches: unknown[] = []): Promise<Record<string, any>[]> {
  let target = path.join(folder, dir);
  if (components.length > 0 || targetNamespace || patches.length > 0) {
    // kustomize-controller adds spec.components and targetNamespace to the kustomization it builds.
    target = mkdtempSync(path.join(os.tmpdir(), "flux-build-"));
    const rel = (p: string) => path.relative(target, path.join(folder, p));
    const kustomization = { resources: [rel(dir)], components: components.map(rel), patches, ...(targetNamespace && { namespace: targetNamespace }) };
    writeFileSync(path.join(target, "kustomization.yaml"), JSON.stringify(kustomization));
  }
  const built = await execa("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", target]);
  return parseAllDocuments(built.stdout).map((d) => d.toJS()).filter((o) => o);
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
  const pod = copy.spec?.jobTemplate?.spec?.template?.spec ?? copy.spec?.template?.spec ?? (copy.kind === "Pod" ? copy.spec : undefined);
  for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) delete container.resources;
  return copy;
}
