// Shared by the tilt-lib suites: kustomize builds, a Coder-style workspace, and tree snapshots.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import { copyExample } from "../support/example.ts";
import { TILT_LIB_PARTS } from "../../helpers/templates.ts";

/** A copy of the example with tilt-lib/ as the namespace generator leaves it: the library's .star files only. */
export function copyExampleWithoutPackage(): string {
  const repo = copyExample();
  const pkg = path.join(repo, "tilt-lib");
  for (const entry of readdirSync(pkg))
    if (!TILT_LIB_PARTS.includes(entry)) rmSync(path.join(pkg, entry), { recursive: true });
  return repo;
}

export type KubeDoc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: any;
};

export async function kustomize(dir: string): Promise<{ text: string; docs: KubeDoc[] }> {
  const { stdout } = await execa("kubectl", ["kustomize", dir]);
  return { text: stdout, docs: parseAllDocuments(stdout).map((doc) => doc.toJS() as KubeDoc) };
}

/** Every file below `root` with its hash, and every folder: equal snapshots mean nothing was written. */
export async function snapshot(root: string): Promise<string> {
  const { stdout } = await execa(
    "bash",
    ["-c", "find . -type f -print0 | sort -z | xargs -0 sha256sum; find . -type d | sort"],
    { cwd: root },
  );
  return stdout;
}

/**
 * A kustomization of workspaces as Coder's Kubernetes template makes them (Deployment, or Pod in
 * older templates, labelled app.kubernetes.io/name=coder-workspace, container "dev"), plus one
 * Deployment that is not a workspace, with the package's workspace Component.
 */
export function writeWorkspaces(repo: string, namespace: string, component = "../tilt-lib/workspace"): string {
  const dir = path.join(repo, "workspaces");
  mkdirSync(dir, { recursive: true });
  const labels = {
    "app.kubernetes.io/name": "coder-workspace",
    "app.kubernetes.io/instance": "coder-workspace-alice-dev",
  };
  const podSpec = {
    containers: [
      {
        name: "dev",
        image: "codercom/enterprise-base:ubuntu",
        command: ["sh", "-c", "sleep infinity"],
        volumeMounts: [{ name: "home", mountPath: "/home/coder" }],
      },
    ],
    volumes: [{ name: "home", emptyDir: {} }],
  };
  const workspace = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "coder-alice-dev", namespace, labels },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
  };
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "coder-bob-dev", namespace, labels }, spec: podSpec };
  const other = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "coderd", namespace, labels: { "app.kubernetes.io/name": "coder" } },
    spec: {
      selector: { matchLabels: { app: "coderd" } },
      template: {
        metadata: { labels: { app: "coderd" } },
        spec: { containers: [{ name: "coder", image: "ghcr.io/coder/coder" }] },
      },
    },
  };
  writeFileSync(
    path.join(dir, "workspaces.yaml"),
    [workspace, pod, other].map((o) => JSON.stringify(o)).join("\n---\n"),
  );
  writeFileSync(
    path.join(dir, "kustomization.yaml"),
    `resources:\n  - workspaces.yaml\ncomponents:\n  - ${component}\n`,
  );
  return dir;
}
