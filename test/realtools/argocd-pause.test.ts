// tilt_lib's pause of an Argo CD Application's automated sync, against a real API server with
// Argo CD's Application CRD: what `tilt up` pauses, `tilt down` (or Tilt stopping, or a button)
// restores exactly, once, with a sync request; what was never automated is left alone. The
// script is taken from the pause resource the real Tilt makes of tilt_lib_argocd.star's test Tiltfile.
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../helpers/package-root.ts";
import { startTestCluster, type TestCluster } from "../support/cluster.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { kubeconfig, tiltfileResult } from "../support/tiltfile.ts";

const ready = requireRealTools("Argo CD pause", ["tilt", "etcd", "kube-apiserver"]);
const APPS = "applications.argoproj.io";

interface LiveApplication {
  metadata: { annotations?: Record<string, string> };
  spec: { syncPolicy?: { automated?: Record<string, boolean> } };
  operation?: { sync?: Record<string, unknown>; initiatedBy?: { username?: string } };
}

describe.runIf(ready)("pausing Argo CD's automated sync", { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let script: string;

  beforeAll(async () => {
    const { run, manifests } = await tiltfileResult(
      path.join(PACKAGE_ROOT, "templates", "tilt-lib", "test", "argocd"),
      { KUBECONFIG: kubeconfig("kind-dev") },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const argv = manifests.find((m) => m.Name === "demo-argocd-pause")!.DeployTarget?.ServeCmd?.Argv ?? [];
    expect(argv.slice(0, 2)).toEqual(["bash", "-c"]);
    script = argv[2]!;
    cluster = await startTestCluster();
    await cluster.kubectl(["create", "namespace", "argocd"]);
  }, 120_000);
  afterAll(async () => cluster?.stop());

  const sync = (verb: string, ...apps: string[]) =>
    execa("bash", ["-c", script, "argocd-sync", verb, cluster.context, ...apps], {
      env: { KUBECONFIG: cluster.kubeconfig },
    });

  async function application(name: string, syncPolicy: Record<string, unknown>): Promise<void> {
    const app = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name, namespace: "argocd" },
      spec: {
        project: "default",
        destination: { server: "https://kubernetes.default.svc", namespace: name },
        source: { repoURL: "https://git.example/repo.git", path: `apps/${name}` },
        syncPolicy,
      },
    };
    await cluster.kubectl(["apply", "-f", "-"], { input: JSON.stringify(app) });
  }
  const live = async (name: string) =>
    JSON.parse((await cluster.kubectl(["get", APPS, name, "-n", "argocd", "-o", "json"])).stdout) as LiveApplication;

  it("pauses an automated sync once, and restores exactly what git had, with a sync request", async () => {
    await application("demo", { automated: { prune: true, selfHeal: true } });
    await application("pinned", { automated: { prune: true, enabled: true } });
    await sync("pause", "argocd/demo", "argocd/pinned");
    const paused = [await live("demo"), await live("pinned")];
    expect(paused.map((a) => a.spec.syncPolicy?.automated)).toEqual([
      { prune: true, selfHeal: true, enabled: false },
      { prune: true, enabled: false },
    ]);
    expect(paused.map((a) => a.metadata.annotations?.["tilt.dev/paused-automated-sync"])).toEqual(["unset", "true"]);
    // A second pause (a second Tilt) keeps what the first recorded.
    await sync("pause", "argocd/demo");
    expect((await live("demo")).metadata.annotations?.["tilt.dev/paused-automated-sync"]).toBe("unset");

    await sync("resume", "argocd/demo", "argocd/pinned");
    const restored = [await live("demo"), await live("pinned")];
    expect(restored.map((a) => a.spec.syncPolicy?.automated)).toEqual([
      { prune: true, selfHeal: true },
      { prune: true, enabled: true },
    ]);
    expect(restored.map((a) => a.metadata.annotations?.["tilt.dev/paused-automated-sync"])).toEqual([
      undefined,
      undefined,
    ]);
    expect(restored.map((a) => a.operation?.initiatedBy?.username)).toEqual(["tilt", "tilt"]);
  });

  it("leaves alone what has no automated sync, and restores nothing it did not pause", async () => {
    await application("manual", {});
    await application("off", { automated: { enabled: false } });
    await sync("pause", "argocd/manual", "argocd/off");
    expect([(await live("manual")).spec.syncPolicy?.automated, (await live("off")).spec.syncPolicy?.automated]).toEqual(
      [undefined, { enabled: false }],
    );
    await sync("resume", "argocd/manual", "argocd/off");
    const after = [await live("manual"), await live("off")];
    expect(after.map((a) => [a.spec.syncPolicy?.automated, a.operation])).toEqual([
      [undefined, undefined],
      [{ enabled: false }, undefined],
    ]);
  });
});
