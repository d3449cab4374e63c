// The real Argo CD in a test cluster: its repo server and application controller sync an
// Application from the local git server onto kwok's node, self-heal reverts an edit made on the
// cluster, and a paused auto-sync keeps an edit until it is resumed: `spec.syncPolicy.automated`
// removed, or `automated.enabled: false` as tilt_lib's pause_argocd sets it.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoRepository, REPLICAS } from "../support/argocd-demo.ts";
import {
  ARGOCD_NAMESPACE,
  APPLICATIONS,
  application,
  refreshed,
  syncWithArgoCD,
  type ArgoCDSync,
} from "../support/argocd.ts";
import { startTestCluster, type TestCluster } from "../support/cluster.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { until } from "../support/until.ts";
import { gitFixture, type GitFixture } from "../scripts/support.ts";

const ready = requireRealTools("Argo CD suite", [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "argocd",
  "argocd-repo-server",
  "argocd-application-controller",
  "redis-server",
]);

const APP = "demo";

describe.runIf(ready)("Argo CD syncs, self-heals and pauses", { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let sync: ArgoCDSync;
  let repo: GitFixture;

  beforeAll(async () => {
    cluster = await startTestCluster({ controllers: true, argocd: true });
    repo = await gitFixture(demoRepository());
    sync = await syncWithArgoCD(cluster, repo, ["argocd/demo.yaml"]);
  }, 360_000);
  afterAll(async () => {
    await sync?.stop();
    await cluster?.stop();
  });

  const replicas = async () =>
    Number(
      (await cluster.kubectl(["get", "deployment", "demo", "-n", "demo", "-o", "jsonpath={.spec.replicas}"])).stdout,
    );
  const scale = (n: number) => cluster.kubectl(["scale", "deployment", "demo", "-n", "demo", `--replicas=${n}`]);
  const patchApp = (type: "json" | "merge", patch: unknown) =>
    cluster.kubectl([
      "patch",
      APPLICATIONS,
      APP,
      "-n",
      ARGOCD_NAMESPACE,
      `--type=${type}`,
      `-p=${JSON.stringify(patch)}`,
    ]);

  it("syncs the Application from git: Synced and Healthy at the pushed commit, the pods run on kwok's node", async () => {
    const app = await application(cluster, APP);
    expect(app?.status?.sync).toMatchObject({ status: "Synced", revision: await sync.revision() });
    expect(app?.status?.health?.status).toBe("Healthy");
    expect(app?.status?.sourceType).toBe("Kustomize");
    const { stdout } = await cluster.kubectl(["get", "pods", "-n", "demo", "-l", "app=demo", "-o", "json"]);
    const pods = JSON.parse(stdout).items as {
      status: { phase: string; conditions?: { type: string; status: string }[] };
    }[];
    expect(pods).toHaveLength(REPLICAS);
    for (const pod of pods) {
      expect(pod.status.phase).toBe("Running");
      expect(pod.status.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    }
    expect(
      (await cluster.kubectl(["get", "pvc", "demo-data", "-n", "demo", "-o", "jsonpath={.status.phase}"])).stdout,
    ).toBe("Bound");
  });

  it("self-heal reverts a replicas edit made on the cluster", async () => {
    await scale(REPLICAS + 1);
    await until("self-heal to put the replicas back", async () => (await replicas()) === REPLICAS, 120);
    await sync.waitSynced(APP);
  });

  /**
   * Pauses auto-sync with `pause`, edits the Deployment, and checks that Argo CD saw the edit and
   * started no sync for it.
   */
  async function expectEditKeptWhilePaused(pause: () => Promise<unknown>): Promise<void> {
    await pause();
    // Auto-sync off in the controller's own view of the Application before the edit.
    await refreshed(cluster, APP);
    const before = (await application(cluster, APP))?.status?.operationState?.startedAt;
    await scale(REPLICAS + 1);
    // The controller saw the drift (and made its auto-sync decision in the same pass).
    await until(
      "Argo CD to see the edit",
      async () => (await application(cluster, APP))?.status?.sync?.status === "OutOfSync",
      120,
    );
    await refreshed(cluster, APP);
    const paused = await application(cluster, APP);
    expect(paused?.status?.operationState?.startedAt).toBe(before);
    expect(paused?.status?.sync?.status).toBe("OutOfSync");
    expect(await replicas()).toBe(REPLICAS + 1);
  }

  it("keeps the edit while spec.syncPolicy.automated is removed, and reverts it once it is back", async () => {
    await expectEditKeptWhilePaused(() => patchApp("json", [{ op: "remove", path: "/spec/syncPolicy/automated" }]));
    // The controller drops a syncPolicy left empty, so a JSON patch adding /spec/syncPolicy/automated
    // would fail: a merge patch puts it back.
    await patchApp("merge", { spec: { syncPolicy: { automated: { prune: true, selfHeal: true } } } });
    await until("auto-sync to put the replicas back", async () => (await replicas()) === REPLICAS, 120);
    await sync.waitSynced(APP);
  });

  it("keeps the edit while automated.enabled is false (tilt_lib's pause), and a sync request with the resume reverts it", async () => {
    await expectEditKeptWhilePaused(() =>
      patchApp("merge", { spec: { syncPolicy: { automated: { enabled: false } } } }),
    );
    await patchApp("merge", {
      spec: { syncPolicy: { automated: { enabled: null } } },
      operation: { initiatedBy: { username: "tilt" }, sync: {} },
    });
    await until("the sync request to put the replicas back", async () => (await replicas()) === REPLICAS, 120);
    const app = await sync.waitSynced(APP);
    expect(app.spec.syncPolicy?.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.status?.operationState).toMatchObject({
      phase: "Succeeded",
      operation: { initiatedBy: { username: "tilt" } },
    });
  });

  it("syncs a pushed commit once asked to refresh", async () => {
    const file = path.join(repo.work, "apps/demo/deployment.yaml");
    const deployment = JSON.parse(readFileSync(file, "utf8"));
    deployment.spec.replicas = REPLICAS + 2;
    writeFileSync(file, JSON.stringify(deployment, null, 2));
    await repo.git(["commit", "--quiet", "--all", "-m", "demo: more replicas"]);
    await repo.git(["push", "--quiet", "origin", "main"]);
    await refreshed(cluster, APP);
    const app = await sync.waitSynced(APP);
    expect(app.status?.operationState?.syncResult?.revision).toBe(await sync.revision());
    expect(await replicas()).toBe(REPLICAS + 2);
  });
});
