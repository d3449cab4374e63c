// The real tools as oracles: a real API server with the Flux CRDs, the real
// controllers, kwok's simulated node and Flux's own controllers, the flux CLI,
// and tilt. Needs `npm run tools`; without it the suite skips locally and
// fails in CI (CI=true), so a missing build step cannot pass silently.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitServer, type GitServer } from "../support/git-server.ts";
import { until } from "../support/until.ts";
import { gitFixture } from "../scripts/support.ts";
import {
  haveTool,
  haveTools,
  missingTools,
  startTestCluster,
  toolPath,
  toolsDir,
  toolUnavailable,
  type TestCluster,
} from "../support/cluster.ts";

const inCI = Boolean(process.env.CI);
const FULL = { controllers: true, flux: true };
const ready = haveTools(FULL);
const tiltSkipReason = haveTool("tilt") ? undefined : (toolUnavailable("tilt") ?? (inCI ? undefined : "not built"));

if (!ready && !inCI) {
  console.warn(
    [
      "",
      "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
      `!! SKIPPING test/realtools: ${missingTools(FULL).join(", ")} not in ${toolsDir}`,
      "!! Run `npm run tools` (Go builds, ~15 min cold) to enable these tests.",
      "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
      "",
    ].join("\n"),
  );
}
if (ready && tiltSkipReason) {
  console.warn(`\n!! SKIPPING the tilt test: ${tiltSkipReason}\n`);
}

describe.runIf(!ready && inCI)("real tools in CI", () => {
  it("are built by `npm run tools`", () => {
    expect.fail(
      `CI is set but ${missingTools(FULL).join(", ")} are missing in ${toolsDir}: run \`npm run tools\` first`,
    );
  });
});

const kustomization = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: "kustomize.toolkit.fluxcd.io/v1",
    kind: "Kustomization",
    metadata: { name, namespace: "flux-system" },
    spec,
  });

const validSpec = {
  interval: "10m",
  path: "./apps",
  wait: true,
  prune: true,
  sourceRef: { kind: "GitRepository", name: "flux-system" },
};

interface Pod {
  status: {
    phase: string;
    conditions?: { type: string; status: string; reason?: string }[];
    containerStatuses?: { state?: { waiting?: { reason: string } } }[];
  };
}

/** A Deployment of `replicas` pods labelled `app: name` (plus `labels`), optionally with a claim. */
function manifests(
  name: string,
  replicas: number,
  labels: Record<string, string>,
  claim?: string,
  nodeSelector?: Record<string, string>,
): string {
  const volumes = claim ? [{ name: "data", persistentVolumeClaim: { claimName: claim } }] : [];
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...labels } },
        spec: { nodeSelector, volumes, containers: [{ name: "app", image: "example.invalid/app:1" }] },
      },
    },
  };
  const pvc = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: claim, namespace: "default" },
    spec: {
      accessModes: ["ReadWriteOnce"],
      storageClassName: "nfs-client",
      resources: { requests: { storage: "1Gi" } },
    },
  };
  return [JSON.stringify(deployment), ...(claim ? [JSON.stringify(pvc)] : [])].join("\n");
}

