// A scaffolded folder on a real API server: the state Flux leaves it in (`flux build`, applied
// server-side as kustomize-controller does), and what Tilt applies over it (overlays/dev and
// overlays/dev/dev-claims, labelled as Tilt labels them) as a server-side dry run of an update.
import path from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { execa } from "execa";
import { parseAllDocuments, stringify } from "yaml";
import type { NamespaceModel } from "../../helpers/namespace/model.ts";
import { toolPath, type TestCluster } from "./cluster.ts";
import { appliedKustomization, buildAsFlux } from "./flux-build.ts";

type Manifest = Record<string, any>;

export function manifestsOf(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((o): o is Manifest => o !== null && typeof o.kind === "string");
}

/** Tilt labels every object it applies, pod templates included, claims and their templates not (internal/k8s/label.go). */
function labelledAsTilt(object: Manifest): Manifest {
  if (object.kind === "PersistentVolumeClaim") return object;
  const label = (meta: Manifest | undefined) => ({
    ...meta,
    labels: { ...meta?.labels, "app.kubernetes.io/managed-by": "tilt" },
  });
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
  const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter(
    (f) => /\.ya?ml$/.test(f) && !f.split(path.sep).includes(".git"),
  );
  for (const file of files) {
    const text = readFileSync(path.join(root, file), "utf8");
    if (!text.includes(name)) continue;
    const found = manifestsOf(text).find((o) => o.kind === kind && o.metadata?.name === name);
    if (found) return found;
  }
  return undefined;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

export class LiveOverlays {
  /** Kinds by `group/Kind`: served, or being made so. */
  private served = new Map<string, Promise<void>>();

  private constructor(private readonly cluster: TestCluster) {}

  static async on(cluster: TestCluster): Promise<LiveOverlays> {
    const overlays = new LiveOverlays(cluster);
    // NAME SHORTNAMES APIVERSION NAMESPACED KIND, SHORTNAMES possibly empty: kinds by group.
    const { stdout } = await cluster.kubectl(["api-resources", "--no-headers"]);
    for (const line of stdout.split("\n").filter(Boolean)) {
      const words = line.trim().split(/\s+/);
      const apiVersion = words.at(-3)!;
      overlays.served.set(
        `${apiVersion.includes("/") ? apiVersion.split("/")[0] : ""}/${words.at(-1)}`,
        Promise.resolve(),
      );
    }
    return overlays;
  }

  /** Puts the folder in the state Flux leaves it; the server's refusal, if it refuses. */
  async applyFluxBuild(model: NamespaceModel): Promise<string | undefined> {
    const flux = await this.fluxBuild(model);
    await this.serve(flux);
    for (const ns of new Set(flux.map((o) => o.metadata?.namespace).filter(Boolean)))
      await this.cluster.kubectl(["create", "namespace", ns], { reject: false });
    const input = flux.map((o) => stringify(o)).join("---\n");
    const applied = await this.cluster.kubectl(
      ["apply", "--server-side", "--force-conflicts", "--field-manager=kustomize-controller", "-f", "-"],
      { input, reject: false },
    );
    return applied.exitCode === 0 ? undefined : applied.stderr;
  }

  /** What the server says to Tilt's overlays applied over Flux's state: one line per refused build. */
  async tiltUpdateRefusals(model: NamespaceModel): Promise<string[]> {
    const refusals: string[] = [];
    for (const { build, text } of [...(await buildAsFlux(model, "live")), ...(await buildAsFlux(model, "devClaims"))]) {
      const dev = manifestsOf(text).map(labelledAsTilt);
      const update = await this.cluster.kubectl(["apply", "--dry-run=server", "-f", "-"], {
        input: dev.map((o) => stringify(o)).join("---\n"),
        reject: false,
      });
      if (update.exitCode !== 0)
        refusals.push(
          `${build.dir}: ${update.stderr
            .split("\n")
            .filter((l) => !l.startsWith("Warning:"))
            .join(" ")}`,
        );
    }
    return refusals;
  }

  /** The server's answer to these objects as an update, for an oracle check. */
  async dryRunUpdate(objects: Manifest[]) {
    return this.cluster.kubectl(["apply", "--dry-run=server", "-f", "-"], {
      input: objects.map((o) => stringify(o)).join("---\n"),
      reject: false,
    });
  }

  /**
   * What `flux build` says Flux applies for the folder's Kustomization(s), reading their
   * substituteFrom ConfigMaps and Secrets from the cluster as kustomize-controller does.
   */
  private async fluxBuild(model: NamespaceModel): Promise<Manifest[]> {
    const objects: Manifest[] = [];
    for (const k of model.flux.kustomizations) {
      await this.cluster.kubectl(["create", "namespace", k.namespace], { reject: false });
      for (const ref of k.postBuild?.substituteFrom ?? []) {
        const source = repositoryObject(model.repoRoot, ref.kind, ref.name);
        if (source)
          await this.cluster.kubectl(["apply", "--server-side", "-n", k.namespace, "-f", "-"], {
            input: stringify({ ...source, metadata: { ...source.metadata, namespace: k.namespace } }),
          });
      }
      const ks = await appliedKustomization(model, k);
      await this.cluster.kubectl(["apply", "--server-side", "-f", "-"], {
        input: stringify({ ...ks, metadata: { ...ks.metadata, namespace: k.namespace } }),
      });
      // The Kustomization just applied, as the cluster holds it; built in memory, the repository untouched.
      const args = [
        "build",
        "kustomization",
        k.name,
        "-n",
        k.namespace,
        "--path",
        path.join(model.repoRoot, k.path),
        "--in-memory-build",
      ];
      const built = await execa(toolPath("flux"), [...args, "--kubeconfig", this.cluster.kubeconfig], {
        cwd: model.repoRoot,
      });
      objects.push(...manifestsOf(built.stdout));
    }
    return objects;
  }

  /** Stand-in CRDs for kinds this server does not serve (the user's cluster has the real ones). */
  private async serve(objects: Manifest[]): Promise<void> {
    for (const object of objects) {
      const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
      const key = `${group}/${object.kind}`;
      if (!group) continue;
      if (!this.served.has(key)) this.served.set(key, this.establish(object, group, version!));
      await this.served.get(key);
    }
  }

  private async establish(object: Manifest, group: string, version: string): Promise<void> {
    const plural = `${object.kind.toLowerCase()}s`;
    const name = `${plural}.${group}`;
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      // *.k8s.io groups (Gateway API) are protected: their CRDs say they are approved.
      metadata: {
        name,
        annotations: { "api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/891" },
      },
      spec: {
        group,
        scope: object.metadata?.namespace ? "Namespaced" : "Cluster",
        names: { kind: object.kind, plural, singular: object.kind.toLowerCase(), listKind: `${object.kind}List` },
        versions: [
          {
            name: version,
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        ],
      },
    };
    await this.cluster.kubectl(["apply", "-f", "-"], { input: JSON.stringify(crd) });
    await this.cluster.kubectl(["wait", "--for=condition=Established", `crd/${name}`, "--timeout=30s"]);
  }
}
