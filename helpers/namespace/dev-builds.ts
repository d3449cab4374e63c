// The three dev builds of a namespace and the Tilt resources that fit them. `live` is what Tilt
// applies on the cluster Flux manages: Flux's build with in-place changes only, the claims and
// what Tilt could only replace left out, everything annotated so `tilt down` keeps it.
// `localPath` is for any other cluster, where nothing exists yet: claims come from local-path.
// `devClaims` is `live` with claims of Tilt's own, for local-path storage on the Flux cluster.
import path from "node:path";
import type { WorkloadPatch } from "./dev-patches.ts";
import type { FluxImage, FluxPatch } from "../repository/flux.ts";
import type { ObjectGroups } from "./grouping.ts";
import { exactTarget, tiltObjectRef, type KubeObject } from "../repository/manifests.ts";
import type { DevBuild, ReleasePatch, TiltResource } from "./model.ts";
import { workloadsSelectedBy, type Service, type Workload } from "./workloads.ts";
import { excludeWithWorkload, isSopsEncrypted, liveExclusions, type Exclusion } from "../live-cluster/exclusions.ts";

/** On the Flux cluster, local-path storage gets claims of its own: `<claim>-dev`. */
export const DEV_CLAIM_SUFFIX = "-dev";

export interface DevBuildInput {
  objects: KubeObject[];
  workloads: Workload[];
  services: Service[];
  groups: ObjectGroups;
  patches: WorkloadPatch[];
  /** Dev caps of HelmReleases' charts, by release ref (`name:helmrelease`). */
  releasePatches?: Map<string, ReleasePatch>;
  /** Repository-relative: the namespace folder and the local-path Component. */
  folderInRepo: string;
  localPathComponent: string;
  /** The folder's Flux builds: `objects` holds all of theirs. */
  units: DevUnitInput[];
  /** Names as kustomize sees them, before Flux substitution. */
  rawName?: (object: KubeObject) => string;
}

export interface DevUnitInput {
  /** Namespace-relative directory of its live overlay; local-path and dev-claims sit below it. */
  devDir: string;
  /** Repository-relative: the directory Flux builds and its Flux components. */
  fluxPath: string;
  fluxComponents: string[];
  /** Repository-relative resources of the kustomization Flux generates for fluxPath when it has none. */
  fluxResources?: string[];
  /** Flux-level patches (`spec.patches`, `spec.commonMetadata`): the dev overlays apply them first, as Flux does. */
  fluxPatches: FluxPatch[];
  fluxImages: FluxImage[];
  targetNamespace?: string;
  /** Tilt refs of the objects it builds. */
  refs: Set<string>;
  /**
   * Objects of Flux's build that are not the folder's (an app folder's path builds its neighbours
   * too), as kustomize builds them, and the name its patches find each by.
   */
  leftOut?: { object: KubeObject; patchName: string }[];
}

/** The three overlays of one Flux build. */
export interface UnitDevBuilds {
  live: DevBuild;
  localPath: DevBuild;
  devClaims: DevBuild;
}

export interface DevBuilds {
  /** One per unit of the input, in its order. */
  units: UnitDevBuilds[];
  liveExclusions: Exclusion[];
  sopsSecrets: string[];
  /**
   * Sorts a resource's objects into its claims (applied by mode) and the rest, and marks one
   * that exists on a local cluster only; undefined for a group left with nothing to apply.
   */
  split(resource: Omit<TiltResource, "localPathOnly" | "claims">): TiltResource | undefined;
}

function devClaimName(claim: KubeObject): string {
  return `${claim.metadata.name}${DEV_CLAIM_SUFFIX}`;
}

function patchRef(patch: WorkloadPatch): string {
  return tiltObjectRef({ kind: patch.kind, metadata: { name: patch.name } });
}

function isClaimRef(ref: string): boolean {
  return ref.endsWith(":persistentvolumeclaim");
}