describe.skipIf(!ready)("real tools: test cluster", { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), "realtools-"));
    cluster = await startTestCluster(FULL);
    await cluster.kubectl(["create", "namespace", "flux-system"]);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }, 120_000);

  it("accepts a valid Flux Kustomization and rejects an invalid one", async () => {
    const ok = await cluster.kubectl(["apply", "--dry-run=server", "-f", "-"], {
      input: kustomization("apps", validSpec),
    });
    expect(ok.stdout).toContain("kustomization.kustomize.toolkit.fluxcd.io/apps created (server dry run)");

    // prune must be a boolean and sourceRef is required.
    const bad = await cluster.kubectl(["apply", "--dry-run=server", "-f", "-"], {
      input: kustomization("broken", { interval: "10m", prune: "yes" }),
      reject: false,
    });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/spec\.prune: Invalid value/);
    expect(bad.stderr).toMatch(/spec\.sourceRef: Required value/);
  });

  const podStates = async (selector: string) => {
    const { stdout } = await cluster.kubectl(["get", "pods", "-l", selector, "-o", "json"]);
    return (JSON.parse(stdout).items as Pod[]).map((pod) => ({
      phase: pod.status.phase,
      ready: pod.status.conditions?.find((c) => c.type === "Ready")?.status,
      waiting: pod.status.containerStatuses?.[0]?.state?.waiting?.reason,
      unschedulable: pod.status.conditions?.find((c) => c.type === "PodScheduled")?.reason,
    }));
  };

  it("runs a Deployment: the real controllers make its pods, kwok runs them Ready on its node, claims are bound", async () => {
    await cluster.kubectl(["apply", "-f", "-"], { input: manifests("web", 2, {}, "data") });
    await cluster.kubectl(["rollout", "status", "deployment/web", "--timeout=60s"]);
    expect(await podStates("app=web")).toEqual([
      { phase: "Running", ready: "True", waiting: undefined, unschedulable: undefined },
      { phase: "Running", ready: "True", waiting: undefined, unschedulable: undefined },
    ]);
    const { stdout } = await cluster.kubectl(["get", "pvc", "data", "-o", "jsonpath={.status.phase}"]);
    expect(stdout).toBe("Bound");
  });

  it("crash-loops a pod labelled for it, and leaves one no node fits Pending and Unschedulable", async () => {
    await cluster.kubectl(["apply", "-f", "-"], {
      input: manifests("crashing", 1, { "kwok.test.invalid/pod": "crash-loop" }),
    });
    await cluster.kubectl(["apply", "-f", "-"], {
      input: manifests("nowhere", 1, {}, undefined, { disktype: "none-has-it" }),
    });
    await until("the pods to settle", async () => {
      const [crashing] = await podStates("app=crashing");
      const [nowhere] = await podStates("app=nowhere");
      return crashing?.waiting === "CrashLoopBackOff" && nowhere?.unschedulable === "Unschedulable";
    });
    expect(await podStates("app=crashing")).toEqual([
      { phase: "Running", ready: "False", waiting: "CrashLoopBackOff", unschedulable: undefined },
    ]);
    expect(await podStates("app=nowhere")).toEqual([
      { phase: "Pending", ready: undefined, waiting: undefined, unschedulable: "Unschedulable" },
    ]);
  });

  describe("Flux", () => {
    let git: GitServer;
    const flux = (args: string[]) =>
      execa(toolPath("flux"), [...args, "--kubeconfig", cluster.kubeconfig, "--context", cluster.context], {
        all: true,
      });
    const status = async () => {
      const { stdout } = await cluster.kubectl(["get", "kustomization", "infra", "-n", "flux-system", "-o", "json"]);
      const live = JSON.parse(stdout);
      return { suspend: live.spec.suspend ?? false, applied: live.status?.lastAppliedRevision };
    };

    beforeAll(async () => {
      // A repository of one ConfigMap, served as Flux's GitRepository source.
      const work = join(workDir, "infra");
      mkdirSync(join(work, "apps"), { recursive: true });
      writeFileSync(
        join(work, "apps", "settings.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  greeting: hi\n",
      );
      const repo = await gitFixture(work);
      revision = `main@sha1:${(await repo.git(["rev-parse", "HEAD"])).trim()}`;
      git = await startGitServer(dirname(repo.remote));
      const url = `${git.url}/${basename(repo.remote)}`;
      await cluster.kubectl(["apply", "-f", "-"], {
        input: JSON.stringify({
          apiVersion: "source.toolkit.fluxcd.io/v1",
          kind: "GitRepository",
          metadata: { name: "flux-system", namespace: "flux-system" },
          spec: { interval: "10m", url, ref: { branch: "main" } },
        }),
      });
      await cluster.kubectl(["apply", "-f", "-"], { input: kustomization("infra", validSpec) });
    });
    afterAll(async () => git?.stop());
    let revision = "";

    it("the real kustomize-controller applies a GitRepository from the local git server", async () => {
      await cluster.kubectl([
        "wait",
        "--for=condition=Ready",
        "kustomization/infra",
        "-n",
        "flux-system",
        "--timeout=90s",
      ]);
      expect((await status()).applied).toBe(revision);
      const { stdout } = await cluster.kubectl(["get", "configmap", "settings", "-o", "jsonpath={.data.greeting}"]);
      expect(stdout).toBe("hi");
    });

    it("flux suspend stops it; flux resume waits for the controller to reconcile again", async () => {
      await flux(["suspend", "kustomization", "infra", "-n", "flux-system"]);
      expect((await status()).suspend).toBe(true);
      // The controller applies nothing while suspended: a deleted object stays deleted.
      await cluster.kubectl(["delete", "configmap", "settings"]);
      const resumed = await flux(["resume", "kustomization", "infra", "-n", "flux-system", "--timeout=60s"]);
      expect(resumed.all).toContain(`applied revision ${revision}`);
      expect(await status()).toEqual({ suspend: false, applied: revision });
      const { stdout } = await cluster.kubectl(["get", "configmap", "settings", "-o", "jsonpath={.data.greeting}"]);
      expect(stdout).toBe("hi");
    });
  });

  it.skipIf(Boolean(tiltSkipReason))("tilt alpha tiltfile-result prints JSON for a Tiltfile", async () => {
    if (!haveTool("tilt")) {
      expect.fail(
        `CI is set but ${toolPath("tilt")} is missing and not recorded as unavailable: run \`npm run tools\``,
      );
    }
    const tiltfile = join(workDir, "Tiltfile");
    writeFileSync(
      tiltfile,
      [
        "allow_k8s_contexts('tilt-test')",
        'k8s_yaml(blob("""',
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: hello",
        "data:",
        "  greeting: hi",
        '"""))',
        "",
      ].join("\n"),
    );
    const result = await execa(toolPath("tilt"), ["alpha", "tiltfile-result", "-f", tiltfile], {
      cwd: workDir,
      env: { KUBECONFIG: cluster.kubeconfig },
    });
    // k8s_yaml without a workload lands in Tilt's "uncategorized" manifest.
    const parsed = JSON.parse(result.stdout) as { Manifests: { Name: string; DeployTarget?: { yaml?: string } }[] };
    expect(parsed.Manifests.map((m) => m.Name)).toEqual(["uncategorized"]);
    expect(parsed.Manifests[0]?.DeployTarget?.yaml).toContain("name: hello");
  });
});
