// Every object of the dev build lands in a Tilt resource, so nothing is "uncategorized":
// with the workload that uses it when one does, else in a named group, named after the folder (`media-storage`).
import { specOf, tiltObjectRef, type KubeObject, type PodSpec } from "../repository/manifests.ts";
import { workloadsSelectedBy, type Service, type Workload } from "./workloads.ts";
import { IMMUTABLE_TEMPLATE_KINDS } from "../live-cluster/in-place.ts";

export interface ObjectGroups {
  /** Tilt resource (workload) → objects it should also own. */
  byWorkload: Map<string, string[]>;
  /** HelmRelease name → its objects (release, chart source, values). */
  helmReleases: { name: string; objects: string[] }[];
  /** Group resource name → objects. */
  groups: { name: string; objects: string[] }[];
  /** Workload resource or HelmRelease → the groups holding objects it shares with others. */
  dependsOn: Map<string, string[]>;
}

const GROUP_OF_KIND: Record<string, string> = {
  Namespace: "namespace",
  ServiceAccount: "namespace",
  Role: "namespace",
  RoleBinding: "namespace",
  ClusterRole: "namespace",
  ClusterRoleBinding: "namespace",
  NetworkPolicy: "namespace",
  LimitRange: "namespace",
  ResourceQuota: "namespace",
  ConfigMap: "config",
  Secret: "config",
  PersistentVolumeClaim: "storage",
  PersistentVolume: "storage",
  Service: "network",
  Ingress: "network",
  IngressRoute: "network",
  IngressRouteTCP: "network",
  IngressRouteUDP: "network",
  Middleware: "network",
  HTTPRoute: "network",
  Certificate: "network",
};

/** Names of the ConfigMaps, Secrets, claims and service account a pod spec refers to. */
function podReferences(spec: PodSpec | undefined): Set<string> {
  const refs = new Set<string>();
  if (!spec) return refs;
  for (const volume of spec.volumes ?? []) {
    if (volume.persistentVolumeClaim) refs.add(`PersistentVolumeClaim/${volume.persistentVolumeClaim.claimName}`);
    if (volume.configMap) refs.add(`ConfigMap/${volume.configMap.name}`);
    if (volume.secret) refs.add(`Secret/${volume.secret.secretName}`);
    for (const source of volume.projected?.sources ?? []) {
      if (source.configMap) refs.add(`ConfigMap/${source.configMap.name}`);
      if (source.secret) refs.add(`Secret/${source.secret.name}`);
    }
  }
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef) refs.add(`ConfigMap/${from.configMapRef.name}`);
      if (from.secretRef) refs.add(`Secret/${from.secretRef.name}`);
    }
    for (const env of container.env ?? []) {
      if (env.valueFrom?.configMapKeyRef) refs.add(`ConfigMap/${env.valueFrom.configMapKeyRef.name}`);
      if (env.valueFrom?.secretKeyRef) refs.add(`Secret/${env.valueFrom.secretKeyRef.name}`);
    }
  }
  for (const pullSecret of spec.imagePullSecrets ?? []) refs.add(`Secret/${pullSecret.name}`);
  if (spec.serviceAccountName) refs.add(`ServiceAccount/${spec.serviceAccountName}`);
  return refs;
}

/** Backend Service names of an Ingress, Traefik IngressRoute or Gateway API HTTPRoute. */
export function routedServices(object: KubeObject): string[] {
  const spec = specOf(object);
  const names: string[] = [];
  if (object.kind === "Ingress") {
    if (spec.defaultBackend?.service?.name) names.push(spec.defaultBackend.service.name);
    for (const rule of spec.rules ?? [])
      for (const p of rule.http?.paths ?? []) if (p.backend?.service?.name) names.push(p.backend.service.name);
  } else if (object.kind.startsWith("IngressRoute")) {
    for (const route of spec.routes ?? [])
      for (const service of route.services ?? []) if (service.name) names.push(service.name);
  } else if (object.kind === "HTTPRoute") {
    for (const rule of spec.rules ?? []) for (const ref of rule.backendRefs ?? []) if (ref.name) names.push(ref.name);
  }
  return names;
}

