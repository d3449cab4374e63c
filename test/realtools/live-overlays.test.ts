// For every namespace folder of the example and of the real GitOps repositories: what Tilt
// applies on the cluster Flux manages (overlays/dev, and overlays/dev/dev-claims for
// local-path storage there, labelled as Tilt labels them) is accepted
// by a real kube-apiserver as an update of what Flux applied (`flux build`, applied
// server-side as kustomize-controller does). Nothing there can make Tilt delete and re-create.
import path from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { execa } from "execa";
import { parseAllDocuments, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NamespaceModel } from "../../helpers/namespace/model.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import { startTestCluster, toolPath, type TestCluster } from "../support/cluster.ts";
import { haveFixtures, realRepositories } from "../support/fixtures.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { buildAsFlux } from "../support/flux-build.ts";

const ready = requireRealTools("live overlays suite", ["flux", "etcd", "kube-apiserver"]);

type Manifest = Record<string, any>;

function documents(text: string): Manifest[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Manifest | null).filter((o): o is Manifest => o !== null && typeof o.kind === "string");
}

/** Tilt labels every object it applies, pod templates included, claims and their templates not (internal/k8s/label.go). */
function labelledAsTilt(object: Manifest): Manifest {
  if (object.kind === "PersistentVolumeClaim") return object;
  const label = (meta: Manifest | undefined) => ({ ...meta, labels: { ...meta?.labels, "app.kubernetes.io/managed-by": "tilt" } });
  const copy = structuredClone(object);
  copy.metadata = label(copy.metadata);
  if (copy.spec?.template) copy.spec.template.metadata = label(copy.spec.template.metadata);
  if (copy.spec?.jobTemplate) {
    copy.spec.jobTemplate.metadata = label(copy.spec.jobTemplate.metadata);
    copy.spec.jobTemplate.spec.template.metadata = label(copy.spec.jobTemplate.spec?.template?.metadata);
  }
  return copy;
}

/** A ConfigMap or Secret as the repository holds it, if it does. */
function repositoryObject(root: string, kind: string, name: string): Manifest | undefined {
  const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => /\.ya?ml$/.test(f) && !f.split(path.sep).includes(".git"));
  for (const file of files) {
    const text = readFileSync(path.join(root, file), "utf8");
    if (!text.includes(name)) continue;
    const found = documents(text).find((o) => o.kind === kind && o.metadata?.name === name);
    if (found) return found;
  }
  return undefined;
}

/**
 * Runs `fn` over `items`, at most `limit` at a time, never two that share a key at once: `flux
 * build` edits the kustomization.yaml of the path it builds while it runs, and restores it after.
 */
async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>, keys: (item: T) => string[] = () => []): Promise<void> {
  const queue = [...items];
  const busy = new Set<string>();
  const waiting: (() => void)[] = [];
  await Promise.all(Array.from({ length: limit }, async () => {
    while (queue.length > 0) {
      const index = queue.findIndex((item) => keys(item).every((key) => !busy.has(key)));
      if (index < 0) {
        await new Promise<void>((resolve) => waiting.push(resolve));
        continue;
      }
      const [item] = queue.splice(index, 1);
      for (const key of keys(item!)) busy.add(key);
      try {
        await fn(item!);
      } finally {
        for (const key of keys(item!)) busy.delete(key);
        for (const resolve of waiting.splice(0)) resolve();
      }
    }
  }));
}

interface Folder {
  label: string;
  model: NamespaceModel;
}

