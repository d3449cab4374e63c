// A monitoring namespace as users scaffold it: HelmReleases only, one from a Helm repository
// (kube-prometheus-stack, with values from a ConfigMap that Flux substitutes), one from an OCI
// registry (app-template), and one whose chart nobody can reach. Flux applies ./monitoring.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";

/** Writes the repository and returns its root, a git work tree. */
export async function monitoringRepository(chartRepository: string, ociHost: string): Promise<string> {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), "monitoring-")), "repo");
  const files: Record<string, string> = {
    "clusters/homelab/monitoring.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: monitoring, namespace: flux-system}
spec:
  interval: 10m
  path: ./monitoring
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substitute: {RETENTION: 3d}
`,
    "monitoring/kustomization.yaml":
      "namespace: monitoring\nresources: [namespace.yaml, sources.yaml, values.yaml, kube-prometheus-stack.yaml, whoami.yaml, unreachable.yaml]\n",
    "monitoring/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: monitoring}\n",
    "monitoring/sources.yaml": `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: prometheus-community}
spec: {interval: 1h, url: "${chartRepository}"}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: unreachable}
spec: {interval: 1h, url: "http://127.0.0.1:9/charts"}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: app-template}
spec: {interval: 1h, url: "oci://${ociHost}/charts/app-template", insecure: true, ref: {tag: 4.1.1}}
`,
    "monitoring/values.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: kube-prometheus-stack-values}
data:
  values.yaml: |
    prometheus:
      prometheusSpec:
        retention: \${RETENTION}
`,
    "monitoring/kube-prometheus-stack.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: kube-prometheus-stack}
spec:
  interval: 1h
  chart:
    spec: {chart: kube-prometheus-stack, version: 88.5.3, sourceRef: {kind: HelmRepository, name: prometheus-community}}
  valuesFrom:
    - {kind: ConfigMap, name: kube-prometheus-stack-values}
  values:
    # Of its dependencies the fixture vendors only the CRDs.
    grafana: {enabled: false}
    kubeStateMetrics: {enabled: false}
    nodeExporter: {enabled: false}
    windowsMonitoring: {enabled: false}
    alertmanager: {enabled: false}
    prometheusOperator: {admissionWebhooks: {enabled: false, patch: {enabled: false}}, tls: {enabled: false}}
`,
    "monitoring/whoami.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: whoami}
spec:
  interval: 1h
  chartRef: {kind: OCIRepository, name: app-template}
  values:
    controllers:
      whoami:
        replicas: 3
        containers:
          app:
            image: {repository: traefik/whoami, tag: v1.10.3}
            resources: {limits: {memory: 4Gi}}
    service:
      app:
        controller: whoami
        ports: {http: {port: 80}}
`,
    "monitoring/unreachable.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: unreachable}
spec:
  interval: 1h
  chart:
    spec: {chart: nothing, version: 1.0.0, sourceRef: {kind: HelmRepository, name: unreachable}}
`,
  };
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  await execa("git", ["init", "-q", root]);
  return root;
}
