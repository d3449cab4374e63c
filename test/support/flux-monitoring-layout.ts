// Flux's monitoring example layout: `monitoring/controllers` holds one folder per chart, each with
// its own kustomization.yaml, and nothing at its top; `monitoring/configs` holds a loose manifest
// beside a kustomized folder. Flux applies both paths by generating a kustomization for each.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";

const kustomization = (resources: string[]) =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: monitoring\nresources: [${resources.join(", ")}]\n`;

const FILES: Record<string, string> = {
  "clusters/test/monitoring.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: monitoring-controllers, namespace: flux-system}
spec: {interval: 1h, path: ./monitoring/controllers, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: monitoring-configs, namespace: flux-system}
spec: {interval: 1h, dependsOn: [{name: monitoring-controllers}], path: ./monitoring/configs, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
`,
  "monitoring/controllers/kube-prometheus-stack/kustomization.yaml": kustomization([
    "namespace.yaml",
    "repository.yaml",
    "release.yaml",
  ]),
  "monitoring/controllers/kube-prometheus-stack/namespace.yaml":
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: monitoring}\n",
  "monitoring/controllers/kube-prometheus-stack/repository.yaml": `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: prometheus-community}
spec: {interval: 1h, url: "http://127.0.0.1:9/charts"}
`,
  "monitoring/controllers/kube-prometheus-stack/release.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: kube-prometheus-stack}
spec:
  interval: 1h
  chart:
    spec: {chart: kube-prometheus-stack, version: 66.2.1, sourceRef: {kind: HelmRepository, name: prometheus-community}}
`,
  "monitoring/controllers/whoami/kustomization.yaml": kustomization(["deployment.yaml", "service.yaml"]),
  "monitoring/controllers/whoami/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: whoami}
spec:
  replicas: 2
  selector: {matchLabels: {app: whoami}}
  template:
    metadata: {labels: {app: whoami}}
    spec:
      containers:
        - name: whoami
          image: traefik/whoami:v1.10.3
          ports: [{containerPort: 8080, name: http}]
          resources: {limits: {memory: 4Gi}}
`,
  "monitoring/controllers/whoami/service.yaml":
    "apiVersion: v1\nkind: Service\nmetadata: {name: whoami}\nspec: {selector: {app: whoami}, ports: [{port: 80, targetPort: http}]}\n",
  "monitoring/configs/dashboards/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: monitoring
configMapGenerator:
  - name: flux-dashboards
    literals: ["flux.json={}"]
    options: {disableNameSuffixHash: true}
`,
  "monitoring/configs/podmonitor.yaml":
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: scrape-config, namespace: monitoring}\ndata: {interval: 30s}\n",
};

/** Writes the layout into a git work tree and returns its root. */
export async function fluxMonitoringLayout(): Promise<string> {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), "flux-monitoring-")), "repo");
  for (const [file, content] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  await execa("git", ["init", "-q", root]);
  return root;
}
