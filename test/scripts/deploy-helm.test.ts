// deploy.sh in a namespace of HelmReleases, under the real source-, kustomize- and
// helm-controller: the example's monitoring folder with only its echo-server release (the
// chart kept in the repository, served by the local git server Flux syncs from). A values
// change that rolls out is deployed once the release is upgraded; one whose pods never become
// Ready fails helm's --wait, and deploy.sh reverts it, after which helm-controller puts git's
// previous values back; without force or remediation it stays failed, and deploy.sh says so.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseDocument } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { startTestCluster, type TestCluster } from "../support/cluster.ts";
import { copyExample } from "../support/example.ts";
import { syncWithFlux, type FluxSync } from "../support/flux-sync.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { until } from "../support/until.ts";
import { gitFixture, PATH_WITH_FLUX, runScript, type GitFixture } from "./support.ts";

const TOOLS = [
  "flux",
  "helm",
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "source-controller",
  "kustomize-controller",
  "helm-controller",
];
const ready = requireRealTools("deploy.sh with HelmReleases", TOOLS);

const NS = "monitoring";
const FOLDER = "infrastructure/monitoring";
const HELMRELEASES = "helmreleases.helm.toolkit.fluxcd.io";

interface LiveRelease {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    history?: { version: number; status: string }[];
    conditions?: { type: string; status: string; reason: string }[];
  };
}

/**
 * The monitoring folder down to its echo-server release, which gives helm 20s to see its pods
 * Ready, does not retry or roll back a failed upgrade, and replaces its objects on upgrade; the
 * chart takes pod labels from its values.
 */
function echoServerOnly(root: string): void {
  const base = path.join(root, FOLDER, "base");
  const edit = (file: string, change: (doc: ReturnType<typeof parseDocument>) => void) => {
    const doc = parseDocument(readFileSync(file, "utf8"));
    change(doc);
    writeFileSync(file, String(doc));
  };
  edit(path.join(base, "kustomization.yaml"), (doc) =>
    doc.setIn(["resources"], ["namespace.yaml", "echo-server/helmrelease.yaml"]),
  );
  rmSync(path.join(base, "helmrelease.yaml"));
  rmSync(path.join(base, "helmrepository.yaml"));
  edit(path.join(base, "echo-server/helmrelease.yaml"), (doc) => {
    doc.setIn(["spec", "timeout"], "20s");
    // helm upgrades from the last *deployed* revision: when the one reverted failed, its changes
    // stay on the live objects unless helm replaces them (force) or rolls back (remediation).
    doc.setIn(["spec", "upgrade"], { force: true, remediation: { retries: 0 } });
    doc.setIn(["spec", "values", "replicaCount"], 1);
  });
  // The example's --forward answers name kube-prometheus-stack, gone here.
  edit(path.join(root, FOLDER, ".tilt-scaffold.yaml"), (doc) => doc.deleteIn(["answers", "forwards"]));
  const chart = path.join(root, "charts/echo-server");
  const template = path.join(chart, "templates/deployment.yaml");
  writeFileSync(
    template,
    readFileSync(template, "utf8").replace(
      "        app.kubernetes.io/instance: {{ .Release.Name }}\n    spec:",
      "        app.kubernetes.io/instance: {{ .Release.Name }}\n        {{- with .Values.podLabels }}\n        {{- toYaml . | nindent 8 }}\n        {{- end }}\n    spec:",
    ),
  );
  writeFileSync(
    path.join(chart, "values.yaml"),
    `${readFileSync(path.join(chart, "values.yaml"), "utf8")}podLabels: {}\n`,
  );
}