export function deriveDevBuilds(input: DevBuildInput): DevBuilds {
  const { objects, workloads, services, groups } = input;
  const sops = objects.filter(isSopsEncrypted);
  const excluded = liveExclusions(objects);
  const excludedWorkloads = new Set(excluded.map((e) => e.ref));
  const byRef = new Map(objects.map((object) => [tiltObjectRef(object), object]));
  // Claims that go with a Job: on the Flux cluster, with the Job left to Flux, nothing uses a dev copy.
  const jobClaims = new Set<string>();
  for (const workload of workloads.filter((w) => excludedWorkloads.has(tiltObjectRef(w.object)))) {
    const own = excluded.find((e) => e.ref === tiltObjectRef(workload.object))!;
    const refs = groups.byWorkload.get(workload.resource) ?? [];
    for (const ref of refs.filter(isClaimRef)) jobClaims.add(ref);
    excluded.push(...excludeWithWorkload(own, refs, byRef));
    // Tilt attaches a Service to the workloads it selects: one selecting only excluded ones goes too.
    for (const service of services) {
      const selected = workloadsSelectedBy(service, workloads);
      if (selected.includes(workload) && selected.every((w) => excludedWorkloads.has(tiltObjectRef(w.object)))) {
        excluded.push(...excludeWithWorkload(own, [tiltObjectRef(service.object)], byRef));
      }
    }
  }
  const liveOut = new Set(excluded.map((e) => e.ref));
  const neverApplied = new Set([
    ...sops.map(tiltObjectRef),
    ...objects.filter((o) => o.kind === "PersistentVolume").map(tiltObjectRef),
  ]);
  const rawName = input.rawName ?? ((object: KubeObject) => object.metadata.name);
  const deleteTarget = (object: KubeObject, name = object.metadata.name) => ({
    apiVersion: object.apiVersion,
    kind: object.kind,
    name,
    target: exactTarget(name),
  });
  const target = (ref: string) => deleteTarget(byRef.get(ref)!, rawName(byRef.get(ref)!));

  interface OverlayOptions {
    unit: DevUnitInput;
    dir: string;
    components: string[];
    /** Refs of Flux's objects the overlay leaves out. */
    deletes: string[];
    keepOnDown: boolean;
    /** For a build with claims of its own: the claims it renames to them. */
    devClaims?: KubeObject[];
  }
  const overlay = ({
    unit,
    dir,
    components,
    deletes: allDeletes,
    keepOnDown,
    devClaims: allDevClaims,
  }: OverlayOptions): DevBuild => {
    const fromOverlay = (repoPath: string) => path.posix.relative(path.posix.join(input.folderInRepo, dir), repoPath);
    const deletes = allDeletes.filter((ref) => unit.refs.has(ref));
    const devClaims = allDevClaims?.filter((claim) => unit.refs.has(tiltObjectRef(claim)));
    const left = new Set(deletes);
    const releasePatches = [...(input.releasePatches ?? new Map<string, ReleasePatch>())]
      .filter(([ref]) => unit.refs.has(ref) && !left.has(ref))
      .map(([, patch]) => patch);
    const patches = input.patches.filter((p) => unit.refs.has(patchRef(p)) && !left.has(patchRef(p)));
    return {
      dir,
      fluxPath: unit.fluxPath,
      namespace: unit.targetNamespace,
      resources: (unit.fluxResources ?? [unit.fluxPath]).map(fromOverlay),
      generated: unit.fluxResources !== undefined,
      components: components.map(fromOverlay),
      deletes: [
        ...deletes.map(target),
        ...(unit.leftOut ?? []).map(({ object, patchName }) => ({
          ...deleteTarget(object),
          target: exactTarget(patchName),
        })),
      ],
      fluxPatches: unit.fluxPatches.map((p) => ({
        lines: p.patch.replace(/\n+$/, "").split("\n"),
        from: p.from ?? "spec.patches",
        ...(p.target ? { target: JSON.stringify(p.target) } : {}),
      })),
      images: unit.fluxImages,
      keepOnDown,
      patches,
      releasePatches,
      ownClaims: devClaims !== undefined,
      devClaims: (devClaims ?? []).map((claim) => ({
        target: exactTarget(rawName(claim)),
        rawDevName: `${rawName(claim)}${DEV_CLAIM_SUFFIX}`,
        bound: typeof (claim.spec as { volumeName?: unknown } | undefined)?.volumeName === "string",
      })),
      hasPatches:
        deletes.length > 0 ||
        (unit.leftOut ?? []).length > 0 ||
        patches.length > 0 ||
        releasePatches.length > 0 ||
        unit.fluxPatches.length > 0,
    };
  };
  const sopsRefs = sops.map(tiltObjectRef);
  const liveDeletes = [...sopsRefs, ...excluded.map((e) => e.ref)];
  const devClaims = objects.filter((o) => o.kind === "PersistentVolumeClaim" && !jobClaims.has(tiltObjectRef(o)));
  const renamed = new Set(devClaims.map(tiltObjectRef));
  return {
    units: input.units.map((unit) => ({
      live: overlay({
        unit,
        dir: unit.devDir,
        components: unit.fluxComponents,
        deletes: liveDeletes,
        keepOnDown: true,
      }),
      localPath: overlay({
        unit,
        dir: `${unit.devDir}/local-path`,
        components: [...unit.fluxComponents, input.localPathComponent],
        deletes: sopsRefs,
        keepOnDown: false,
      }),
      // Local-path storage on the Flux cluster: live storage, but with claims of its own.
      devClaims: overlay({
        unit,
        dir: `${unit.devDir}/dev-claims`,
        components: unit.fluxComponents,
        deletes: liveDeletes.filter((ref) => !renamed.has(ref)),
        keepOnDown: true,
        devClaims,
      }),
    })),
    liveExclusions: excluded,
    sopsSecrets: sops.map((s) => s.metadata.name),
    split(resource) {
      const applied = resource.objects.filter((ref) => !neverApplied.has(ref));
      const workload = workloads.find((w) => w.resource === resource.workload);
      if (!workload && applied.length === 0) return undefined;
      const others = applied.filter((ref) => !isClaimRef(ref));
      const onlyLocalPath = workload
        ? liveOut.has(tiltObjectRef(workload.object))
        : others.length > 0 && others.every((ref) => liveOut.has(ref));
      if (onlyLocalPath) return { ...resource, objects: applied, claims: [], localPathOnly: true };
      return {
        ...resource,
        objects: others,
        claims: applied
          .filter(isClaimRef)
          .map((ref) => ({ name: byRef.get(ref)!.metadata.name, devName: devClaimName(byRef.get(ref)!) })),
        localPathOnly: false,
      };
    },
  };
}
