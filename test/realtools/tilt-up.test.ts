// The real Tilt against a cluster Flux manages (real controllers, a kwok node running the pods,
// the real source- and kustomize-controller syncing from a local git server): `tilt up`, an
// edit, Ctrl-C while Tilt applies, `tilt up` again, `tilt down`. Nothing Flux made may be
// deleted, marked for deletion or re-created, Tilt's resources turn ok on the pods the
// controllers make, and after the resume Flux reconciles the namespace back to its revision.
// Then the same Tiltfile on a fresh local cluster, where storage is local-path and `tilt down`
// deletes.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NamespaceModel } from "../../helpers/namespace/model.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import { freePort, startTestCluster, toolPath, type TestCluster } from "../support/cluster.ts";
import { asLocalCluster, liveObjects } from "../support/flux-state.ts";
import { syncWithFlux, type FluxSync } from "../support/flux-sync.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { gitFixture } from "../scripts/support.ts";
import { copyExample } from "../support/example.ts";
import { until } from "../support/until.ts";

const ready = requireRealTools("tilt up suite", [
  "tilt",
  "flux",
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "source-controller",
  "kustomize-controller",
]);

/** What holds data or would take data with it: none of these may be deleted or re-created. */
const PROTECTED_KINDS = [
  "persistentvolumeclaims",
  "persistentvolumes",
  "statefulsets",
  "jobs",
  "helmreleases.helm.toolkit.fluxcd.io",
  "deployments",
  "secrets",
  "configmaps",
];
const SUSPEND_PROCESS = "Flux suspended until Tilt stops";

/** A `flux` first on PATH that logs each call, then runs the real one. */
function fluxRecorder(): { bin: string; calls: () => string[] } {
  const bin = mkdtempSync(path.join(os.tmpdir(), "flux-recorder-"));
  const log = path.join(bin, "calls.log");
  writeFileSync(
    path.join(bin, "flux"),
    `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> '${log}'\nexec '${toolPath("flux")}' "$@"\n`,
  );
  chmodSync(path.join(bin, "flux"), 0o755);
  return { bin, calls: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : []) };
}

/** Processes of ours still running: the suspend loop names itself in its command line. */
async function suspendProcesses(): Promise<string[]> {
  const { stdout } = await execa("pgrep", ["-f", SUSPEND_PROCESS], { reject: false });
  return stdout.split("\n").filter(Boolean);
}

