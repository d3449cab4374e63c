// Which changes the API server makes in place. Anything else makes Tilt delete the object and
// create it again (Tilt's escalatingUpdate on "field is immutable" / "Forbidden:"): on the
// cluster Flux manages, that is production data. Each rule follows kube-apiserver's update
// validation for its kind; test/realtools/in-place.test.ts checks them against a real one.
import { isDeepStrictEqual } from "node:util";
import type { KubeObject } from "../repository/manifests.ts";

/** Spec fields an update may change, by kind; a kind not listed may change its whole spec. */
const MUTABLE_SPEC_FIELDS: Record<string, readonly string[] | undefined> = {
  // "spec is immutable after creation except resources.requests and volumeAttributesClassName
  // for bound claims", and growing needs a storage class that expands: taken as fixed.
  PersistentVolumeClaim: [],
  // Taken as fixed too: the volume source, access modes and node affinity cannot change.
  PersistentVolume: [],
  // Only container images and a few scheduling fields may change.
  Pod: [],
  // "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template',
  // 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden".
  StatefulSet: [
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
  ],
  // A Job's pod template and selector are fixed; its pacing is not.
  Job: ["parallelism", "activeDeadlineSeconds", "suspend", "ttlSecondsAfterFinished"],
};

/** Spec fields an update may not change, for kinds whose spec is otherwise mutable. */
const IMMUTABLE_SPEC_FIELDS: Record<string, readonly string[] | undefined> = {
  Deployment: ["selector"],
  ReplicaSet: ["selector"],
  DaemonSet: ["selector"],
  Service: ["clusterIP", "clusterIPs"],
};

/**
 * Kinds whose pod template is immutable. Tilt adds its `app.kubernetes.io/managed-by` label to
 * every pod template it applies, so it can never apply one of these over Flux's: they are left
 * out of what Tilt applies on the Flux cluster.
 */
export const IMMUTABLE_TEMPLATE_KINDS: ReadonlySet<string> = new Set(["Job", "Pod"]);

export interface InPlaceViolation {
  /** `Kind/namespace/name`. */
  object: string;
  /** The spec field (or `data`) the update would change. */
  field: string;
}

/** `namespace` stands in for the object's own, as Flux's `targetNamespace` does. */
export function objectKey(object: KubeObject, namespace?: string): string {
  return `${object.kind}/${namespace ?? object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

/** What an update from `before` to `after` (the same object) would change that cannot change in place. */
export function inPlaceViolationsOf(before: KubeObject, after: KubeObject): string[] {
  const was = (before.spec ?? {}) as Record<string, unknown>;
  const now = (after.spec ?? {}) as Record<string, unknown>;
  const fields = new Set([...Object.keys(was), ...Object.keys(now)]);
  const mutable = MUTABLE_SPEC_FIELDS[after.kind];
  const immutable = IMMUTABLE_SPEC_FIELDS[after.kind] ?? [];
  const changed = [...fields].filter((field) => !isDeepStrictEqual(was[field], now[field]));
  const violations = changed
    .filter((field) => (mutable ? !mutable.includes(field) : immutable.includes(field)))
    .map((f) => `spec.${f}`);
  if ((before.kind === "Secret" || before.kind === "ConfigMap") && before.immutable === true) {
    for (const field of ["data", "stringData", "binaryData", "immutable"])
      if (!isDeepStrictEqual(before[field], after[field])) violations.push(field);
  }
  return violations;
}

/**
 * Every violation of applying `dev` over `flux`, matched by kind, namespace and name; with
 * `targetNamespace`, the namespace Flux puts every object in.
 */
export function inPlaceViolations(flux: KubeObject[], dev: KubeObject[], targetNamespace?: string): InPlaceViolation[] {
  const live = new Map(flux.map((object) => [objectKey(object, targetNamespace), object]));
  return dev.flatMap((object) => {
    const key = objectKey(object, targetNamespace);
    const before = live.get(key);
    if (!before) return [];
    if (IMMUTABLE_TEMPLATE_KINDS.has(object.kind))
      return [{ object: key, field: "spec.template (Tilt labels every pod template it applies)" }];
    return inPlaceViolationsOf(before, object).map((field) => ({ object: key, field }));
  });
}
