// More of the layouts Flux accepts, around Flux's monitoring example:
// - app folders inside a Flux path: `apps` lists its two with a kustomization.yaml that puts them
//   in a namespace and labels them; `tools` has none, and its `debug` folder is loose manifests;
// - a Flux path that holds other Kustomizations' paths (`platform`, applied without a
//   kustomization.yaml), their apps all in one namespace;
// - sibling clusters (`siblingClusters`): clusters/staging and clusters/production over shared
//   deploy/ bases, one Kustomization named alike in both, one named after its cluster.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { fluxMonitoringLayout } from "./flux-monitoring-layout.ts";

const ks = (name: string, spec: string) =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: ${name}, namespace: flux-system}\nspec: {interval: 1h, prune: true, sourceRef: {kind: GitRepository, name: flux-system}, ${spec}}\n`;

const deployment = (name: string, extra = "") => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}${extra}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
        - name: ${name}
          image: traefik/whoami:v1.10.3
          ports: [{containerPort: 8080, name: http}]
`;
const service = (name: string, extra = "") =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}${extra}}\nspec: {selector: {app: ${name}}, ports: [{port: 80, targetPort: http}]}\n`;
const namespace = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n`;

const MORE: Record<string, string> = {
  "clusters/test/apps.yaml": [
    ks("apps", "path: ./apps"),
    ks("tools", "path: ./tools, targetNamespace: tools"),
    ks("platform", "path: ./platform"),
  ].join("---\n"),
  "apps/kustomization.yaml":
    "namespace: apps\nlabels: [{pairs: {team: web}}]\nresources: [namespace.yaml, ./echo, ./web]\n",
  "apps/namespace.yaml": namespace("apps"),
  "apps/echo/kustomization.yaml": "resources: [deployment.yaml, service.yaml]\n",
  "apps/echo/deployment.yaml": deployment("echo"),
  "apps/echo/service.yaml": service("echo"),
  "apps/web/kustomization.yaml":
    "resources: [deployment.yaml]\nconfigMapGenerator: [{name: web, literals: [greeting=hello]}]\n",
  "apps/web/deployment.yaml": deployment("web"),
  "tools/namespace.yaml": namespace("tools"),
  "tools/debug/deployment.yaml": deployment("debug"),
  "tools/debug/service.yaml": service("debug"),
  "tools/netshoot/kustomization.yaml": "resources: [deployment.yaml]\n",
  "tools/netshoot/deployment.yaml": deployment("netshoot"),
  "platform/namespace.yaml": namespace("platform"),
  "platform/api/kustomization.yaml": "resources: [ks.yaml]\n",
  "platform/api/ks.yaml": ks("platform-api", "path: ./platform/api/app, targetNamespace: platform"),
  "platform/api/app/kustomization.yaml": "resources: [deployment.yaml, service.yaml]\n",
  "platform/api/app/deployment.yaml": deployment("api"),
  "platform/api/app/service.yaml": service("api"),
  "platform/redis/kustomization.yaml": "resources: [ks.yaml]\n",
  "platform/redis/ks.yaml": ks("platform-redis", "path: ./platform/redis/app, targetNamespace: platform"),
  "platform/redis/app/kustomization.yaml": "resources: [deployment.yaml]\n",
  "platform/redis/app/deployment.yaml": deployment("redis"),
};

function write(root: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
}

/** The monitoring layout with app folders and a path of paths beside it, in a git work tree. */
export async function fluxLayouts(): Promise<string> {
  const root = await fluxMonitoringLayout();
  write(root, MORE);
  return root;
}

function cluster(name: string): Record<string, string> {
  return {
    [`clusters/${name}/flux-system/kustomization.yaml`]: "resources: [gotk-sync.yaml]\n",
    [`clusters/${name}/flux-system/gotk-sync.yaml`]: `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 1m, url: "https://example.com/fleet.git", ref: {branch: main}}
---
${ks("flux-system", `path: ./clusters/${name}`)}`,
    [`clusters/${name}/apps.yaml`]: [
      ks("apps", `path: ./deploy/${name}/apps`),
      ks(`cache-${name}`, `path: ./deploy/${name}/cache`),
    ].join("---\n"),
    [`deploy/${name}/apps/kustomization.yaml`]: `resources: [../../base/podinfo]\npatches: [{target: {kind: Deployment}, patch: '[{"op": "replace", "path": "/spec/replicas", "value": ${name === "production" ? 3 : 1}}]'}]\n`,
    [`deploy/${name}/cache/kustomization.yaml`]: "resources: [../../base/redis]\n",
  };
}

/** Two clusters over shared bases, in a git work tree. */
export async function siblingClusters(): Promise<string> {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), "sibling-clusters-")), "repo");
  write(root, {
    ...cluster("staging"),
    ...cluster("production"),
    "deploy/base/podinfo/kustomization.yaml": "resources: [namespace.yaml, deployment.yaml, service.yaml]\n",
    "deploy/base/podinfo/namespace.yaml": namespace("podinfo"),
    "deploy/base/podinfo/deployment.yaml": deployment("podinfo", ", namespace: podinfo"),
    "deploy/base/podinfo/service.yaml": service("podinfo", ", namespace: podinfo"),
    "deploy/base/redis/kustomization.yaml": "resources: [namespace.yaml, deployment.yaml]\n",
    "deploy/base/redis/namespace.yaml": namespace("cache"),
    "deploy/base/redis/deployment.yaml": deployment("redis", ", namespace: cache"),
  });
  await execa("git", ["init", "-q", root]);
  return root;
}
