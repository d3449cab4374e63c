// groupObjects: every object of a build lands in exactly one Tilt resource, with its user when it has one.
import { describe, expect, it } from "vitest";
import { parseManifests } from "../../helpers/repository/manifests.ts";
import { groupObjects, routedServices } from "../../helpers/namespace/grouping.ts";
import { findServices, findWorkloads } from "../../helpers/namespace/workloads.ts";

function group(yaml: string) {
  const objects = parseManifests(yaml, "test");
  const workloads = findWorkloads(objects);
  const groups = groupObjects(objects, workloads, findServices(objects), "media");
  return { ...groups, byWorkload: Object.fromEntries(groups.byWorkload), all: objects.length };
}

const APP = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: sonarr}
spec:
  template:
    metadata: {labels: {app: sonarr}}
    spec:
      serviceAccountName: sonarr
      volumes:
        - {name: config, persistentVolumeClaim: {claimName: sonarr-config}}
        - name: both
          projected: {sources: [{secret: {name: api-key}}]}
      containers:
        - name: app
          envFrom: [{configMapRef: {name: sonarr-env}}]
---
apiVersion: v1
kind: Service
metadata: {name: sonarr}
spec: {selector: {app: sonarr}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: sonarr}
spec:
  rules: [{http: {paths: [{path: /, backend: {service: {name: sonarr, port: {number: 80}}}}]}}]
`;

const refs = (names: string[]) => names.map((n) => n.split(":")[0]);

describe("groupObjects", () => {
  it("gives a workload the claims, config, account and routes its pods use, and leaves its Service to Tilt", () => {
    const yaml = `${APP}
---
{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: sonarr-config}}
---
{apiVersion: v1, kind: ConfigMap, metadata: {name: sonarr-env}}
---
{apiVersion: v1, kind: Secret, metadata: {name: api-key}}
---
{apiVersion: v1, kind: ServiceAccount, metadata: {name: sonarr}}
`;
    const groups = group(yaml);
    expect(groups.byWorkload.sonarr!.sort()).toEqual(
      [
        "api-key:secret",
        "sonarr-config:persistentvolumeclaim",
        "sonarr-env:configmap",
        "sonarr:ingress",
        "sonarr:serviceaccount",
      ].sort(),
    );
    expect(groups.groups).toEqual([]);
  });

  it("puts what no workload uses in a group named after the folder and the object's kind", () => {
    const yaml = `
{apiVersion: v1, kind: Namespace, metadata: {name: media}}
---
{apiVersion: v1, kind: ConfigMap, metadata: {name: unused}}
---
{apiVersion: v1, kind: PersistentVolume, metadata: {name: nas}}
---
{apiVersion: v1, kind: Service, metadata: {name: external}, spec: {type: ExternalName, externalName: nas.lan}}
---
{apiVersion: source.toolkit.fluxcd.io/v1, kind: GitRepository, metadata: {name: charts}}
---
{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}
`;
    const { groups } = group(yaml);
    expect(groups.map((g) => [g.name, refs(g.objects)])).toEqual([
      ["media-config", ["unused"]],
      ["media-flux-objects", ["charts"]],
      ["media-namespace", ["media"]],
      ["media-network", ["external"]],
      ["media-resources", ["w"]],
      ["media-storage", ["nas"]],
    ]);
  });

  it("gives a service account a Job and a Deployment share to the Deployment, whatever the order", () => {
    const job = `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec: {template: {spec: {serviceAccountName: db, containers: [{name: m}]}}}
