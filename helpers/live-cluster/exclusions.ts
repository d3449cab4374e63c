// What Tilt leaves to Flux. On the cluster Flux manages, Tilt may only change what the API
// server updates in place, and `tilt down` must not delete what Flux made: so the claims and
// volumes holding data, and the objects Tilt could only replace, are not in what Tilt applies.
import { tiltObjectRef, type KubeObject } from "../repository/manifests.ts";
import { IMMUTABLE_TEMPLATE_KINDS } from "./in-place.ts";

export interface Exclusion {
  kind: string;
  name: string;
  /** Tilt's `name:kind` selector. */
  ref: string;
  reason: string;
}

const STORAGE_KINDS = new Set(["PersistentVolumeClaim", "PersistentVolume"]);

function exclusion(object: KubeObject, reason: string): Exclusion {
  return { kind: object.kind, name: object.metadata.name, ref: tiltObjectRef(object), reason };
}

/**
 * A Secret encrypted with SOPS (a top-level `sops:` field, as Flux's decryption expects).
 * Tilt never applies one: the live Secret, which Flux decrypted, stays.
 */
export function isSopsEncrypted(object: KubeObject): boolean {
  return object.kind === "Secret" && typeof object.sops === "object" && object.sops !== null;
}

/** The objects of Flux's build that Tilt leaves alone on the Flux cluster, each with its reason. */
export function liveExclusions(objects: KubeObject[]): Exclusion[] {
  const excluded: Exclusion[] = [];
  for (const object of objects) {
    if (STORAGE_KINDS.has(object.kind)) {
      excluded.push(exclusion(object, "the live one and its data stay"));
    } else if (IMMUTABLE_TEMPLATE_KINDS.has(object.kind)) {
      excluded.push(exclusion(object, "its pod template is immutable and Tilt labels every template it applies"));
    }
  }
  return excluded;
}

/** Objects that only excluded workloads use go with them: `refs` are a workload resource's objects. */
export function excludeWithWorkload(
  workload: Exclusion,
  refs: string[],
  byRef: ReadonlyMap<string, KubeObject>,
): Exclusion[] {
  return refs
    .map((ref) => byRef.get(ref))
    .filter((object): object is KubeObject => object !== undefined && !STORAGE_KINDS.has(object.kind))
    .map((object) => exclusion(object, `it goes with ${workload.kind} ${workload.name}`));
}
