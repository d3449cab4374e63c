// How Tilt shares a build's objects among the Tiltfile's resources when it loads it: each workload
// is a resource of its own with the Services selecting it, and each selector of a resource's
// `objects` must name exactly one object that no resource holds yet. The generator holds every
// Tiltfile it writes to this before it reports success.
import { apiGroup, isFluxObject, tiltObjectRef, tiltSelector, type KubeObject } from "../repository/manifests.ts";
import type { TiltResource } from "./model.ts";
import { findServices, findWorkloads, workloadsSelectedBy } from "./workloads.ts";

/** The `--storage` a Tiltfile runs with: which dev overlay it applies and which claims it names. */
export const STORAGES = ["live", "local-path", "dev-claims"] as const;
export type Storage = (typeof STORAGES)[number];
/** The storages of the cluster Flux manages, where its objects are applied. */
export const FLUX_STORAGES: readonly Storage[] = ["live", "dev-claims"];

/**
 * The selectors a resource names with this storage, or undefined when the Tiltfile makes no
 * such resource: `lib.local_path_only` makes it on a local cluster only, `lib.group` makes none
 * of nothing, `lib.claims` names Flux's claims, Tilt's own or none, and `lib.with_flux`
 * names Flux's objects only where Flux runs. On a local cluster a HelmRelease's resource holds
 * what its chart renders as Tilt loads (`lib.release_resource`), beyond this check;
 * `lib.service_pods` holds nothing and is always made.
 */
export function resourceSelectors(resource: TiltResource, storage: Storage): string[] | undefined {
  if (resource.localPathOnly && storage !== "local-path") return undefined;
  const claims =
    storage === "live"
      ? []
      : resource.claims.map((c) =>
          tiltObjectRef({
            kind: "PersistentVolumeClaim",
            metadata: { name: storage === "dev-claims" ? c.devName : c.name },
          }),
        );
  const selectors = [...resource.objects, ...(storage === "local-path" ? [] : (resource.fluxObjects ?? [])), ...claims];
  const rendered = resource.release === true && storage === "local-path";
  return resource.workload !== undefined || resource.servicePods !== undefined || rendered || selectors.length > 0
    ? selectors
    : undefined;
}

/** The fragments Tilt knows an object by (its `potentialNames`), lower-case: `name`, `name:kind`, … */
function fragments(object: KubeObject): string[] {
  const parts = [object.metadata.name, object.kind, object.metadata.namespace || "default", apiGroup(object) || "core"];
  return parts.map((_, index) => tiltSelector(parts.slice(0, index + 1)).toLowerCase());
}

/**
 * Why Tilt would refuse to load the Tiltfile's resources over `objects` (what its dev overlay
 * builds for `storage`), or leave one of them uncategorized; undefined when it loads them.
 */
export function tiltObjectsProblem(
  resources: TiltResource[],
  storage: Storage,
  built: KubeObject[],
): string | undefined {
  // A local cluster has no Flux: `lib.apply_build` applies none of Flux's objects there.
  const objects = storage === "local-path" ? built.filter((o) => !isFluxObject(o)) : built;
  const present = resources
    .map((resource) => ({ resource, selectors: resourceSelectors(resource, storage) }))
    .filter((r) => r.selectors !== undefined);
  const names = new Set(present.map(({ resource }) => resource.name));
  const holder = new Map<KubeObject, string>();
  const workloads = findWorkloads(objects);
  for (const workload of workloads) holder.set(workload.object, workload.resource);
  for (const service of findServices(objects)) {
    const selected = workloadsSelectedBy(service, workloads)[0];
    if (selected) holder.set(service.object, selected.resource);
  }
  const byFragment = new Map<string, KubeObject[]>();
  for (const object of objects)
    for (const fragment of fragments(object)) byFragment.set(fragment, [...(byFragment.get(fragment) ?? []), object]);

  for (const { resource, selectors } of present) {
    if (resource.workload !== undefined && !workloads.some((w) => w.resource === resource.workload))
      return `resource ${resource.name} is no workload of the build`;
    const deps = [
      ...resource.resourceDeps,
      ...(FLUX_STORAGES.includes(storage) ? (resource.fluxResourceDeps ?? []) : []),
    ];
    for (const dep of deps) if (!names.has(dep)) return `resource ${resource.name} waits for ${dep}, which it has not`;
    for (const selector of selectors!) {
      const matches = byFragment.get(selector.toLowerCase()) ?? [];
      if (matches.length === 0) return `resource ${resource.name} names ${selector}, which is not in the build`;
      if (matches.length > 1)
        return `resource ${resource.name} names ${selector}, which ${matches.length} objects of the build match`;
      const other = holder.get(matches[0]!);
      if (other !== undefined) return `${selector} is named by both ${other} and ${resource.name}`;
      holder.set(matches[0]!, resource.name);
    }
  }
  const left = objects.find((object) => !holder.has(object));
  if (left) return `no resource holds ${left.kind} ${left.metadata.name}: Tilt would list it as uncategorized`;
  return undefined;
}
