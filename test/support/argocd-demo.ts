// The demo repository the Argo CD suites sync: one Application (argocd/demo.yaml, automated with
// prune and selfHeal) deploying apps/demo, a kustomization of a Namespace, a claim, a Deployment
// of REPLICAS pods that mounts it and a Service.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ARGOCD_NAMESPACE, IN_CLUSTER } from "./argocd.ts";

export const REPLICAS = 2;

const demoFiles: Record<string, unknown> = {
  "apps/demo/namespace.yaml": { apiVersion: "v1", kind: "Namespace", metadata: { name: "demo" } },
  "apps/demo/pvc.yaml": {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "demo-data", namespace: "demo" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
  },
  "apps/demo/deployment.yaml": {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "demo", namespace: "demo" },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: "demo" } },
      template: {
        metadata: { labels: { app: "demo" } },
        spec: {
          containers: [
            {
              name: "web",
              image: "nginx:1.27",
              ports: [{ containerPort: 80 }],
              volumeMounts: [{ name: "data", mountPath: "/data" }],
            },
          ],
          volumes: [{ name: "data", persistentVolumeClaim: { claimName: "demo-data" } }],
        },
      },
    },
  },
  "apps/demo/service.yaml": {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "demo", namespace: "demo" },
    spec: { selector: { app: "demo" }, ports: [{ port: 80, targetPort: 80 }] },
  },
  // Built with kustomize by the repo server, as most Applications' paths are.
  "apps/demo/kustomization.yaml": {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: ["namespace.yaml", "pvc.yaml", "deployment.yaml", "service.yaml"],
  },
  // repoURL is set by syncWithArgoCD to the git server's URL.
  "argocd/demo.yaml": {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: "demo", namespace: ARGOCD_NAMESPACE },
    spec: {
      project: "default",
      source: { repoURL: "https://git.example.invalid/homelab.git", targetRevision: "main", path: "apps/demo" },
      destination: { server: IN_CLUSTER, namespace: "demo" },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  },
};

export function demoRepository(): string {
  const work = mkdtempSync(path.join(os.tmpdir(), "argocd-demo-"));
  for (const [file, object] of Object.entries(demoFiles)) {
    mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    writeFileSync(path.join(work, file), JSON.stringify(object, null, 2));
  }
  return work;
}