/** What may be shared, beside a chart source: it goes into its kind's group, which each user depends on. */
const SHAREABLE_KINDS = new Set(["ConfigMap", "Secret"]);

export function groupObjects(
  objects: KubeObject[],
  workloads: Workload[],
  services: Service[],
  prefix: string,
): ObjectGroups {
  const byWorkload = new Map<string, string[]>(workloads.map((w) => [w.resource, []]));
  const groups = new Map<string, string[]>();
  const dependsOn = new Map<string, Set<string>>();
  const releases = objects.filter((o) => o.kind === "HelmRelease");
  const helmReleases: ObjectGroups["helmReleases"] = releases.map((release) => ({
    name: release.metadata.name,
    objects: [tiltObjectRef(release)],
  }));
  const workloadObjects = new Set(workloads.map((w) => w.object));
  // A release uses its chart source and its values. An object shared with a Job or a bare Pod
  // goes with the long-running workload: on the Flux cluster Tilt leaves Jobs and Pods to Flux
  // (see live-cluster/exclusions.ts).
  const users = [
    ...releases.map((release, index) => ({
      name: release.metadata.name,
      refs: releaseReferences(release),
      objects: helmReleases[index]!.objects,
      release: true,
    })),
    ...[...workloads]
      .sort((a, b) => Number(IMMUTABLE_TEMPLATE_KINDS.has(a.kind)) - Number(IMMUTABLE_TEMPLATE_KINDS.has(b.kind)))
      .map((w) => ({
        name: w.resource,
        refs: podReferences(w.template.spec),
        objects: byWorkload.get(w.resource)!,
        release: false,
      })),
  ];
  const serviceOwner = new Map(services.map((s) => [s.name, workloadsSelectedBy(s, workloads)[0]]));

  for (const object of objects) {
    if (workloadObjects.has(object) || object.kind === "HelmRelease") continue;
    // Tilt attaches a Service to the workloads it selects by itself.
    if (object.kind === "Service" && serviceOwner.get(object.metadata.name)) continue;
    const key = `${object.kind}/${object.metadata.name}`;
    const group = `${prefix}-${GROUP_OF_KIND[object.kind] ?? (object.apiVersion.includes("fluxcd.io") ? "flux-objects" : "resources")}`;
    const objectUsers = users.filter(({ refs }) => refs.has(key));
    // Tilt takes an object for the first resource that names it and fails on the second: a
    // shared one goes into its group, which every user waits for.
    if (objectUsers.length > 1 && (SHAREABLE_KINDS.has(object.kind) || objectUsers.some((u) => u.release))) {
      for (const { name } of objectUsers) dependsOn.set(name, new Set([...(dependsOn.get(name) ?? []), group]));
      groups.set(group, [...(groups.get(group) ?? []), tiltObjectRef(object)]);
      continue;
    }
    const routedTo = routedServices(object)
      .map((name) => serviceOwner.get(name))
      .find((w) => w !== undefined);
    const owner = objectUsers[0]?.objects ?? (routedTo && byWorkload.get(routedTo.resource));
    if (owner) owner.push(tiltObjectRef(object));
    else groups.set(group, [...(groups.get(group) ?? []), tiltObjectRef(object)]);
  }
  return {
    byWorkload,
    helmReleases,
    groups: [...groups].map(([name, refs]) => ({ name, objects: refs })).sort((a, b) => a.name.localeCompare(b.name)),
    dependsOn: new Map([...dependsOn].map(([name, deps]) => [name, [...deps].sort()])),
  };
}

/** `Kind/name` of a HelmRelease's chart source and of its values. */
function releaseReferences(release: KubeObject): Set<string> {
  const spec = specOf(release);
  const source = spec.chart?.spec?.sourceRef ?? spec.chartRef;
  const values = ((spec.valuesFrom ?? []) as { kind: string; name: string }[]).map((v) => `${v.kind}/${v.name}`);
  return new Set([...(source ? [`${source.kind}/${source.name}`] : []), ...values]);
}