describe.runIf(ready)("tilt up / tilt down on the cluster Flux manages", { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let sync: FluxSync;
  let repo: string;
  let models: Record<string, NamespaceModel>;
  const flux = fluxRecorder();
  const logs: string[] = [];
  // One HOME for every Tilt run of the suite: `tilt get` finds a running `tilt up` by its port there.
  const home = mkdtempSync(path.join(os.tmpdir(), "tilt-home-"));

  beforeAll(async () => {
    cluster = await startTestCluster({ controllers: true, flux: true });
    const fixture = await gitFixture();
    repo = fixture.work;
    sync = await syncWithFlux(cluster, fixture);
    await sync.waitReady(["monitoring", "media"], 240);
    const folders = ["applications/media", "infrastructure/monitoring"].map((ns) => path.join(repo, ns));
    const result = await scaffold({
      folders,
      cwd: repo,
      context: cluster.context,
      env: { KUBECONFIG: cluster.kubeconfig },
    });
    models = Object.fromEntries(result.models.map((m) => [m.namespace, m]));
  }, 360_000);
  afterAll(async () => {
    await sync?.stop();
    await cluster?.stop();
  });

  /** The real tilt in namespace `ns`'s folder, or in `folder` (another copy of it). */
  function tilt(ns: string, args: string[], env: Record<string, string> = {}, folder = models[ns]!.folder) {
    const run = execa(toolPath("tilt"), args, {
      all: true,
      cwd: folder,
      reject: false,
      // tilt on PATH too, as for a user: the hand-back button runs `tilt disable`.
      env: {
        KUBECONFIG: cluster.kubeconfig,
        PATH: `${flux.bin}:${process.env.PATH}:${path.dirname(toolPath("tilt"))}`,
        HOME: home,
        ...env,
      },
    });
    void run.then((r) => logs.push(String(r.all)));
    return run;
  }

  async function suspended(name: string): Promise<boolean> {
    const { stdout } = await cluster.kubectl([
      "get",
      "kustomizations.kustomize.toolkit.fluxcd.io",
      name,
      "-n",
      "flux-system",
      "-o",
      "jsonpath={.spec.suspend}",
    ]);
    return stdout === "true";
  }

  /** Names of the objects of a kind Tilt has applied (it labels what it applies). */
  async function appliedByTilt(ns: string, kind: string): Promise<string[]> {
    const { stdout } = await cluster.kubectl([
      "get",
      kind,
      "-n",
      ns,
      "-l",
      "app.kubernetes.io/managed-by=tilt",
      "-o",
      "name",
    ]);
    return stdout.split("\n").filter(Boolean);
  }

  /** Tilt's own view, from its API: each resource's runtime status, by name. */
  async function tiltStatuses(ns: string, port: number): Promise<Record<string, string>> {
    const { stdout, exitCode } = await tilt(ns, ["get", "uiresources", "-o", "json", "--port", String(port)]);
    if (exitCode !== 0) return {};
    const items = (
      JSON.parse(stdout) as {
        items: { metadata: { name: string }; status: { runtimeStatus?: string; updateStatus?: string } }[];
      }
    ).items;
    return Object.fromEntries(
      items.map((r) => [r.metadata.name, `${r.status.updateStatus}/${r.status.runtimeStatus}`]),
    );
  }

  async function image(ns: string, deployment: string): Promise<string> {
    const { stdout } = await cluster.kubectl([
      "get",
      "deployment",
      deployment,
      "-n",
      ns,
      "-o",
      "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    return stdout;
  }

  it("media: up, edit, Ctrl-C while applying, up again, down: every claim, StatefulSet, Job and workload keeps its UID", async () => {
    const before = await liveObjects(cluster, "media", PROTECTED_KINDS);
    // Eight claims of Flux's and the one postgres' claim template made.
    expect(Object.keys(before).filter((k) => k.startsWith("PersistentVolumeClaim/"))).toHaveLength(9);
    expect(before["StatefulSet/postgres"]).toBeDefined();
    expect(before["Job/media-db-migrate"]).toBeDefined();
    const deployment = path.join(models.media!.folder, "base/sonarr/deployment.yaml");
    const edit = (from: string, to: string) =>
      writeFileSync(deployment, readFileSync(deployment, "utf8").replace(`sonarr:${from}`, `sonarr:${to}`));

    const port = await freePort();
    const first = tilt("media", ["up", "--stream", "--port", String(port)]);
    await until("Flux to be suspended", async () => ((await suspended("media")) ? true : undefined), 90);
    await until(
      "Tilt to apply every Deployment",
      async () => ((await appliedByTilt("media", "deployments")).length === 8 ? true : undefined),
      90,
    );
    // Every workload's pods, made by the real controllers from what Tilt applied, run Ready.
    const workloads = [
      "homepage",
      "jellyfin",
      "lidarr",
      "postgres",
      "qbittorrent",
      "radarr",
      "sabnzbd",
      "sonarr",
      "tautulli",
    ];
    const statuses = await until(
      "Tilt to report every workload ok",
      async () => {
        const all = await tiltStatuses("media", port);
        return workloads.every((w) => all[w] === "ok/ok") ? all : undefined;
      },
      120,
    );
    expect(Object.keys(statuses)).toEqual(expect.arrayContaining(workloads));
    // An edit makes Tilt reload and apply again; the suspend does not run again.
    edit("4.0.11", "4.0.12");
    await until(
      "the edit to be applied",
      async () => ((await image("media", "sonarr")).endsWith(":4.0.12") ? true : undefined),
      60,
    );
    expect(flux.calls().filter((c) => c.startsWith("suspend"))).toEqual([
      "suspend kustomization media -n flux-system --context tilt-test",
    ]);
    // Ctrl-C while Tilt is applying the next edit.
    edit("4.0.12", "4.0.13");
    await new Promise((resolve) => setTimeout(resolve, 400));
    first.kill("SIGINT");
    await first;
    await until("Ctrl-C to resume Flux", async () => ((await suspended("media")) ? undefined : true), 30);
    await until(
      "the suspend process to end with Tilt",
      async () => ((await suspendProcesses()).length === 0 ? true : undefined),
      10,
    );
    // Resumed, Flux reconciles at once and applies its own sonarr image over Tilt's edit.
    await until(
      "Flux to take sonarr back after Ctrl-C",
      async () => ((await image("media", "sonarr")).endsWith(":4.0.11") ? true : undefined),
      60,
    );

    const second = tilt("media", ["up", "--stream", "--port", "0"]);
    await until("Flux to be suspended again", async () => ((await suspended("media")) ? true : undefined), 90);
    await until(
      "the last edit to be applied",
      async () => ((await image("media", "sonarr")).endsWith(":4.0.13") ? true : undefined),
      60,
    );
    second.kill("SIGINT");
    await second;
    const down = await tilt("media", ["down"]);
    expect(down.exitCode, down.all).toBe(0);

    expect(await suspended("media")).toBe(false);
    expect(await liveObjects(cluster, "media", PROTECTED_KINDS)).toEqual(before);
    // Flux has the namespace back: it reconciles Tilt's edit away, Ready at the same revision.
    await until(
      "Flux to apply its sonarr image again",
      async () => ((await image("media", "sonarr")).endsWith(":4.0.11") ? true : undefined),
      90,
    );
    await sync.waitReady(["media"], 90);
    // Live storage: the claims and the Job are Flux's, never Tilt's.
    expect(await appliedByTilt("media", "persistentvolumeclaims")).toEqual([]);
    expect(await appliedByTilt("media", "jobs")).toEqual([]);
    const { stdout: claimClass } = await cluster.kubectl([
      "get",
      "pvc",
      "sonarr-config",
      "-n",
      "media",
      "-o",
      "jsonpath={.spec.storageClassName}",
    ]);
    expect(claimClass).toBe("nfs-client");
    const { stdout: templates } = await cluster.kubectl([
      "get",
      "statefulset",
      "postgres",
      "-n",
      "media",
      "-o",
      "jsonpath={.spec.volumeClaimTemplates[0].spec.storageClassName}",
    ]);
    expect(templates).toBe("nfs-client");
    for (const log of logs) expect(log).not.toContain("Attempting to delete and re-create");
  });

  it("monitoring: tilt down keeps the HelmReleases, whose deletion would uninstall their charts", async () => {
    const before = await liveObjects(cluster, "monitoring", PROTECTED_KINDS);
    expect(before["HelmRelease/kube-prometheus-stack"]).toBeDefined();
    expect(before["HelmRelease/echo-server"]).toBeDefined();
    const up = tilt("monitoring", ["up", "--stream", "--port", "0"]);
    await until(
      "Tilt to apply the HelmReleases",
      async () =>
        (await appliedByTilt("monitoring", "helmreleases.helm.toolkit.fluxcd.io")).length === 2 ? true : undefined,
      90,
    );
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
    const devClaims = await until(
      "the dev claims to be applied",
      async () => {
        const claims = await appliedByTilt("media", "persistentvolumeclaims");
        return claims.length === 8 ? claims.sort() : undefined;
      },
      90,
    );
    expect(devClaims.every((c) => c.endsWith("-dev"))).toBe(true);
    const { stdout: classes } = await cluster.kubectl([
      "get",
      ...devClaims,
      "-n",
      "media",
      "-o",
      "jsonpath={.items[*].spec.storageClassName}",
    ]);
    expect(new Set(classes.split(" "))).toEqual(new Set(["local-path"]));
    await until(
      "sonarr to mount its dev claim",
      async () => {
        const { stdout } = await cluster.kubectl([
          "get",
          "deployment",
          "sonarr",
          "-n",
          "media",
          "-o",
          "jsonpath={.spec.template.spec.volumes[*].persistentVolumeClaim.claimName}",
        ]);
        return stdout.split(" ").includes("sonarr-config-dev") ? true : undefined;
      },
      60,
    );
    up.kill("SIGINT");
    await up;
    const down = await tilt("media", ["down", "--", "--storage=local-path"]);
    expect(down.exitCode, down.all).toBe(0);
    // Tilt deleted its own claims (the controller-manager lets them go once no pod uses them) …
    await until(
      "the dev claims to be gone",
      async () => ((await appliedByTilt("media", "persistentvolumeclaims")).length === 0 ? true : undefined),
      60,
    );
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
    await until(
      "the suspend process to end",
      async () => ((await suspendProcesses()).length === 0 ? true : undefined),
      10,
    );
  });

  it("suspends nothing with SUSPEND_FLUX=false", async () => {
    const calls = flux.calls().length;
    const up = tilt("media", ["up", "--stream", "--port", "0"], { SUSPEND_FLUX: "false" });
    await until(
      "Tilt to apply",
      async () => ((await appliedByTilt("media", "deployments")).length === 8 ? true : undefined),
      90,
    );
    up.kill("SIGINT");
    await up;
    // The flux_status resource only reads Flux's state.
    expect(
      flux
        .calls()
        .slice(calls)
        .filter((c) => !c.startsWith("get ")),
    ).toEqual([]);
    expect(await suspended("media")).toBe(false);
  });

  it("the hand-back button resumes Flux while Tilt runs on, and deletes nothing of Flux's", async () => {
    const before = await liveObjects(cluster, "media", PROTECTED_KINDS);
    const port = await freePort();
    const up = tilt("media", ["up", "--stream", "--port", String(port)]);
    await until("Flux to be suspended", async () => ((await suspended("media")) ? true : undefined), 90);
    await until("the buttons", async () => ((await tiltStatuses("media", port))["media-flux"] ? true : undefined), 60);
    await press(port, "media-flux-hand-back");
    await until("Flux to be resumed", async () => ((await suspended("media")) ? undefined : true), 60);
    const statuses = await tiltStatuses("media", port);
    expect(statuses.sonarr).toBeDefined();
    expect(up.exitCode).toBeNull();
    up.kill("SIGINT");
    await up;
    // Disabling Tilt's resources would have deleted Flux's objects: the button disables none.
    expect(await liveObjects(cluster, "media", PROTECTED_KINDS)).toEqual(before);
  });

  /** `uid@resourceVersion` of every object in the namespace (events aside), by `kind/name`. */
  async function namespaceState(ns: string): Promise<Record<string, string>> {
    const kinds = (await cluster.kubectl(["api-resources", "--verbs=list", "--namespaced", "-o", "name"])).stdout
      .split("\n")
      .filter((k) => k && !k.startsWith("events"));
    const { stdout } = await cluster.kubectl(["get", kinds.join(","), "-n", ns, "-o", "json"]);
    const items = (
      JSON.parse(stdout) as {
        items: { kind: string; metadata: { name: string; uid: string; resourceVersion: string } }[];
      }
    ).items;
    return Object.fromEntries(
      items.map((o) => [`${o.kind}/${o.metadata.name}`, `${o.metadata.uid}@${o.metadata.resourceVersion}`]),
    );
  }

  /** Presses a button as Tilt's web UI does: a PUT of its status with a new lastClickedAt. */
  async function press(port: number, name: string): Promise<void> {
    const url = `http://localhost:${port}/proxy/apis/tilt.dev/v1alpha1/uibuttons/${name}`;
    const button = (await (await fetch(url)).json()) as { metadata: object; status?: object };
    // A MicroTime: six digits of fraction.
    const lastClickedAt = new Date().toISOString().replace("Z", "000Z");
    const response = await fetch(`${url}/status`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ metadata: button.metadata, status: { ...button.status, lastClickedAt } }),
    });
    expect(response.status, await response.text()).toBe(200);
  }

  it("observe mode: attaches to what Flux runs and writes nothing; its buttons suspend and resume Flux", async () => {
    const observed = await scaffold({
      folders: [path.join(copyExample(), "applications/media")],
      cwd: repo,
      context: cluster.context,
      tilt: "observe",
      env: { KUBECONFIG: cluster.kubeconfig },
    });
    const folder = observed.models[0]!.folder;
    // What Flux runs, settled: the same two seconds apart.
    let before: Record<string, string> = {};
    await until(
      "the namespace to settle",
      async () => {
        const [first, second] = [
          await namespaceState("media"),
          await new Promise((r) => setTimeout(r, 2000)).then(() => namespaceState("media")),
        ];
        before = second;
        return JSON.stringify(first) === JSON.stringify(second);
      },
      120,
    );
    const calls = flux.calls().length;
    const port = await freePort();
    const observe = (args: string[]) => tilt("media", args, {}, folder);
    const up = observe(["up", "--stream", "--port", String(port)]);
    const workloads = [
      "homepage",
      "jellyfin",
      "lidarr",
      "media-db-migrate",
      "postgres",
      "qbittorrent",
      "radarr",
      "sabnzbd",
      "sonarr",
      "tautulli",
    ];
    await until(
      "Tilt to report every attached workload ok",
      async () => {
        const all = await tiltStatuses("media", port);
        return workloads.every((w) => all[w] === "ok/ok") ? all : undefined;
      },
      120,
    );
    const { stdout } = await observe(["get", "uibuttons", "-o", "json", "--port", String(port)]);
    // Ours, beside the stop and disable buttons Tilt gives every resource.
    const buttons = (JSON.parse(stdout) as { items: { metadata: { name: string } }[] }).items
      .map((b) => b.metadata.name)
      .filter((n) => n.startsWith("media-flux-") && !n.endsWith("-stopbuild"))
      .sort();
    expect(buttons).toEqual([
      "media-flux-dashboard",
      "media-flux-deploy-dry-run",
      "media-flux-reconcile",
      "media-flux-resume",
      "media-flux-suspend",
    ]);
    // Watching asks Flux only for its state.
    expect(
      flux
        .calls()
        .slice(calls)
        .filter((c) => !c.startsWith("get ")),
    ).toEqual([]);

    await press(port, "media-flux-suspend");
    await until("the button to suspend Flux", async () => ((await suspended("media")) ? true : undefined), 60);
    await press(port, "media-flux-resume");
    await until("the button to resume Flux", async () => ((await suspended("media")) ? undefined : true), 60);
    expect(
      flux
        .calls()
        .slice(calls)
        .filter((c) => !c.startsWith("get ")),
    ).toEqual([
      "suspend kustomization media -n flux-system --context tilt-test",
      "resume kustomization media -n flux-system --context tilt-test",
    ]);
    up.kill("SIGINT");
    await up;
    const down = await observe(["down"]);
    expect(down.exitCode, down.all).toBe(0);
    await sync.waitReady(["media"], 90);
    expect(await namespaceState("media")).toEqual(before);
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
      const claims = await until(
        "the claims to be applied",
        async () => {
          const { stdout } = await local.kubectl(
            ["get", "pvc", "-n", "media", "-o", "jsonpath={.items[*].spec.storageClassName}"],
            { reject: false },
          );
          const classes = stdout.split(" ").filter(Boolean);
          return classes.length === 8 ? classes : undefined;
        },
        90,
      );
      expect(new Set(claims)).toEqual(new Set(["local-path"]));
      await until(
        "the Job to be applied",
        async () =>
          (await local.kubectl(["get", "job", "media-db-migrate", "-n", "media"], { reject: false })).exitCode === 0
            ? true
            : undefined,
        60,
      );
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
