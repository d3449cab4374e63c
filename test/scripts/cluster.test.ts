// dashboard.sh and deploy.sh against a real kube-apiserver with Flux's CRDs (test/support/cluster.ts).
// Nothing reconciles there: the tests play the kubelet (pod status) and Flux (flux-standin.ts).
// Needs `npm run tools`; without it this suite skips loudly, and fails when CI is set.
import { appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { crashLoopPodStatus, haveTools, runningPodStatus, startTestCluster, toolsDir, type TestCluster } from "../support/cluster.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import { copyExample, EXAMPLE_ROOT } from "../support/example.ts";
import { FluxStandIn } from "./flux-standin.ts";
import { countingKubectl, gitFixture, gitSnapshot, inCI, PATH_WITH_FLUX, PATH_WITHOUT_FLUX, runScript, TOOLS_BIN, warnSkipping, type GitFixture } from "./support.ts";

const ready = haveTools();
if (!ready && !inCI) warnSkipping("test/scripts/cluster.test.ts", `etcd/kube-apiserver/flux/CRDs not in ${toolsDir}: run \`npm run tools\``);

describe.runIf(!ready && inCI)("scripts against a real API server, in CI", () => {
  it("have their tools built by `npm run tools`", () => {
    expect.fail(`CI is set but etcd/kube-apiserver/flux/CRDs are missing in ${toolsDir}`);
  });
});

const SETTINGS = { DOMAIN: "homelab.example", TZ: "Europe/Berlin", NFS_SERVER: "192.168.1.20" };
const KUSTOMIZATIONS = "kustomizations.kustomize.toolkit.fluxcd.io";
const OBSERVABILITY = "infrastructure/observability";

describe.skipIf(!ready)("scripts against a real API server", { timeout: 180_000 }, () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster();
    await cluster.kubectl(["create", "namespace", "flux-system"]);
    // What `flux bootstrap` and the root Kustomization would have put there.
    for (const file of ["flux-system/gotk-sync.yaml", "cluster-settings.yaml", "apps.yaml", "infrastructure.yaml"]) {
      await cluster.kubectl(["apply", "-f", path.join(EXAMPLE_ROOT, "clusters/homelab", file)]);
    }
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  const kustomization = (name: string) =>
    cluster.kubectl(["get", KUSTOMIZATIONS, name, "-n", "flux-system", "-o", "json"]).then((r) => JSON.parse(r.stdout));
  const setSuspend = (name: string, suspend: boolean) =>
    cluster.kubectl(["patch", KUSTOMIZATIONS, name, "-n", "flux-system", "--type=merge", "-p", JSON.stringify({ spec: { suspend } })]);

  describe("dashboard.sh", () => {
    const dashboard = path.join(EXAMPLE_ROOT, "applications/media/dashboard.sh");
    const run = (env: Record<string, string> = {}) => runScript(dashboard, [], { KUBECONFIG: cluster.kubeconfig, PATH: PATH_WITH_FLUX, ...env });

    beforeAll(async () => {
      // What Flux would apply for media, then three pods the way a kubelet reports them.
      const built = await execa("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", path.join(EXAMPLE_ROOT, "applications/media/overlays/prod")]);
      const substituted = await execa(path.join(TOOLS_BIN, "flux"), ["envsubst"], { input: built.stdout, env: { ...SETTINGS, MEDIA_UID: "1000", quote: '"' }, extendEnv: false });
      await cluster.kubectl(["apply", "--server-side", "-f", "-"], { input: substituted.stdout });
      for (const name of ["jellyfin-5d8f9", "radarr-7c6b4", "sonarr-9f2d1"]) {
        const pod = { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "media" }, spec: { containers: [{ name: "app", image: "example.invalid/app:1" }] } };
        await cluster.kubectl(["apply", "-f", "-"], { input: JSON.stringify(pod) });
      }
      await cluster.setPodStatus("media", "jellyfin-5d8f9", runningPodStatus("app"));
      await cluster.setPodStatus("media", "radarr-7c6b4", crashLoopPodStatus("app", 7));
      // sonarr-9f2d1 keeps the API server's default: Pending.
    });

    it("shows pods, Services with Tilt's ports, ingress URLs and claims", async () => {
      const { exitCode, stdout, stderr } = await run();
      expect(exitCode, stderr).toBe(0);
      expect(stdout).toMatch(/● jellyfin-5d8f9 +1\/1 +Running +0 /);
      expect(stdout).toMatch(/✖ radarr-7c6b4 +0\/1 +CrashLoopBackOff +7 /);
      expect(stdout).toMatch(/◐ sonarr-9f2d1 +0\/1 +Pending +0 /);
      expect(stdout).toMatch(/jellyfin +ClusterIP .* 80\/TCP +localhost:8096/);
      expect(stdout).toMatch(/homepage +ClusterIP .* localhost:10080/);
      expect(stdout).toContain("https://jellyfin.homelab.example/");
      expect(stdout).toMatch(/media-library +Pending +1Ti requested +nfs-client/);
      expect(stdout).toMatch(/Deployment +jellyfin +0\/1/);
      expect(stdout).toContain("kubectl logs -n media radarr-7c6b4 --previous");
    });

    it("warns loudly about a suspended Kustomization and says how to resume it", async () => {
      await setSuspend("media", true);
      const withFlux = await run();
      expect(withFlux.stdout).toContain("!! flux-system/media is SUSPENDED: Flux is not applying applications/media.");
      expect(withFlux.stdout).toMatch(/flux resume kustomization media -n flux-system$/m);
      // With a context named, the command resumes Flux on that cluster, whatever the current one.
      const named = await runScript(dashboard, ["--context", "tilt-test"], { KUBECONFIG: cluster.kubeconfig, PATH: PATH_WITH_FLUX });
      expect(named.stdout).toContain("flux resume kustomization media -n flux-system --context tilt-test");
      const withoutFlux = await run({ PATH: PATH_WITHOUT_FLUX });
      expect(withoutFlux.stdout).toContain(`kubectl patch kustomizations.kustomize.toolkit.fluxcd.io media -n flux-system --type=merge -p '{"spec":{"suspend":false}}'`);
      await setSuspend("media", false);
      expect((await run()).stdout).not.toContain("SUSPENDED");
    });

    it("shows the Kustomization's readiness and applied revision", async () => {
      const revision = "main@sha1:0123456789abcdef0123456789abcdef01234567";
      const now = new Date().toISOString();
      const status = { lastAppliedRevision: revision, conditions: [{ type: "Ready", status: "True", reason: "ReconciliationSucceeded", message: "Applied", lastTransitionTime: now }] };
      await cluster.kubectl(["patch", KUSTOMIZATIONS, "media", "-n", "flux-system", "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
      expect((await run()).stdout).toContain(`● flux-system/media  Ready=True  ${revision}`);
    });

    it("calls kubectl at most twice", async () => {
      const counter = countingKubectl();
      const { exitCode } = await run({ PATH: `${counter.dir}:${PATH_WITH_FLUX}` });
      expect(exitCode).toBe(0);
      expect(await counter.calls()).toBe(2);
    });

    it("redraws with --watch, each frame with two kubectl calls at most", async () => {
      const counter = countingKubectl();
      const watch = execa(dashboard, ["--watch", "1"], {
        env: { PATH: `${counter.dir}:${PATH_WITH_FLUX}`, KUBECONFIG: cluster.kubeconfig, NO_COLOR: "1", HOME: process.env.HOME! },
        extendEnv: false,
        reject: false,
        timeout: 3_500,
      });
      const { stdout } = await watch;
      const frames = stdout.split("\n").filter((line) => line.startsWith("media  applications/media  context")).length;
      expect(frames).toBeGreaterThanOrEqual(2);
      expect(await counter.calls()).toBeLessThanOrEqual(2 * frames + 2);
    });

    it("notes a route kind the cluster does not serve, and still shows the namespace", async () => {
      // A copy of the example whose media folder also has an HTTPRoute: the test API server has
      // no Gateway API CRDs.
      const root = copyExample();
      const media = path.join(root, "applications/media");
      writeFileSync(path.join(media, "base/httproute.yaml"), "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: jellyfin\nspec:\n  hostnames: [jellyfin.example]\n");
      appendFileSync(path.join(media, "base/kustomization.yaml"), "  - httproute.yaml\n");
      await scaffold({ folders: [media], cwd: root, env: { KUBECONFIG: "/nonexistent" } });
      const run = await runScript(path.join(media, "dashboard.sh"), [], { KUBECONFIG: cluster.kubeconfig, PATH: PATH_WITH_FLUX });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toContain("this cluster serves no httproutes, which applications/media uses");
      expect(run.stdout).toMatch(/● jellyfin-5d8f9 +1\/1 +Running/);
    });
  });

  describe("deploy.sh", () => {
    let repo: GitFixture;
    let flux: FluxStandIn;
    const deploy = (args: string[]) =>
      runScript(path.join(repo.work, OBSERVABILITY, "deploy.sh"), args, { KUBECONFIG: cluster.kubeconfig, PATH: PATH_WITH_FLUX });
    /** A change that makes every workload roll out again. */
    const change = (value: string) =>
      appendFileSync(path.join(repo.work, OBSERVABILITY, "overlays/prod/kustomization.yaml"), `commonAnnotations:\n  example.invalid/deployed: "${value}"\n`);
    const remoteFolderTree = () => repo.remoteGit(["rev-parse", `main:${OBSERVABILITY}`]);

    beforeEach(async () => {
      repo = await gitFixture();
      await setSuspend("observability", false);
      flux = new FluxStandIn({
        cluster,
        remote: repo.remote,
        branch: "main",
        kustomization: { name: "observability", namespace: "flux-system", path: `${OBSERVABILITY}/overlays/prod` },
        variables: SETTINGS,
        namespace: "observability",
      });
      await flux.sync();
      flux.start();
    });

    afterEach(async () => {
      await flux.stop();
      expect(flux.errors).toEqual([]);
    });

    it("pushes one commit touching only the namespace, waits for Flux at that revision and for the rollouts", async () => {
      change("one");
      const before = await repo.remoteLog();
      const run = await deploy(["-m", "observability: annotate", "--timeout", "60s"]);
      expect(run.exitCode, run.stderr + run.stdout).toBe(0);
      const after = await repo.remoteLog();
      expect(after.slice(1)).toEqual(before);
      const sha = after[0]!.split(" ")[0]!;
      const files = (await repo.remoteGit(["show", "--format=", "--name-only", sha])).split("\n");
      expect(files).toEqual([`${OBSERVABILITY}/overlays/prod/kustomization.yaml`]);
      expect(flux.log).toEqual([{ sha, outcome: "ready" }]);
      expect((await kustomization("observability")).status.lastAppliedRevision).toBe(`main@sha1:${sha}`);
      expect(run.stdout).toMatch(/flux diff kustomization flux-system\/observability/);
      expect(run.stdout).toMatch(/Ready at main@sha1:/);
      expect(run.stdout).toMatch(/deployment "opensearch-dashboards" successfully rolled out/);
      expect(run.stdout).toMatch(/Deployed [0-9a-f]{12} to observability/);
    });

    it("reverts on the remote when the Kustomization turns Ready=False, leaving other staged work alone", async () => {
      let first = true;
      flux.outcome = () => (first ? ((first = false), "failed") : "ready");
      const tree = await remoteFolderTree();
      appendFileSync(path.join(repo.work, "README.md"), "staged, not deployed\n");
      await repo.git(["add", "README.md"]);
      change("two");
      const run = await deploy(["-m", "observability: bad change", "--timeout", "60s"]);
      expect(run.exitCode, run.stderr + run.stdout).toBe(3);
      expect(run.stderr).toMatch(/Flux could not apply flux-system\/observability: HealthCheckFailed.*Rolled back: pushed [0-9a-f]{12}, which reverts [0-9a-f]{12}; Flux applied it$/);
      const [revert, deployed] = await repo.remoteLog();
      expect(deployed).toMatch(/ observability: bad change$/);
      expect(revert).toMatch(/ Revert "observability: bad change"$/);
      expect(await remoteFolderTree()).toBe(tree);
      expect(flux.log.map((entry) => entry.outcome)).toEqual(["failed", "ready"]);
      expect(await repo.git(["status", "--porcelain"])).toBe("A  README.md");
    });

    it("reverts when a workload does not roll out in time", async () => {
      let first = true;
      flux.outcome = () => (first ? ((first = false), "stuck") : "ready");
      change("three");
      const run = await deploy(["--timeout", "20s"]);
      expect(run.exitCode, run.stderr + run.stdout).toBe(3);
      expect(run.stderr).toMatch(/(deployment|statefulset)\/opensearch(-dashboards)? did not roll out within 20s/);
      expect((await repo.remoteLog())[0]).toMatch(/ Revert "observability: deploy infrastructure\/observability"$/);
    });

    it("with --no-rollback, leaves the failed commit in place and says so", async () => {
      flux.outcome = () => "failed";
      change("four");
      const run = await deploy(["--no-rollback", "--timeout", "30s"]);
      expect(run.exitCode).toBe(4);
      expect(run.stderr).toMatch(/not rolled back \(--no-rollback\)/);
      expect((await repo.remoteLog())[0]).toMatch(/ observability: deploy infrastructure\/observability$/);
    });

    it("refuses before git while Tilt keeps the Kustomization suspended", async () => {
      await setSuspend("observability", true);
      change("five");
      const before = await gitSnapshot(repo);
      const run = await deploy([]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(/flux-system\/observability is suspended in the cluster .*`flux resume kustomization observability -n flux-system`/);
      expect(await gitSnapshot(repo)).toBe(before);
    });

    it("never pushes a manifest the API server rejects", async () => {
      appendFileSync(path.join(repo.work, OBSERVABILITY, "overlays/prod/kustomization.yaml"), "replicas:\n  - name: opensearch-dashboards\n    count: -1\n");
      const before = await gitSnapshot(repo);
      const run = await deploy([]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(/spec.replicas: Invalid value: -1/);
      expect(run.stderr).toMatch(/the API server rejects overlays\/prod/);
      expect(await gitSnapshot(repo)).toBe(before);
    });

    it("--dry-run shows what it would reconcile and roll out, and changes nothing here or in the cluster", async () => {
      change("six");
      const before = await gitSnapshot(repo);
      const requested = async () => (await kustomization("observability")).metadata.annotations?.["reconcile.fluxcd.io/requestedAt"];
      const lastRequest = await requested();
      const run = await deploy(["--dry-run"]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/reconcile flux-system\/observability --with-source and wait up to 300s/);
      expect(run.stdout).toMatch(/rollout of: deployment\/opensearch-dashboards statefulset\/opensearch/);
      expect(await gitSnapshot(repo)).toBe(before);
      expect(await requested()).toBe(lastRequest);
      expect(flux.log).toEqual([]);
    });
  });
});