describe.runIf(ready)(
  "deploy.sh waits for the HelmReleases under the real helm-controller",
  { timeout: 240_000 },
  () => {
    let cluster: TestCluster;
    let repo: GitFixture;
    let flux: FluxSync;
    const started = Date.now();
    const releaseFile = () => path.join(repo.work, FOLDER, "base/echo-server/helmrelease.yaml");
    const setValue = (key: string, value: unknown) => {
      const doc = parseDocument(readFileSync(releaseFile(), "utf8"));
      doc.setIn(["spec", "values", key], value);
      writeFileSync(releaseFile(), String(doc));
    };
    const release = async (): Promise<LiveRelease> =>
      JSON.parse((await cluster.kubectl(["get", HELMRELEASES, "echo-server", "-n", NS, "-o", "json"])).stdout);
    /** The helm revision of a release Ready at its current spec, or undefined. */
    const readyRevision = async () => {
      const live = await release();
      const readyCondition = live.status?.conditions?.find((c) => c.type === "Ready");
      const current =
        readyCondition?.status === "True" && (live.status?.observedGeneration ?? 0) >= live.metadata.generation;
      return current ? live.status?.history?.[0]?.version : undefined;
    };
    const deployment = async (field: string) =>
      (await cluster.kubectl(["get", "deployment", "echo-server", "-n", NS, "-o", `jsonpath=${field}`])).stdout;
    const deploy = (args: string[]) =>
      runScript(path.join(repo.work, FOLDER, "deploy.sh"), [...args, "--timeout", "120s"], {
        KUBECONFIG: cluster.kubeconfig,
        PATH: PATH_WITH_FLUX,
      });

    beforeAll(async () => {
      cluster = await startTestCluster({ controllers: true, helm: true });
      const work = copyExample();
      echoServerOnly(work);
      repo = await gitFixture(work);
      flux = await syncWithFlux(cluster, repo);
      await flux.waitReady([NS], 180);
      await until("echo-server Ready at helm revision 1", async () => (await readyRevision()) === 1, 120);
      await scaffold({
        folders: [path.join(repo.work, FOLDER)],
        cwd: repo.work,
        context: cluster.context,
        env: { KUBECONFIG: cluster.kubeconfig, XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), "cache-")) },
      });
      await repo.git(["add", "--all"]);
      await repo.git(["commit", "--quiet", "-m", "monitoring: scaffold for the test cluster"]);
      await repo.git(["push", "--quiet", "origin", "main"]);
    }, 360_000);

    afterAll(async () => {
      console.log(`deploy.sh with HelmReleases: ${Math.round((Date.now() - started) / 1000)}s`);
      await flux?.stop();
      await cluster?.stop();
    }, 60_000);

    it("deploys a values change once helm-controller upgraded the release", async () => {
      setValue("replicaCount", 2);
      const run = await deploy(["-m", "monitoring: two echo-servers"]);
      expect(run.exitCode, run.stderr + run.stdout).toBe(0);
      expect(run.stdout).toContain("==> Wait for the HelmReleases in monitoring");
      expect(run.stdout).toContain("✓ every HelmRelease is ready");
      expect(run.stdout).toMatch(/Deployed [0-9a-f]{12} to monitoring/);
      expect(await readyRevision()).toBe(2);
      expect(await deployment("{.spec.replicas}")).toBe("2");
      expect((await repo.remoteLog())[0]).toMatch(/ monitoring: two echo-servers$/);
    });

    it("reverts a values change whose pods never become Ready; helm-controller puts git's previous values back", async () => {
      const tree = await repo.remoteGit(["rev-parse", `main:${FOLDER}`]);
      setValue("podLabels", { "kwok.test.invalid/pod": "crash-loop" });
      const run = await deploy(["-m", "monitoring: crashing echo-servers"]);
      expect(run.exitCode, run.stderr + run.stdout).toBe(3);
      expect(run.stderr).toMatch(
        /HelmRelease echo-server failed: UpgradeFailed: Helm upgrade failed for release monitoring\/echo-server.*Rolled back: pushed [0-9a-f]{12}, which reverts [0-9a-f]{12}; Flux applied it$/s,
      );
      const [revert, deployed] = await repo.remoteLog();
      expect(deployed).toMatch(/ monitoring: crashing echo-servers$/);
      expect(revert).toMatch(/ Revert "monitoring: crashing echo-servers"$/);
      expect(await repo.remoteGit(["rev-parse", `main:${FOLDER}`])).toBe(tree);
      // The failed upgrade is revision 3; the revert's upgrade, 4.
      expect(await until("echo-server Ready again after the revert", readyRevision, 120)).toBe(4);
      const history = (await release()).status!.history!.map((h) => `${h.version} ${h.status}`);
      expect(history.slice(0, 2)).toEqual(["4 deployed", "3 failed"]);
      await until(
        "the previous pods to be the ones running",
        async () =>
          (await deployment("{.spec.template.metadata.labels}")).includes("crash-loop") === false &&
          (await deployment("{.status.readyReplicas}/{.spec.replicas}")) === "2/2",
        60,
      );
    });

    it("says so when the release is still failed after the revert: helm kept the failed upgrade's changes", async () => {
      const setUpgrade = (upgrade: object) => {
        const doc = parseDocument(readFileSync(releaseFile(), "utf8"));
        doc.setIn(["spec", "upgrade"], upgrade);
        writeFileSync(releaseFile(), String(doc));
      };
      setUpgrade({ remediation: { retries: 0 } });
      const plain = await deploy(["-m", "monitoring: upgrade without force"]);
      expect(plain.exitCode, plain.stderr + plain.stdout).toBe(0);
      // Only how to upgrade changed, not the chart or its values: no new helm revision.
      expect(await readyRevision()).toBe(4);
      setValue("podLabels", { "kwok.test.invalid/pod": "crash-loop" });
      const run = await deploy(["-m", "monitoring: crashing echo-servers again"]);
      expect(run.exitCode, run.stderr + run.stdout).toBe(3);
      expect(run.stderr).toMatch(
        /Rolled back: pushed [0-9a-f]{12}, which reverts [0-9a-f]{12}; Flux applied it, but HelmRelease echo-server failed: UpgradeFailed: .*spec\.upgrade\.remediation\.remediateLastFailure or spec\.upgrade\.force\)$/s,
      );
      expect((await release()).status!.history!.map((h) => `${h.version} ${h.status}`).slice(0, 2)).toEqual([
        "6 failed",
        "5 failed",
      ]);
      expect(await deployment("{.spec.template.metadata.labels.kwok\\.test\\.invalid/pod}")).toBe("crash-loop");
    });
  },
);
