// A namespace Argo CD made, developed with Tilt on Argo CD's cluster: the real application
// controller and repo server sync the demo Application from the local git server; the generated
// Tiltfile pauses its automated sync for each `tilt up`, applies the folder's edits in place, and
// Ctrl-C and `tilt down` restore the sync exactly as it was, after which Argo CD puts git's state
// back. Nothing Argo CD made is deleted or re-created.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { demoRepository, REPLICAS } from "../support/argocd-demo.ts";
import {
  APPLICATIONS,
  ARGOCD_NAMESPACE,
  application,
  refreshed,
  syncWithArgoCD,
  type ArgoCDSync,
} from "../support/argocd.ts";
import { freePort, startTestCluster, toolPath, type TestCluster } from "../support/cluster.ts";
import { liveObjects } from "../support/flux-state.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { until } from "../support/until.ts";
import { gitFixture, runScript, type GitFixture } from "../scripts/support.ts";

const ready = requireRealTools("Tilt on Argo CD's cluster", [
  "tilt",
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
const NS = "demo";
const KEPT_KINDS = ["deployments", "services", "persistentvolumeclaims", "pods"];
const PAUSED = "tilt.dev/paused-automated-sync";

describe.runIf(ready)("Tilt on a namespace Argo CD deploys", { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let sync: ArgoCDSync;
  let repo: GitFixture;
  let folder: string;
  const home = mkdtempSync(path.join(os.tmpdir(), "tilt-home-"));
  const logs: string[] = [];
  const running = new Set<ReturnType<typeof execa>>();

  beforeAll(async () => {
    cluster = await startTestCluster({ controllers: true, argocd: true });
    repo = await gitFixture(demoRepository());
    sync = await syncWithArgoCD(cluster, repo, ["argocd/demo.yaml"]);
    // The user's clone names the repository as the Application does.
    await repo.git(["remote", "add", "argocd", sync.repoURL]);
    folder = path.join(repo.work, "apps/demo");
    await scaffold({
      folders: [folder],
      cwd: repo.work,
      context: cluster.context,
      env: { KUBECONFIG: cluster.kubeconfig },
    });
  }, 360_000);
  afterAll(async () => {
    for (const run of running) run.kill("SIGINT");
    await Promise.all(running);
    const tiltLog = path.join(home, "tilt-runs.log");
    writeFileSync(tiltLog, logs.join("\n"));
    console.log(`tilt's output: ${tiltLog}`);
    await sync?.stop();
    await cluster?.stop();
  });

  function tilt(args: string[], dir = folder) {
    const run = execa(toolPath("tilt"), args, {
      all: true,
      cwd: dir,
      reject: false,
      env: {
        KUBECONFIG: cluster.kubeconfig,
        PATH: `${path.dirname(toolPath("kube-apiserver"))}:${process.env.PATH}`,
        HOME: home,
      },
    });
    running.add(run);
    void run.then((r) => {
      running.delete(run);
      logs.push(`$ tilt ${args.join(" ")}\n${String(r.all)}`);
    });
    return run;
  }

  const automated = async () => (await application(cluster, APP))?.spec.syncPolicy?.automated;
  const paused = async () => {
    const { stdout } = await cluster.kubectl([
      "get",
      APPLICATIONS,
      APP,
      "-n",
      ARGOCD_NAMESPACE,
      "-o",
      `jsonpath={.metadata.annotations.${PAUSED.replace(/\./g, "\\.")}}`,
    ]);
    return stdout;
  };
  const deployment = async () => {
    const { stdout } = await cluster.kubectl(["get", "deployment", "demo", "-n", NS, "-o", "json"]);
    return JSON.parse(stdout) as {
      spec: { replicas: number; template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } };
    };
  };
  const greeting = async () =>
    (await deployment()).spec.template.spec.containers[0]!.env?.find((e) => e.name === "GREETING")?.value;

  /** Argo CD's sync back as git has it, Synced and Healthy at git's revision with git's replicas. */
  async function handedBack(what: string): Promise<void> {
    await until(
      `${what} to restore the automated sync`,
      async () => ((await paused()) === "" && (await automated())?.enabled === undefined ? true : undefined),
      60,
    );
    expect(await automated()).toEqual({ prune: true, selfHeal: true });
    await until(
      `Argo CD to put git's replicas back after ${what}`,
      async () => ((await deployment()).spec.replicas === REPLICAS ? true : undefined),
      120,
    );
    await sync.waitSynced(APP);
    expect(await greeting()).toBeUndefined();
  }

  it("tilt up, an edit, Ctrl-C, tilt up, tilt down: the sync paused while Tilt runs and restored after, every object the one Argo CD made", async () => {
    const before = await liveObjects(cluster, NS, KEPT_KINDS);
    expect(Object.keys(before)).toContain("PersistentVolumeClaim/demo-data");

    const first = tilt(["up", "--stream", "--port", "0"]);
    await until(
      "Tilt to pause Argo CD's automated sync",
      async () => ((await automated())?.enabled === false ? true : undefined),
      90,
    );
    expect(await paused()).toBe("unset");
    // The dev caps: one replica where git runs two; Argo CD does not take it back.
    await until(
      "Tilt to apply the dev build",
      async () => ((await deployment()).spec.replicas === 1 ? true : undefined),
      90,
    );

    // An edit in the folder: Tilt applies it in place; the paused Argo CD sees it and leaves it.
    const file = path.join(folder, "deployment.yaml");
    const inGit = readFileSync(file, "utf8");
    const edited = JSON.parse(inGit);
    edited.spec.template.spec.containers[0].env = [{ name: "GREETING", value: "from tilt" }];
    writeFileSync(file, JSON.stringify(edited, null, 2));
    await until("Tilt to apply the edit", async () => ((await greeting()) === "from tilt" ? true : undefined), 90);
    await refreshed(cluster, APP);
    const app = await application(cluster, APP);
    expect(app?.status?.sync?.status).toBe("OutOfSync");
    expect(await greeting()).toBe("from tilt");

    // Ctrl-C: the sync comes back as it was, and Argo CD syncs git's state over Tilt's.
    first.kill("SIGINT");
    await first;
    await handedBack("Ctrl-C");

    // Up again, then down: paused once more, and handed back again.
    const second = tilt(["up", "--stream", "--port", "0"]);
    await until(
      "Tilt to pause the sync again",
      async () => ((await automated())?.enabled === false ? true : undefined),
      90,
    );
    await until(
      "Tilt to apply the edit again",
      async () => ((await greeting()) === "from tilt" ? true : undefined),
      90,
    );
    second.kill("SIGINT");
    await second;
    const down = await tilt(["down"]);
    expect(down.exitCode, down.all).toBe(0);
    await handedBack("tilt down");
    writeFileSync(file, inGit);

    // The Deployment, claim and Service are the ones Argo CD made: same UIDs, none being deleted.
    const after = await liveObjects(cluster, NS, ["deployments", "services", "persistentvolumeclaims"]);
    for (const [ref, object] of Object.entries(after)) expect(object, ref).toEqual(before[ref]);
    expect(Object.keys(after).sort()).toEqual(
      Object.keys(before)
        .filter((k) => !k.startsWith("Pod/"))
        .sort(),
    );
  });

  const deploy = (args: string[]) =>
    runScript(path.join(folder, "deploy.sh"), [...args, "--timeout", "120s"], {
      KUBECONFIG: cluster.kubeconfig,
      PATH: process.env.PATH!,
    });

  it("deploy.sh pushes a change, has Argo CD sync it, and waits until Synced and Healthy at the pushed commit", async () => {
    // The tooling itself, committed and pushed as a user would before deploying with it.
    await repo.git(["add", "--all"]);
    await repo.git(["commit", "--quiet", "-m", "demo: tooling"]);
    await repo.git(["push", "--quiet", "origin", "main"]);
    const file = path.join(folder, "deployment.yaml");
    const changed = JSON.parse(readFileSync(file, "utf8"));
    changed.spec.template.metadata.labels.release = "two";
    writeFileSync(file, JSON.stringify(changed, null, 2));
    const run = await deploy(["-m", "demo: label the pods"]);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    const pushed = await sync.revision();
    expect(run.stdout).toContain(`Argo CD synced ${pushed.slice(0, 12)}: argocd/demo`);
    const app = await application(cluster, APP);
    expect([app?.status?.sync?.status, app?.status?.sync?.revision, app?.status?.health?.status]).toEqual([
      "Synced",
      pushed,
      "Healthy",
    ]);
    expect(JSON.stringify(await deployment())).toContain('"release":"two"');
  });

  it("deploy.sh reverts a change whose pods never become ready, pushes the revert and waits until Argo CD synced it", async () => {
    const tree = await repo.remoteGit(["rev-parse", "main:apps/demo"]);
    const file = path.join(folder, "deployment.yaml");
    const inGit = readFileSync(file, "utf8");
    const crashing = JSON.parse(inGit);
    // kwok never readies these pods; past the deadline the Deployment, and so the Application, is Degraded.
    crashing.spec.progressDeadlineSeconds = 10;
    crashing.spec.template.metadata.labels["kwok.test.invalid/pod"] = "crash-loop";
    writeFileSync(file, JSON.stringify(crashing, null, 2));
    const run = await deploy(["-m", "demo: crashing pods"]);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(3);
    expect(run.stderr).toMatch(
      /Argo CD Application argocd\/demo: Degraded at [0-9a-f]{12}\. Rolled back: pushed [0-9a-f]{12}, which reverts [0-9a-f]{12}; Argo CD applied it$/,
    );
    const [revert, deployed] = await repo.remoteLog();
    expect(deployed).toMatch(/ demo: crashing pods$/);
    expect(revert).toMatch(/ Revert "demo: crashing pods"$/);
    expect(await repo.remoteGit(["rev-parse", "main:apps/demo"])).toBe(tree);
    const app = await sync.waitSynced(APP);
    expect(app.status?.sync?.revision).toBe(await sync.revision());
    expect(readFileSync(file, "utf8")).toBe(inGit);
  });

  it("observe mode: attaches to the pods Argo CD runs, pauses nothing and changes nothing", async () => {
    const copy = path.join(mkdtempSync(path.join(os.tmpdir(), "observe-")), "work");
    cpSync(repo.work, copy, { recursive: true });
    const observed = path.join(copy, "apps/demo");
    await scaffold({
      folders: [observed],
      cwd: copy,
      context: cluster.context,
      tilt: "observe",
      env: { KUBECONFIG: cluster.kubeconfig },
    });
    const objects = await liveObjects(cluster, NS, ["deployments", "services", "persistentvolumeclaims"]);
    const generation = async () =>
      (await cluster.kubectl(["get", "deployment", "demo", "-n", NS, "-o", "jsonpath={.metadata.generation}"])).stdout;
    const before = await generation();
    const port = await freePort();
    const up = tilt(["up", "--stream", "--port", String(port)], observed);
    const pods = async () =>
      (
        await cluster.kubectl([
          "get",
          "pods",
          "-n",
          NS,
          "-l",
          "app=demo",
          "--field-selector=status.phase=Running",
          "-o",
          "jsonpath={.items[*].metadata.name}",
        ])
      ).stdout
        .split(" ")
        .filter(Boolean)
        .sort();
    await until(
      "Tilt to attach to every pod of the Deployment",
      async () => {
        const { stdout, exitCode } = await execa(
          toolPath("tilt"),
          ["get", "kubernetesdiscoveries", "-o", "json", "--port", String(port)],
          { reject: false, env: { HOME: home } },
        );
        if (exitCode !== 0) return undefined;
        const bound = (
          JSON.parse(stdout) as { items: { metadata: { name: string }; status?: { pods?: { name: string }[] } }[] }
        ).items.find((d) => d.metadata.name === "demo");
        const want = await pods();
        return want.length === REPLICAS &&
          JSON.stringify((bound?.status?.pods ?? []).map((p) => p.name).sort()) === JSON.stringify(want)
          ? true
          : undefined;
      },
      120,
    );
    expect(await paused()).toBe("");
    expect(await automated()).toEqual({ prune: true, selfHeal: true });
    up.kill("SIGINT");
    await up;
    const down = await tilt(["down"], observed);
    expect(down.exitCode, down.all).toBe(0);
    expect(await generation()).toBe(before);
    expect(await liveObjects(cluster, NS, ["deployments", "services", "persistentvolumeclaims"])).toEqual(objects);
    await sync.waitSynced(APP);
  });
});
