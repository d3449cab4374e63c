// Every generated dev overlay, built and substituted as Tilt applies it, is accepted by a real
// kube-apiserver (server-side dry run, with Flux's, Traefik's and Argo CD's CRDs installed).
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import type { NamespaceModel } from "../../helpers/namespace/model.ts";
import { EXAMPLE_NAMESPACES, EXAMPLE_ROOT } from "../support/example.ts";
import { startTestCluster, type TestCluster } from "../support/cluster.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { buildAsFlux } from "../support/flux-build.ts";

const ready = requireRealTools("API server suite", ["flux", "etcd", "kube-apiserver"]);

describe.runIf(ready)("generated overlays on a real API server", () => {
  let cluster: TestCluster;
  let models: NamespaceModel[];

  beforeAll(async () => {
    cluster = await startTestCluster();
    const result = await scaffold({
      folders: EXAMPLE_NAMESPACES.map((ns) => path.join(EXAMPLE_ROOT, ns)),
      cwd: EXAMPLE_ROOT,
      mode: "check",
      env: { KUBECONFIG: "/nonexistent" },
    });
    models = result.models;
    // A server-side dry run does not create namespaces, so the objects in them need them first.
    for (const model of models) await cluster.kubectl(["create", "namespace", model.namespace]);
  });
  afterAll(async () => cluster?.stop());

  it.each(EXAMPLE_NAMESPACES)("%s: overlays/dev is accepted by kubectl apply --dry-run=server", async (ns) => {
    const model = models.find((m) => m.folderInRepo === ns)!;
    const manifests = (await buildAsFlux(model, "live", { strict: true })).map((b) => b.text).join("\n---\n");
    const applied = await cluster.kubectl(["apply", "--dry-run=server", "-f", "-"], {
      input: manifests,
      reject: false,
    });
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.stdout.split("\n").filter(Boolean).length).toBe(manifests.split(/^kind: /m).length - 1);
  });

  it("warns when a Kustomization that git names is not in the cluster of the chosen context", async () => {
    await cluster.kubectl(["create", "namespace", "flux-system"], { reject: false });
    await cluster.kubectl(["apply", "-f", path.join(EXAMPLE_ROOT, "clusters/homelab/apps.yaml")]);
    const folders = ["applications/media", "infrastructure/monitoring"].map((ns) => path.join(EXAMPLE_ROOT, ns));
    const result = await scaffold({
      folders,
      cwd: EXAMPLE_ROOT,
      mode: "dry-run",
      context: cluster.context,
      env: { KUBECONFIG: cluster.kubeconfig },
    });
    expect(result.warnings.filter((w) => w.includes("Flux Kustomization"))).toEqual([
      "monitoring: Flux Kustomization flux-system/monitoring is not in cluster tilt-test; tilt up will fail to suspend it",
    ]);
    // The tests reach no network: the chart of monitoring's HelmRelease cannot be pulled, and the run says why.
    expect(result.warnings.filter((w) => w.includes("HelmRelease"))).toEqual([
      expect.stringMatching(
        /^monitoring: HelmRelease kube-prometheus-stack: helm could not get the chart here: .*prometheus-community/,
      ),
    ]);
  });

  it("rejects a broken manifest (the oracle can fail)", async () => {
    const broken =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\n  namespace: media\nspec:\n  replicas: many\n";
    const applied = await cluster.kubectl(["apply", "--dry-run=server", "-f", "-"], { input: broken, reject: false });
    expect(applied.exitCode).not.toBe(0);
  });
});
