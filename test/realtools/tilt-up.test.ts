// The real Tilt against a real API server, starting from the state Flux leaves a namespace in:
// `tilt up`, an edit, Ctrl-C while Tilt applies, `tilt up` again, `tilt down`. Nothing Flux made
// may be deleted, marked for deletion or re-created, and Flux gets the namespace back. Then the
// same Tiltfile on a fresh local cluster, where storage is local-path and `tilt down` deletes.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NamespaceModel } from "../../helpers/model.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import { copyExample } from "../support/example.ts";
import { startTestCluster, toolPath, type TestCluster } from "../support/cluster.ts";
import { applyFluxState, asLocalCluster, liveObjects } from "../support/flux-state.ts";
import { requireRealTools } from "../support/real-tools.ts";

const ready = requireRealTools("tilt up suite", ["tilt", "flux", "etcd", "kube-apiserver"]);

/** What holds data or would take data with it: none of these may be deleted or re-created. */
const PROTECTED_KINDS = ["persistentvolumeclaims", "persistentvolumes", "statefulsets", "jobs", "helmreleases.helm.toolkit.fluxcd.io", "deployments", "secrets", "configmaps"];
const SUSPEND_PROCESS = "Flux suspended until Tilt stops";

/** A `flux` first on PATH that logs each call, then runs the real one. */
function fluxRecorder(): { bin: string; calls: () => string[] } {
  const bin = mkdtempSync(path.join(os.tmpdir(), "flux-recorder-"));
  const log = path.join(bin, "calls.log");
  writeFileSync(path.join(bin, "flux"), `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> '${log}'\nexec '${toolPath("flux")}' "$@"\n`);
  chmodSync(path.join(bin, "flux"), 0o755);
  return { bin, calls: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : []) };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, seconds = 60): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** Processes of ours still running: the suspend loop names itself in its command line. */
async function suspendProcesses(): Promise<string[]> {
  const { stdout } = await execa("pgrep", ["-f", SUSPEND_PROCESS], { reject: false });
  return stdout.split("\n").filter(Boolean);
}

