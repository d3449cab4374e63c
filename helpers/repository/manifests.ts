// Kubernetes objects as plain data, and the few typed views the inspection needs.
import { loadAll } from "js-yaml";
import { UserError } from "../errors.ts";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * A spec as a user's YAML holds it, read field by field: each field is checked (typeof) or
 * coerced (String) where it is used, so its static type says nothing.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one untyped view of user YAML; fields are checked where read
export type UncheckedSpec = Record<string, any>;

/** The spec of `object`, or an empty one. */
export const specOf = (object: KubeObject): UncheckedSpec => object.spec ?? {};

/**
 * Parses a multi-document YAML stream (e.g. kustomize output) into objects. js-yaml, not
 * `yaml`: this is a read-only bulk parse on the hot path, and js-yaml is several times faster.
 */
export function parseManifests(text: string, source: string): KubeObject[] {
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (error) {
    throw new UserError(`${source}: invalid YAML: ${(error as Error).message}`);
  }
  return docs.filter(isKubeObject);
}

export function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== "object" || value === null) return false;
  const { apiVersion, kind, metadata } = value as Record<string, unknown>;
  return (
    typeof apiVersion === "string" &&
    typeof kind === "string" &&
    typeof metadata === "object" &&
    metadata !== null &&
    typeof (metadata as Record<string, unknown>).name === "string"
  );
}

/** `apiVersion` without its version: `apps/v1` → `apps`, `v1` → `` (core). */
export function apiGroup(object: KubeObject): string {
  const slash = object.apiVersion.lastIndexOf("/");
  return slash < 0 ? "" : object.apiVersion.slice(0, slash);
}

/** Flux's own objects (HelmRelease, HelmRepository, Kustomization, …): a cluster without Flux has no CRD for them. */
export function isFluxObject(object: KubeObject): boolean {
  return apiGroup(object).endsWith(".toolkit.fluxcd.io");
}

/**
 * Parts joined as Tilt joins a selector (`name:kind:namespace:group`, its `SelectorStringFromParts`):
 * a `:` or a backslash in a part gets a backslash before it, so `system\:auth:clusterrole` is
 * the ClusterRole `system:auth`, where `system:auth:clusterrole` would read as a namespace.
 */
export function tiltSelector(parts: string[]): string {
  return parts.map((part) => part.replace(/[\\:]/g, (c) => `\\${c}`)).join(":");
}

/** One object of one build, whatever Tilt calls it: group, kind, namespace and name. */
export function objectKey(object: KubeObject): string {
  return [apiGroup(object), object.kind, object.metadata.namespace ?? "", object.metadata.name].join("/");
}

/** Tilt's object selector, `name:kind`, lower-case as Tilt prints it. */
export function tiltObjectRef(object: Pick<KubeObject, "kind" | "metadata">): string {
  return tiltSelector([object.metadata.name, object.kind.toLowerCase()]);
}

// ---- typed views of the parts of a pod template we read ----

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface Container {
  name: string;
  ports?: ContainerPort[];
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
  env?: { name: string; valueFrom?: { configMapKeyRef?: { name: string }; secretKeyRef?: { name: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
}

export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  configMap?: { name: string };
  secret?: { secretName: string };
  projected?: { sources?: { configMap?: { name: string }; secret?: { name: string } }[] };
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  hostNetwork?: boolean;
  serviceAccountName?: string;
  imagePullSecrets?: { name: string }[];
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec?: PodSpec;
}

export interface PersistentVolumeClaimSpec {
  storageClassName?: string;
  accessModes?: string[];
  volumeName?: string;
  resources?: { requests?: { storage?: string } };
}

/** The pod template of a workload kind, or undefined for anything else. */
export function podTemplateOf(object: KubeObject): PodTemplate | undefined {
  const spec = object.spec as UncheckedSpec | undefined;
  switch (object.kind) {
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job":
      return spec?.template;
    case "CronJob":
      return spec?.jobTemplate?.spec?.template;
    case "Pod":
      return { metadata: object.metadata, spec: spec as PodSpec };
    default:
      return undefined;
  }
}

/**
 * An object's name as kustomize sees it, before Flux substitutes its variables (`${APP}`):
 * objects of the substituted build paired with the raw build's, document by document.
 */
export function rawNames(raw: KubeObject[], substituted: KubeObject[]): (object: KubeObject) => string {
  const names = new Map<KubeObject, string>();
  if (raw.length === substituted.length)
    substituted.forEach((object, index) => names.set(object, raw[index]!.metadata.name));
  return (object) => names.get(object) ?? object.metadata.name;
}

/** A kustomize patch target for exactly this name: target names are regular expressions. */
export function exactTarget(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