describe.runIf(ready && haveFixtures())("overlays/dev over Flux's build on a real API server", { timeout: 600_000 }, () => {
  let cluster: TestCluster;
  const folders: Folder[] = [];
  const refused: string[] = [];
  /** Kinds by `group/Kind`: served, or being made so. */
  let served: Map<string, Promise<void>>;

  beforeAll(async () => {
    cluster = await startTestCluster();
    // One run at a time: runs in one repository share its root Tiltfile and answers file.
    for (const { label, root, folders: namespaceFolders } of await realRepositories()) {
      for (const folder of namespaceFolders) {
        try {
          const { models } = await scaffold({ folders: [path.join(root, folder)], cwd: root, env: { KUBECONFIG: "/nonexistent" } });
          folders.push({ label: `${label}/${folder}`, model: models[0]! });
        } catch (error) {
          refused.push(`${label}/${folder}: ${(error as Error).message}`);
        }
      }
    }
    // NAME SHORTNAMES APIVERSION NAMESPACED KIND, SHORTNAMES possibly empty: kinds by group.
    const { stdout } = await cluster.kubectl(["api-resources", "--no-headers"]);
    served = new Map(stdout.split("\n").filter(Boolean).map((line) => {
      const words = line.trim().split(/\s+/);
      const apiVersion = words.at(-3)!;
      return [`${apiVersion.includes("/") ? apiVersion.split("/")[0] : ""}/${words.at(-1)}`, Promise.resolve()];
    }));
  }, 900_000);

  afterAll(async () => cluster?.stop());

  it("scaffolds all but a few folders, and refuses those with one line", () => {
    for (const line of refused) expect(line).not.toContain("\n");
    expect(folders.length / (folders.length + refused.length), refused.join("\n")).toBeGreaterThanOrEqual(0.95);
  });

  /**
   * What `flux build` says Flux applies for the folder's Kustomization(s), reading their
   * substituteFrom ConfigMaps and Secrets from the cluster as kustomize-controller does.
   */
  async function fluxBuild(model: NamespaceModel): Promise<Manifest[]> {
    const objects: Manifest[] = [];
    for (const k of model.flux.kustomizations) {
      await cluster.kubectl(["create", "namespace", k.namespace], { reject: false });
      for (const ref of k.postBuild?.substituteFrom ?? []) {
        const source = repositoryObject(model.repoRoot, ref.kind, ref.name);
        if (source) await cluster.kubectl(["apply", "--server-side", "-n", k.namespace, "-f", "-"], { input: stringify({ ...source, metadata: { ...source.metadata, namespace: k.namespace } }) });
      }
      const ks = documents(readFileSync(path.join(model.repoRoot, k.file), "utf8")).find((o) => o.kind === "Kustomization" && o.metadata?.name === k.name)!;
      await cluster.kubectl(["apply", "--server-side", "-f", "-"], { input: stringify({ ...ks, metadata: { ...ks.metadata, namespace: k.namespace } }) });
      const args = ["build", "kustomization", k.name, "-n", k.namespace, "--path", path.join(model.repoRoot, k.path), "--kustomization-file", path.join(model.repoRoot, k.file)];
      const built = await execa(toolPath("flux"), [...args, "--kubeconfig", cluster.kubeconfig], { cwd: model.repoRoot });
      objects.push(...documents(built.stdout));
    }
    return objects;
  }

  /** Puts the folder in the state Flux leaves it; the server's refusal, if it refuses. */
  async function applyFluxBuild(model: NamespaceModel): Promise<string | undefined> {
    const flux = await fluxBuild(model);
    await serve(flux);
    for (const ns of new Set(flux.map((o) => o.metadata?.namespace).filter(Boolean))) await cluster.kubectl(["create", "namespace", ns], { reject: false });
    const input = flux.map((o) => stringify(o)).join("---\n");
    const applied = await cluster.kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=kustomize-controller", "-f", "-"], { input, reject: false });
    return applied.exitCode === 0 ? undefined : applied.stderr;
  }

  /** Stand-in CRDs for kinds this server does not serve (the user's cluster has the real ones). */
  async function serve(objects: Manifest[]): Promise<void> {
    for (const object of objects) {
      const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
      const key = `${group}/${object.kind}`;
      if (!group) continue;
      if (!served.has(key)) served.set(key, establish(object, group, version!));
      await served.get(key);
    }
  }

  async function establish(object: Manifest, group: string, version: string): Promise<void> {
    const plural = `${object.kind.toLowerCase()}s`;
    const name = `${plural}.${group}`;
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      // *.k8s.io groups (Gateway API) are protected: their CRDs say they are approved.
      metadata: { name, annotations: { "api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/891" } },
      spec: {
        group,
        scope: object.metadata?.namespace ? "Namespaced" : "Cluster",
        names: { kind: object.kind, plural, singular: object.kind.toLowerCase(), listKind: `${object.kind}List` },
        versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
      },
    };
    await cluster.kubectl(["apply", "-f", "-"], { input: JSON.stringify(crd) });
    await cluster.kubectl(["wait", "--for=condition=Established", `crd/${name}`, "--timeout=30s"]);
  }

  it("Tilt's overlays/dev and overlays/dev/dev-claims update every object of Flux's build in place, folder by folder", async () => {
    const failures: string[] = [];
    await inParallel(folders, 3, async ({ label, model }) => {
      const refusal = await applyFluxBuild(model);
      if (refusal) {
        failures.push(`${label}: Flux's build was refused: ${refusal}`);
        return;
      }
      for (const { build, text } of [...(await buildAsFlux(model, "live")), ...(await buildAsFlux(model, "devClaims"))]) {
        const dev = documents(text).map(labelledAsTilt);
        const update = await cluster.kubectl(["apply", "--dry-run=server", "-f", "-"], { input: dev.map((o) => stringify(o)).join("---\n"), reject: false });
        if (update.exitCode !== 0) failures.push(`${label}/${build.dir}: ${update.stderr.split("\n").filter((l) => !l.startsWith("Warning:")).join(" ")}`);
      }
    }, ({ model }) => model.flux.kustomizations.map((k) => path.join(model.repoRoot, k.path)));
    expect(failures).toEqual([]);
  });

  it("the oracle can fail: the local-path build of media is refused as an update of Flux's", async () => {
    const media = folders.find((f) => f.label === "examples/homelab/applications/media")!.model;
    expect(await applyFluxBuild(media)).toBeUndefined();
    const built = await execa("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", path.join(media.folder, media.builds[0]!.localPath.dir)]);
    const claims = documents(built.stdout).filter((o) => o.kind === "PersistentVolumeClaim");
    const update = await cluster.kubectl(["apply", "--dry-run=server", "-f", "-"], { input: claims.map((o) => stringify(o)).join("---\n"), reject: false });
    expect(update.exitCode).not.toBe(0);
    expect(update.stderr).toContain("spec is immutable after creation");
  });
});
