// Workloads and Services of a built namespace, and which Services reach which workloads.
import {
  podTemplateOf,
  specOf,
  tiltObjectRef,
  type Container,
  type KubeObject,
  type PodTemplate,
} from "../repository/manifests.ts";

export interface Workload {
  name: string;
  kind: string;
  /** Tilt's resource name: the workload name, unless two workloads share it. */
  resource: string;
  template: PodTemplate;
  replicas?: number;
  containers: Container[];
  hostNetwork: boolean;
  object: KubeObject;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

export interface Service {
  name: string;
  selector: Record<string, string>;
  headless: boolean;
  ports: ServicePort[];
  object: KubeObject;
}

export function findWorkloads(objects: KubeObject[]): Workload[] {
  const workloads: Workload[] = [];
  for (const object of objects) {
    const template = podTemplateOf(object);
    if (!template) continue;
    const replicas = (object.spec as { replicas?: unknown } | undefined)?.replicas;
    workloads.push({
      name: object.metadata.name,
      kind: object.kind,
      resource: object.metadata.name,
      template,
      replicas: typeof replicas === "number" ? replicas : undefined,
      containers: template.spec?.containers ?? [],
      hostNetwork: template.spec?.hostNetwork === true,
      object,
    });
  }
  // Tilt names a resource after its workload, and adds the kind when two share a name.
  for (const workload of workloads) {
    if (workloads.some((other) => other !== workload && other.name === workload.name)) {
      workload.resource = tiltObjectRef(workload.object);
    }
  }
  return workloads;
}

export function findServices(objects: KubeObject[]): Service[] {
  return objects
    .filter((object) => object.kind === "Service" && object.apiVersion === "v1")
    .map((object) => {
      const spec = specOf(object);
      return {
        name: object.metadata.name,
        selector: (spec.selector ?? {}) as Record<string, string>,
        headless: spec.clusterIP === "None",
        ports: (spec.ports ?? []) as ServicePort[],
        object,
      };
    });
}

/** Workloads whose pod template carries every label of the Service's selector (Tilt's rule too). */
export function workloadsSelectedBy(service: Service, workloads: Workload[]): Workload[] {
  const entries = Object.entries(service.selector);
  if (entries.length === 0) return [];
  return workloads.filter((workload) => {
    const labels = workload.template.metadata?.labels ?? {};
    return entries.every(([key, value]) => labels[key] === value);
  });
}
