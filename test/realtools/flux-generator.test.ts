// The kustomization the generator takes Flux to generate for a path without one, held against
// the real `flux build kustomization`, which runs Flux's own generator over the same tree.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { generatedResources } from "../../helpers/repository/flux-generator.ts";
import { toolPath } from "../support/cluster.ts";
import { requireRealTools } from "../support/real-tools.ts";

const ready = requireRealTools("Flux's generated kustomizations", ["flux"]);

function write(root: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
}

const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: x\n`;

/** A tree with every case of Flux's walk: plain, nested, hidden, kustomized sub-folders, ignored files, other files. */
function tree(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "flux-generator-"));
  write(root, {
    "ks.yaml":
      "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: app, namespace: flux-system}\nspec: {path: ./app, interval: 1m, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n",
    "app/top.yaml": `${configMap("top")}---\n${configMap("top-2")}`,
    "app/nested/deeper/leaf.yml": configMap("leaf"),
    "app/.hidden/hidden.yaml": configMap("hidden"),
    "app/chart/kustomization.yaml": "resources: [listed.yaml]\n",
    "app/chart/listed.yaml": configMap("listed"),
    "app/chart/unlisted.yaml": configMap("unlisted"),
    "app/chart/deeper/beyond.yaml": configMap("beyond"),
    "app/skipped/skip.yaml": configMap("skipped"),
    "app/notes.txt": "not yaml",
    "app/README.md": "# not yaml",
    "app/.sourceignore": "skipped/\n*-ignored.yaml\n",
    "app/one-ignored.yaml": configMap("ignored"),
  });
  return root;
}

async function fluxBuildNames(root: string): Promise<string[]> {
  const args = [
    "build",
    "kustomization",
    "app",
    "--path",
    path.join(root, "app"),
    "--kustomization-file",
    path.join(root, "ks.yaml"),
    "--dry-run",
  ];
  const built = await execa(toolPath("flux"), args, { cwd: root, env: { KUBECONFIG: "/nonexistent" } });
  return names(built.stdout);
}

async function kustomizeNames(root: string, resources: string[]): Promise<string[]> {
  const wrapper = mkdtempSync(path.join(os.tmpdir(), "generated-"));
  writeFileSync(
    path.join(wrapper, "kustomization.yaml"),
    JSON.stringify({ resources: resources.map((r) => path.relative(wrapper, path.join(root, r))) }),
  );
  const built = await execa("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", wrapper]);
  return names(built.stdout);
}

function names(yaml: string): string[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS())
    .filter(Boolean)
    .map((o) => `${o.kind}/${o.metadata.name}`)
    .sort();
}

describe.runIf(ready)("the kustomization Flux generates", () => {
  it("takes in what flux build takes in: every manifest below, a kustomized folder whole, nothing .sourceignore names", async () => {
    const root = tree();
    const resources = generatedResources(root, "app");
    expect(resources).toEqual(["app/.hidden/hidden.yaml", "app/chart", "app/nested/deeper/leaf.yml", "app/top.yaml"]);
    expect(await kustomizeNames(root, resources)).toEqual(await fluxBuildNames(root));
  });

  it("leaves out what the GitRepository's spec.ignore names at the repository root, as flux build does for the same pattern in the path's .sourceignore", async () => {
    const root = tree();
    const resources = generatedResources(root, "app", "/app/nested/\n");
    expect(resources).toEqual(["app/.hidden/hidden.yaml", "app/chart", "app/top.yaml"]);
    write(root, { "app/.sourceignore": "skipped/\n*-ignored.yaml\n/nested/\n" });
    expect(await kustomizeNames(root, resources)).toEqual(await fluxBuildNames(root));
  });

  it("refuses a YAML file that is no Kubernetes object, which flux build refuses too", async () => {
    const root = tree();
    write(root, { "app/values.yaml": "replicaCount: 2\n" });
    expect(() => generatedResources(root, "app")).toThrow(/^app\/values.yaml is not Kubernetes YAML/);
    await expect(fluxBuildNames(root)).rejects.toThrow(/values.yaml/);
  });
});
