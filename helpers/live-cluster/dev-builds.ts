// The two dev builds of a namespace and the Tilt resources that fit both. `live` is what Tilt
// applies on the cluster Flux manages: Flux's build with in-place changes only, the claims and
// what Tilt could only replace left out, everything annotated so `tilt down` keeps it.
// `localPath` is for any other cluster, where nothing exists yet: claims come from local-path.
import path from "node:path";
import type { WorkloadPatch } from "../dev-overlay.ts";
import type { ObjectGroups } from "../grouping.ts";
import { tiltObjectRef, type KubeObject } from "../manifests.ts";
import type { DevBuild, TiltResource } from "../model.ts";
import { workloadsSelectedBy, type Service, type Workload } from "../workloads.ts";
import { excludeWithWorkload, isSopsEncrypted, liveExclusions, type Exclusion } from "./exclusions.ts";

export const DEV_OVERLAY_DIR = "overlays/dev";
export const DEV_LOCAL_PATH_DIR = `${DEV_OVERLAY_DIR}/local-path`;

export interface DevBuildInput {
  objects: KubeObject[];
  workloads: Workload[];
  services: Service[];
  groups: ObjectGroups;
  patches: WorkloadPatch[];
  /** Repository-relative: the namespace folder, the directory Flux builds, its Flux components. */
  folderInRepo: string;
  fluxPath: string;
  fluxComponents: string[];
  localPathComponent: string;
}

export interface DevBuilds {
  live: DevBuild;
  localPath: DevBuild;
  liveExclusions: Exclusion[];
  sopsSecrets: string[];
  /**
   * Splits a resource's objects into those of both builds and those of local-path only;
   * undefined for a group left with nothing to apply.
   */
  split(resource: Omit<TiltResource, "localPathObjects" | "localPathOnly">): TiltResource | undefined;
}

export function deriveDevBuilds(input: DevBuildInput): DevBuilds {
  const { objects, workloads, services, groups } = input;
  const sops = objects.filter(isSopsEncrypted);
  const excluded = liveExclusions(objects);
  const excludedWorkloads = new Set(excluded.map((e) => e.ref));
  for (const workload of workloads.filter((w) => excludedWorkloads.has(tiltObjectRef(w.object)))) {
    const own = excluded.find((e) => e.ref === tiltObjectRef(workload.object))!;
    excluded.push(...excludeWithWorkload(own, groups.byWorkload.get(workload.resource) ?? [], objects));
    // Tilt attaches a Service to the workloads it selects: one selecting only excluded ones goes too.
    for (const service of services) {
      const selected = workloadsSelectedBy(service, workloads);
      if (selected.includes(workload) && selected.every((w) => excludedWorkloads.has(tiltObjectRef(w.object)))) {
        excluded.push(...excludeWithWorkload(own, [tiltObjectRef(service.object)], objects));
      }
    }
  }
  const liveOut = new Set(excluded.map((e) => e.ref));
  const neverApplied = new Set([...sops.map(tiltObjectRef), ...objects.filter((o) => o.kind === "PersistentVolume").map(tiltObjectRef)]);
  const byRef = new Map(objects.map((object) => [tiltObjectRef(object), object]));
  const target = (ref: string) => {
    const object = byRef.get(ref)!;
    return { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name };
  };
  const patchesOutside = (out: Set<string>) => input.patches.filter((p) => !out.has(`${p.name}:${p.kind.toLowerCase()}`));

  const overlay = (dir: string, components: string[], deletes: string[], keepOnDown: boolean, out: Set<string>): DevBuild => {
    const fromOverlay = (repoPath: string) => path.posix.relative(path.posix.join(input.folderInRepo, dir), repoPath);
    const patches = patchesOutside(out);
    return {
      dir,
      resources: [fromOverlay(input.fluxPath)],
      components: components.map(fromOverlay),
      deletes: deletes.map(target),
      keepOnDown,
      patches,
      hasPatches: keepOnDown || deletes.length > 0 || patches.length > 0,
    };
  };
  const sopsRefs = sops.map(tiltObjectRef);
  return {
    live: overlay(DEV_OVERLAY_DIR, input.fluxComponents, [...sopsRefs, ...excluded.map((e) => e.ref)], true, new Set([...liveOut, ...sopsRefs])),
    localPath: overlay(DEV_LOCAL_PATH_DIR, [...input.fluxComponents, input.localPathComponent], sopsRefs, false, new Set(sopsRefs)),
    liveExclusions: excluded,
    sopsSecrets: sops.map((s) => s.metadata.name),
    split(resource) {
      const applied = resource.objects.filter((ref) => !neverApplied.has(ref));
      const workload = workloads.find((w) => w.resource === resource.workload);
      if (!workload && applied.length === 0) return undefined;
      const onlyLocalPath = workload ? liveOut.has(tiltObjectRef(workload.object)) : applied.every((ref) => liveOut.has(ref));
      if (onlyLocalPath) return { ...resource, objects: applied, localPathObjects: [], localPathOnly: true };
      return { ...resource, objects: applied.filter((ref) => !liveOut.has(ref)), localPathObjects: applied.filter((ref) => liveOut.has(ref)), localPathOnly: false };
    },
  };
}