`;
    const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec: {template: {metadata: {labels: {app: api}}, spec: {serviceAccountName: db, containers: [{name: a}]}}}
`;
    const account = "{apiVersion: v1, kind: ServiceAccount, metadata: {name: db}}";
    const groups = group([job, deployment, account].join("\n---\n"));
    expect(groups.byWorkload).toEqual({ migrate: [], api: ["db:serviceaccount"] });
    expect(groups.dependsOn).toEqual(new Map());
  });

  it("puts a ConfigMap or Secret two workloads use in the config group, which both wait for", () => {
    const deployment = (name: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec: {template: {metadata: {labels: {app: ${name}}}, spec: {containers: [{name: a, envFrom: [{configMapRef: {name: shared}}, {secretRef: {name: ${name}-only}}]}]}}}
`;
    const objects = [
      "{apiVersion: v1, kind: ConfigMap, metadata: {name: shared}}",
      "{apiVersion: v1, kind: Secret, metadata: {name: api-only}}",
    ];
    const groups = group([deployment("api"), deployment("worker"), ...objects].join("\n---\n"));
    expect(groups.byWorkload).toEqual({ api: ["api-only:secret"], worker: [] });
    expect(groups.groups).toEqual([{ name: "media-config", objects: ["shared:configmap"] }]);
    expect(groups.dependsOn).toEqual(
      new Map([
        ["api", ["media-config"]],
        ["worker", ["media-config"]],
      ]),
    );
  });

  it("puts a chart source and values two HelmReleases share in their groups, which both wait for", () => {
    const release = (name: string) => `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: ${name}}
spec:
  chart: {spec: {chart: ${name}, sourceRef: {kind: HelmRepository, name: grafana-charts}}}
  valuesFrom: [{kind: ConfigMap, name: common-values}, {kind: ConfigMap, name: ${name}-values}]
`;
    const yaml = [
      release("loki"),
      release("promtail"),
      "{apiVersion: source.toolkit.fluxcd.io/v1, kind: HelmRepository, metadata: {name: grafana-charts}}",
      "{apiVersion: v1, kind: ConfigMap, metadata: {name: common-values}}",
      "{apiVersion: v1, kind: ConfigMap, metadata: {name: loki-values}}",
    ].join("\n---\n");
    const { helmReleases, groups, dependsOn } = group(yaml);
    expect(helmReleases).toEqual([
      { name: "loki", objects: ["loki:helmrelease", "loki-values:configmap"] },
      { name: "promtail", objects: ["promtail:helmrelease"] },
    ]);
    expect(groups).toEqual([
      { name: "media-config", objects: ["common-values:configmap"] },
      { name: "media-flux-objects", objects: ["grafana-charts:helmrepository"] },
    ]);
    expect(dependsOn).toEqual(
      new Map([
        ["loki", ["media-config", "media-flux-objects"]],
        ["promtail", ["media-config", "media-flux-objects"]],
      ]),
    );
  });

  it("names an object with a colon as Tilt parses selectors, the colon escaped", () => {
    const { groups } = group(
      "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: 'kubevirt.io:operator'}}",
    );
    expect(groups).toEqual([{ name: "media-namespace", objects: ["kubevirt.io\\:operator:clusterrole"] }]);
  });

  it("gives a HelmRelease its chart source and values, and nothing of another release", () => {
    const yaml = `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: grafana}
spec:
  chart: {spec: {chart: grafana, sourceRef: {kind: HelmRepository, name: grafana}}}
  valuesFrom: [{kind: ConfigMap, name: grafana-values}]
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: loki}
spec: {chartRef: {kind: OCIRepository, name: loki}}
---
{apiVersion: source.toolkit.fluxcd.io/v1, kind: HelmRepository, metadata: {name: grafana}}
---
{apiVersion: source.toolkit.fluxcd.io/v1, kind: OCIRepository, metadata: {name: loki}}
---
{apiVersion: v1, kind: ConfigMap, metadata: {name: grafana-values}}
`;
    const { helmReleases, groups } = group(yaml);
    expect(helmReleases).toEqual([
      { name: "grafana", objects: ["grafana:helmrelease", "grafana:helmrepository", "grafana-values:configmap"] },
      { name: "loki", objects: ["loki:helmrelease", "loki:ocirepository"] },
    ]);
    expect(groups).toEqual([]);
  });

  it("places each object once", () => {
    const yaml = `${APP}\n---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: sonarr-env}}\n---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: other}}`;
    const groups = group(yaml);
    const placed = [...Object.values(groups.byWorkload).flat(), ...groups.groups.flatMap((g) => g.objects)];
    // The Deployment is the resource itself and Tilt attaches the Service: the rest is placed once.
    expect(placed.length).toBe(groups.all - 2);
    expect(new Set(placed).size).toBe(placed.length);
  });
});

describe("routedServices", () => {
  it("reads the backends of an Ingress, a Traefik IngressRoute and an HTTPRoute", () => {
    const [ingress, route, http] = parseManifests(
      `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i}
spec: {defaultBackend: {service: {name: fallback}}, rules: [{http: {paths: [{backend: {service: {name: web}}}]}}]}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: r}
spec: {routes: [{match: Host(\`a\`), services: [{name: api, port: 80}, {name: web}]}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: h}
spec: {rules: [{backendRefs: [{name: grafana, port: 80}]}]}
`,
      "test",
    );
    expect([routedServices(ingress!), routedServices(route!), routedServices(http!)]).toEqual([
      ["fallback", "web"],
      ["api", "web"],
      ["grafana"],
    ]);
  });
});