describe.runIf(ready)("tilt up / tilt down on the cluster Flux manages", { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let repo: string;
  let models: Record<string, NamespaceModel>;
  const flux = fluxRecorder();
  const logs: string[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster();
    repo = copyExample();
    const folders = ["applications/media", "infrastructure/monitoring"].map((ns) => path.join(repo, ns));
    const result = await scaffold({ folders, cwd: repo, context: cluster.context, env: { KUBECONFIG: cluster.kubeconfig } });
    models = Object.fromEntries(result.models.map((m) => [m.namespace, m]));
    for (const model of result.models) await applyFluxState(cluster, model);
  });
  afterAll(async () => cluster?.stop());

  function tilt(ns: string, args: string[], env: Record<string, string> = {}) {
    const run = execa(toolPath("tilt"), args, {
      all: true,
      cwd: models[ns]!.folder,
      reject: false,
      env: { KUBECONFIG: cluster.kubeconfig, PATH: `${flux.bin}:${process.env.PATH}`, HOME: mkdtempSync(path.join(os.tmpdir(), "tilt-home-")), ...env },
    });
    void run.then((r) => logs.push(String(r.all)));
    return run;
  }

  async function suspended(name: string): Promise<boolean> {
    const { stdout } = await cluster.kubectl(["get", "kustomizations.kustomize.toolkit.fluxcd.io", name, "-n", "flux-system", "-o", "jsonpath={.spec.suspend}"]);
    return stdout === "true";
  }

  /** Names of the objects of a kind Tilt has applied (it labels what it applies). */
  async function appliedByTilt(ns: string, kind: string): Promise<string[]> {
    const { stdout } = await cluster.kubectl(["get", kind, "-n", ns, "-l", "app.kubernetes.io/managed-by=tilt", "-o", "name"]);
    return stdout.split("\n").filter(Boolean);
  }

  async function image(ns: string, deployment: string): Promise<string> {
    const { stdout } = await cluster.kubectl(["get", "deployment", deployment, "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].image}"]);
    return stdout;
  }

  it("media: up, edit, Ctrl-C while applying, up again, down: every claim, StatefulSet, Job and workload keeps its UID", async () => {
    const before = await liveObjects(cluster, "media", PROTECTED_KINDS);
    expect(Object.keys(before).filter((k) => k.startsWith("PersistentVolumeClaim/"))).toHaveLength(8);
    expect(before["StatefulSet/postgres"]).toBeDefined();
    expect(before["Job/media-db-migrate"]).toBeDefined();
    const deployment = path.join(models.media!.folder, "base/sonarr/deployment.yaml");
    const edit = (from: string, to: string) => writeFileSync(deployment, readFileSync(deployment, "utf8").replace(`sonarr:${from}`, `sonarr:${to}`));

    const first = tilt("media", ["up", "--stream", "--port", "0"]);
    await until("Flux to be suspended", async () => ((await suspended("media")) ? true : undefined), 90);
    await until("Tilt to apply every Deployment", async () => ((await appliedByTilt("media", "deployments")).length === 8 ? true : undefined), 90);
    // An edit makes Tilt reload and apply again; the suspend does not run again.
    edit("4.0.11", "4.0.12");
    await until("the edit to be applied", async () => ((await image("media", "sonarr")).endsWith(":4.0.12") ? true : undefined), 60);
    expect(flux.calls().filter((c) => c.startsWith("suspend"))).toEqual(["suspend kustomization media --namespace flux-system --context tilt-test"]);
    // Ctrl-C while Tilt is applying the next edit.
    edit("4.0.12", "4.0.13");
    await new Promise((resolve) => setTimeout(resolve, 400));
    first.kill("SIGINT");
    await first;
    await until("Ctrl-C to resume Flux", async () => ((await suspended("media")) ? undefined : true), 30);
    await until("the suspend process to end with Tilt", async () => ((await suspendProcesses()).length === 0 ? true : undefined), 10);

    const second = tilt("media", ["up", "--stream", "--port", "0"]);
    await until("Flux to be suspended again", async () => ((await suspended("media")) ? true : undefined), 90);
    await until("the last edit to be applied", async () => ((await image("media", "sonarr")).endsWith(":4.0.13") ? true : undefined), 60);
    second.kill("SIGINT");
    await second;
    const down = await tilt("media", ["down"]);
    expect(down.exitCode, down.all).toBe(0);

    expect(await suspended("media")).toBe(false);
    expect(await liveObjects(cluster, "media", PROTECTED_KINDS)).toEqual(before);
    // Live storage: the claims and the Job are Flux's, never Tilt's.
    expect(await appliedByTilt("media", "persistentvolumeclaims")).toEqual([]);
    expect(await appliedByTilt("media", "jobs")).toEqual([]);
    const { stdout: claimClass } = await cluster.kubectl(["get", "pvc", "sonarr-config", "-n", "media", "-o", "jsonpath={.spec.storageClassName}"]);
    expect(claimClass).toBe("nfs-client");
    const { stdout: templates } = await cluster.kubectl(["get", "statefulset", "postgres", "-n", "media", "-o", "jsonpath={.spec.volumeClaimTemplates[0].spec.storageClassName}"]);
    expect(templates).toBe("nfs-client");
    for (const log of logs) expect(log).not.toContain("Attempting to delete and re-create");
  });

  it("monitoring: tilt down keeps the HelmRelease, whose deletion would uninstall the chart", async () => {
    const before = await liveObjects(cluster, "monitoring", PROTECTED_KINDS);
    expect(before["HelmRelease/kube-prometheus-stack"]).toBeDefined();
    const up = tilt("monitoring", ["up", "--stream", "--port", "0"]);
    await until("Tilt to apply the HelmRelease", async () => ((await appliedByTilt("monitoring", "helmreleases.helm.toolkit.fluxcd.io")).length === 1 ? true : undefined), 90);
    expect(await suspended("monitoring")).toBe(true);
    up.kill("SIGINT");
    await up;
    const down = await tilt("monitoring", ["down"]);
    expect(down.exitCode, down.all).toBe(0);
    expect(await liveObjects(cluster, "monitoring", PROTECTED_KINDS)).toEqual(before);
    expect(await suspended("monitoring")).toBe(false);
  });

  it("media with --storage=local-path: claims of Tilt's own beside Flux's, deleted by tilt down", async () => {
    const before = await liveObjects(cluster, "media", PROTECTED_KINDS);
    const up = tilt("media", ["up", "--stream", "--port", "0", "--", "--storage=local-path"]);
    await until("Flux to be suspended", async () => ((await suspended("media")) ? true : undefined), 90);
    const devClaims = await until("the dev claims to be applied", async () => {
      const claims = await appliedByTilt("media", "persistentvolumeclaims");
      return claims.length === 8 ? claims.sort() : undefined;
    }, 90);
    expect(devClaims.every((c) => c.endsWith("-dev"))).toBe(true);
    const { stdout: classes } = await cluster.kubectl(["get", ...devClaims, "-n", "media", "-o", "jsonpath={.items[*].spec.storageClassName}"]);
    expect(new Set(classes.split(" "))).toEqual(new Set(["local-path"]));
    await until("sonarr to mount its dev claim", async () => {
      const { stdout } = await cluster.kubectl(["get", "deployment", "sonarr", "-n", "media", "-o", "jsonpath={.spec.template.spec.volumes[*].persistentVolumeClaim.claimName}"]);
      return stdout.split(" ").includes("sonarr-config-dev") ? true : undefined;
    }, 60);
    up.kill("SIGINT");
    await up;
    const down = await tilt("media", ["down", "--", "--storage=local-path"]);
    expect(down.exitCode, down.all).toBe(0);
    // Tilt deleted its own claims (no controller here removes their protection finalizer) …
    const after = await liveObjects(cluster, "media", ["persistentvolumeclaims"]);
    for (const claim of devClaims) expect(after[`PersistentVolumeClaim/${claim.split("/")[1]}`]?.deleting ?? true, claim).toBe(true);
    // … and nothing of Flux's.
    const now = await liveObjects(cluster, "media", PROTECTED_KINDS);
    for (const [key, object] of Object.entries(before)) expect(now[key], key).toEqual(object);
    expect(await suspended("media")).toBe(false);
  });

  it("Tilt killed outright: the suspend process notices, resumes Flux and ends", async () => {
    const up = tilt("media", ["up", "--stream", "--port", "0"]);
    await until("Flux to be suspended", async () => ((await suspended("media")) ? true : undefined), 90);
    expect(await suspendProcesses()).not.toEqual([]);
    up.kill("SIGKILL");
    await up;
    await until("Flux to be resumed after Tilt died", async () => ((await suspended("media")) ? undefined : true), 15);
    await until("the suspend process to end", async () => ((await suspendProcesses()).length === 0 ? true : undefined), 10);
  });

  it("suspends nothing with SUSPEND_FLUX=false", async () => {
    const calls = flux.calls().length;
    const up = tilt("media", ["up", "--stream", "--port", "0"], { SUSPEND_FLUX: "false" });
    await until("Tilt to apply", async () => ((await appliedByTilt("media", "deployments")).length === 8 ? true : undefined), 90);
    up.kill("SIGINT");
    await up;
    expect(flux.calls().slice(calls)).toEqual([]);
    expect(await suspended("media")).toBe(false);
  });

  describe("a fresh local cluster", () => {
    let local: TestCluster;
    beforeAll(async () => {
      local = await startTestCluster();
    });
    afterAll(async () => local?.stop());

    it("applies claims on local-path without touching Flux, and tilt down deletes what Tilt applied", async () => {
      const kubeconfig = asLocalCluster(local, path.join(mkdtempSync(path.join(os.tmpdir(), "kind-")), "config"));
      const calls = flux.calls().length;
      const env = { KUBECONFIG: kubeconfig };
      const up = tilt("media", ["up", "--stream", "--port", "0"], env);
      const claims = await until("the claims to be applied", async () => {
        const { stdout } = await local.kubectl(["get", "pvc", "-n", "media", "-o", "jsonpath={.items[*].spec.storageClassName}"], { reject: false });
        const classes = stdout.split(" ").filter(Boolean);
        return classes.length === 8 ? classes : undefined;
      }, 90);
      expect(new Set(claims)).toEqual(new Set(["local-path"]));
      await until("the Job to be applied", async () => ((await local.kubectl(["get", "job", "media-db-migrate", "-n", "media"], { reject: false })).exitCode === 0 ? true : undefined), 60);
      up.kill("SIGINT");
      await up;
      const down = await tilt("media", ["down"], env);
      expect(down.exitCode, down.all).toBe(0);
      const { stdout } = await local.kubectl(["get", "deployments", "-n", "media", "-o", "name"]);
      expect(stdout).toBe("");
      expect(flux.calls().slice(calls)).toEqual([]);
    });
  });
});
