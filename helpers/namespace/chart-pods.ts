// The pods of a HelmRelease's rendered chart, seen as Tilt sees plain manifests: its Services'
// forwards and the labels that find its pods. A Service whose pods the chart does not make (an
// operator makes them, as for kube-prometheus-stack's Prometheus) still gets its forward, found
// through the Service's own selector, when it is in the release's namespace: one the chart puts
// elsewhere (kube-prometheus-stack's coredns, in kube-system) selects pods of other tooling.
import { parseManifests } from "../repository/manifests.ts";
import { devPatches, type WorkloadPatch } from "./dev-patches.ts";
import type { RenderedRelease } from "./helm-releases.ts";
import { resolveServicePorts, type Candidate, type SkippedPort } from "./ports.ts";
import { findServices, findWorkloads, workloadsSelectedBy } from "./workloads.ts";

export interface ChartPods {
  candidates: Candidate[];
  skipped: SkippedPort[];
  /** Tilt's extra_pod_selectors: each long-running workload's selector, and operator Services'. */
  selectors: Record<string, string>[];
  /** What dev changes in the rendered workloads: the rule plain workloads get. */
  devPatches: WorkloadPatch[];
  /** The selector of each Service a candidate forwards to: the pods its forwards reach. */
  serviceSelectors: Record<string, Record<string, string>>;
}

export function chartPods(resource: string, release: RenderedRelease): ChartPods {
  if (release.manifests === undefined)
    return {
      candidates: [],
      skipped: [],
      selectors: [{ "app.kubernetes.io/instance": release.releaseName }],
      devPatches: [],
      serviceSelectors: {},
    };
  const objects = parseManifests(release.manifests, `helm template of ${resource}`);
  const dev = devPatches(findWorkloads(objects));
  const workloads = findWorkloads(objects).filter((w) => w.kind !== "Job" && w.kind !== "CronJob" && w.kind !== "Pod");
  const services = findServices(objects);
  const { candidates, skipped } = resolveServicePorts(services, workloads);
  const selectors = workloads.map((w) => {
    const matchLabels = (w.object.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector
      ?.matchLabels;
    return matchLabels ?? w.template.metadata?.labels ?? {};
  });
  const operatorPorts: Candidate[] = [];
  for (const service of services.filter(
    (s) => Object.keys(s.selector).length > 0 && workloadsSelectedBy(s, workloads).length === 0,
  )) {
    // Reported as selecting no workload of this namespace, which it does not.
    const elsewhere = service.object.metadata.namespace;
    if (release.namespace !== undefined && elsewhere !== undefined && elsewhere !== release.namespace) continue;
    selectors.push(service.selector);
    const tcp = service.ports.filter((p) => (p.protocol ?? "TCP") === "TCP");
    for (const port of tcp) {
      const target = port.targetPort ?? port.port;
      const label = port.name ?? String(port.port);
      if (typeof target !== "number") {
        skipped.push({
          service: service.name,
          port: label,
          reason: `targetPort ${target} is named, and the chart does not make the pods that name it`,
        });
        continue;
      }
      operatorPorts.push({
        resource,
        containerPort: target,
        container: "",
        service: service.name,
        name: tcp.length > 1 ? `${service.name}:${label}` : service.name,
        hostNetwork: false,
      });
    }
  }
  const operatorServices = new Set(operatorPorts.map((c) => c.service));
  const forwarded = new Set([...candidates, ...operatorPorts].map((c) => c.service));
  return {
    candidates: [...candidates.map((c) => ({ ...c, resource })), ...operatorPorts],
    skipped: skipped.filter(
      (s) => !operatorServices.has(s.service) || !s.reason.startsWith("the Service selects no workload"),
    ),
    selectors: unique(selectors.filter((s) => Object.keys(s).length > 0)),
    devPatches: dev,
    serviceSelectors: Object.fromEntries(
      services.filter((s) => forwarded.has(s.name)).map((s) => [s.name, s.selector]),
    ),
  };
}

function unique(selectors: Record<string, string>[]): Record<string, string>[] {
  const seen = new Map(selectors.map((s) => [JSON.stringify(Object.entries(s).sort()), s]));
  return [...seen.values()];
}
