// Tilt forwards every port of a resource to one of the pods it finds, the newest. A HelmRelease
// whose chart runs several kinds of pods (kube-prometheus-stack: Grafana, the operator, and the
// Prometheus and Alertmanager the operator makes) would send each forward to any of them, so each
// Service its forwards reach gets a resource of its own that finds that Service's pods only.
import type { ChartPods } from "./chart-pods.ts";
import type { TiltResource } from "./model.ts";
import type { PortForward } from "./ports.ts";

/** Suffix of the resource that holds a Service's forwards: `<service>-forward`. */
export const SERVICE_PODS_SUFFIX = "-forward";

/** `resources` with the forwards of each release of several pod groups moved to one resource per Service. */
export function splitReleaseForwards(resources: TiltResource[], charts: Map<string, ChartPods>): TiltResource[] {
  const names = new Set(resources.map((r) => r.name));
  return resources.flatMap((resource) => {
    const chart = charts.get(resource.name);
    if (!resource.release || chart === undefined || chart.selectors.length < 2) return [resource];
    const byService = new Map<string, PortForward[]>();
    const kept: PortForward[] = [];
    for (const forward of resource.portForwards) {
      const service = serviceOf(forward, chart);
      const name = service && `${service}${SERVICE_PODS_SUFFIX}`;
      if (service === undefined || names.has(name!)) kept.push(forward);
      else byService.set(service, [...(byService.get(service) ?? []), forward]);
    }
    const split: TiltResource[] = [...byService].map(([service, portForwards]) => ({
      name: `${service}${SERVICE_PODS_SUFFIX}`,
      attach: [`service/${service}`],
      servicePods: { service, release: resource.name },
      objects: [],
      fluxObjects: [],
      claims: [],
      localPathOnly: false,
      portForwards,
      extraPodSelectors: [chart.serviceSelectors[service]!],
      resourceDeps: [resource.name],
      fluxResourceDeps: [],
      notes: [],
    }));
    const unplaced = kept.map(
      (f) =>
        `${f.name} (${f.containerPort}) goes to whichever of ${resource.name}'s pods is newest: its chart runs several kinds of pods and no Service of it has that port`,
    );
    return [{ ...resource, portForwards: kept, notes: [...resource.notes, ...unplaced] }, ...split];
  });
}

/** The Service whose pods a forward reaches: its own, or for a `--forward`, the chart's Service of that port. */
function serviceOf(forward: PortForward, chart: ChartPods): string | undefined {
  if (forward.service in chart.serviceSelectors) return forward.service;
  return chart.candidates.find((c) => c.containerPort === forward.containerPort && c.service in chart.serviceSelectors)
    ?.service;
}
