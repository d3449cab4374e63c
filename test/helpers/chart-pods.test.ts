// chartPods: a rendered chart's forwards and pod selectors, from small in-memory charts.
import { describe, expect, it } from "vitest";
import { chartPods } from "../../helpers/namespace/chart-pods.ts";
import type { TiltResource } from "../../helpers/namespace/model.ts";
import { splitReleaseForwards } from "../../helpers/namespace/service-pods.ts";

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: grafana}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: grafana}}
  template:
    metadata: {labels: {app.kubernetes.io/name: grafana, pod-template-hash: x}}
    spec: {containers: [{name: grafana, image: grafana, ports: [{name: web, containerPort: 3000}]}]}
`;
const service = (name: string, selector: string, ports: string) => `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec: {selector: {${selector}}, ports: [${ports}]}
`;

describe("chartPods", () => {
  it("forwards a Service's named targetPort to the container port of the pods the chart makes", () => {
    const manifests = [
      deployment,
      service("grafana", "app.kubernetes.io/name: grafana", "{name: http, port: 80, targetPort: web}"),
    ].join("---\n");
    const pods = chartPods("monitoring", { releaseName: "monitoring", manifests, notes: [] });
    expect(pods.candidates.map((c) => [c.resource, c.containerPort, c.service])).toEqual([
      ["monitoring", 3000, "grafana"],
    ]);
    expect(pods.selectors).toEqual([{ "app.kubernetes.io/name": "grafana" }]);
  });

  it("forwards a Service whose pods an operator makes through the Service's own selector", () => {
    const manifests = [
      deployment,
      service(
        "prometheus",
        "app.kubernetes.io/name: prometheus",
        "{name: web, port: 9090, targetPort: 9090}, {name: reloader, port: 8080, targetPort: reloader-web}",
      ),
    ].join("---\n");
    const pods = chartPods("monitoring", { releaseName: "monitoring", manifests, notes: [] });
    expect(pods.candidates.map((c) => [c.containerPort, c.name])).toEqual([[9090, "prometheus:web"]]);
    expect(pods.selectors).toEqual([
      { "app.kubernetes.io/name": "grafana" },
      { "app.kubernetes.io/name": "prometheus" },
    ]);
    expect(pods.skipped).toEqual([
      {
        service: "prometheus",
        port: "reloader",
        reason: "targetPort reloader-web is named, and the chart does not make the pods that name it",
      },
    ]);
  });

  it("leaves out a Service the chart puts in another namespace: its selector finds pods of other tooling", () => {
    const coredns = service("coredns", "k8s-app: kube-dns", "{name: metrics, port: 9153, targetPort: 9153}").replace(
      "{name: coredns}",
      "{name: coredns, namespace: kube-system}",
    );
    const pods = chartPods("monitoring", {
      releaseName: "monitoring",
      namespace: "monitoring",
      manifests: [deployment, coredns].join("---\n"),
      notes: [],
    });
    expect([pods.candidates, pods.selectors]).toEqual([[], [{ "app.kubernetes.io/name": "grafana" }]]);
    expect(pods.skipped).toEqual([
      { service: "coredns", port: "metrics", reason: "the Service selects no workload of this namespace" },
    ]);
  });

  it("finds a chart it could not render by helm's instance label", () => {
    expect(
      chartPods("kps", { releaseName: "monitoring-kps", reason: "helm could not get the chart here", notes: [] }),
    ).toEqual({
      candidates: [],
      skipped: [],
      selectors: [{ "app.kubernetes.io/instance": "monitoring-kps" }],
      devPatches: [],
      serviceSelectors: {},
    });
  });
});

describe("splitReleaseForwards", () => {
  const manifests = [
    deployment,
    service("grafana", "app.kubernetes.io/name: grafana", "{name: http, port: 80, targetPort: web}"),
    service("prometheus", "app.kubernetes.io/name: prometheus", "{name: web, port: 9090, targetPort: 9090}"),
  ].join("---\n");
  const release = (
    pods: ReturnType<typeof chartPods>,
    extra: { containerPort: number; name: string; service: string }[] = [],
  ): TiltResource => ({
    name: "kps",
    release: true,
    attach: ["helmrelease/kps"],
    objects: [],
    claims: [],
    localPathOnly: false,
    portForwards: [
      ...pods.candidates,
      ...extra.map((e) => ({ ...e, resource: "kps", container: "", hostNetwork: false })),
    ].map((c, i) => ({ ...c, localPort: 20000 + i })),
    extraPodSelectors: pods.selectors,
    resourceDeps: ["monitoring-namespace"],
    notes: [],
  });

  it("gives each Service of a chart that runs several kinds of pods a resource finding its pods only", () => {
    const pods = chartPods("kps", { releaseName: "kps", manifests, notes: [] });
    // A --forward of port 3000 replaces the chart's (as inspect does) and reaches Grafana's pods: the Service of that port.
    const answered = release({ ...pods, candidates: pods.candidates.filter((c) => c.containerPort !== 3000) }, [
      { containerPort: 3000, name: "ui", service: "--forward" },
    ]);
    const [kps, ...split] = splitReleaseForwards([answered], new Map([["kps", pods]]));
    expect(kps!.portForwards).toEqual([]);
    expect(
      split.map((r) => [
        r.name,
        r.servicePods,
        r.extraPodSelectors,
        r.portForwards.map((f) => f.containerPort),
        r.resourceDeps,
      ]),
    ).toEqual([
      [
        "prometheus-forward",
        { service: "prometheus", release: "kps" },
        [{ "app.kubernetes.io/name": "prometheus" }],
        [9090],
        ["kps"],
      ],
      [
        "grafana-forward",
        { service: "grafana", release: "kps" },
        [{ "app.kubernetes.io/name": "grafana" }],
        [3000],
        ["kps"],
      ],
    ]);
  });

  it("keeps the forwards of a chart of one kind of pod, and a --forward no Service has, on the release", () => {
    const one = chartPods("kps", {
      releaseName: "kps",
      manifests: [
        deployment,
        service("grafana", "app.kubernetes.io/name: grafana", "{name: http, port: 80, targetPort: web}"),
      ].join("---\n"),
      notes: [],
    });
    expect(splitReleaseForwards([release(one)], new Map([["kps", one]]))).toEqual([release(one)]);
    const pods = chartPods("kps", { releaseName: "kps", manifests, notes: [] });
    const [kps] = splitReleaseForwards(
      [release(pods, [{ containerPort: 7000, name: "debug", service: "--forward" }])],
      new Map([["kps", pods]]),
    );
    expect(kps!.portForwards.map((f) => f.containerPort)).toEqual([7000]);
    expect(kps!.notes).toEqual([
      "debug (7000) goes to whichever of kps's pods is newest: its chart runs several kinds of pods and no Service of it has that port",
    ]);
  });
});
