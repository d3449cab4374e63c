// A synthetic GitOps repository of N namespaces, each a base with a Deployment and a Service
// and a Flux Kustomization pointing at it: the shape of a large real repository.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export function syntheticRepository(count: number): { root: string; folders: string[] } {
  const root = mkdtempSync(path.join(os.tmpdir(), `synthetic-${count}-`));
  const folders: string[] = [];
  const fluxObjects: string[] = [];
  for (let i = 0; i < count; i++) {
    const ns = `team-${String(i).padStart(3, "0")}`;
    const base = path.join(root, "apps", ns, "base");
    mkdirSync(base, { recursive: true });
    writeFileSync(path.join(base, "kustomization.yaml"), `namespace: ${ns}\nresources:\n  - app.yaml\n`);
    writeFileSync(
      path.join(base, "app.yaml"),
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n` +
        `  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n` +
        `          ports: [{name: http, containerPort: 8080}]\n          resources: {limits: {cpu: "2", memory: 2Gi}}\n---\n` +
        `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: http}]\n`,
    );
    fluxObjects.push(
      `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${ns}\n  namespace: flux-system\n` +
        `spec:\n  interval: 10m\n  path: ./apps/${ns}/base\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n`,
    );
    folders.push(path.join(root, "apps", ns));
  }
  mkdirSync(path.join(root, "clusters", "synthetic"), { recursive: true });
  writeFileSync(path.join(root, "clusters", "synthetic", "apps.yaml"), fluxObjects.join("---\n"));
  return { root, folders };
}
