// dashboard.sh and deploy.sh against a cluster Flux manages: a real API server, controller-manager
// and scheduler, a kwok node that runs the pods, and the real source- and kustomize-controller
// syncing a git repository that a local git server serves (test/support/flux-sync.ts).
// Needs `npm run tools`; without it this suite skips loudly, and fails when CI is set.
import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTools, missingTools, startTestCluster, toolsDir, type TestCluster } from "../support/cluster.ts";
import { KUSTOMIZATIONS, syncWithFlux, type FluxSync } from "../support/flux-sync.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import { copyExample } from "../support/example.ts";
import {
  countingKubectl,
  gitFixture,
  gitSnapshot,
  inCI,
  PATH_WITH_FLUX,
  PATH_WITHOUT_FLUX,
  runScript,
  warnSkipping,
  type GitFixture,
} from "./support.ts";
import { until } from "../support/until.ts";

const FULL = { controllers: true, flux: true };
const ready = haveTools(FULL);
if (!ready && !inCI)
  warnSkipping(
    "test/scripts/cluster.test.ts",
    `${missingTools(FULL).join(", ")} not in ${toolsDir}: run \`npm run tools\``,
  );

describe.runIf(!ready && inCI)("scripts against a cluster Flux manages, in CI", () => {
  it("have their tools built by `npm run tools`", () => {
    expect.fail(`CI is set but ${missingTools(FULL).join(", ")} are missing in ${toolsDir}`);
  });
});

const OBSERVABILITY = "infrastructure/observability";

describe.skipIf(!ready)("scripts against a cluster Flux manages", { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let repo: GitFixture;
  let flux: FluxSync;

  beforeAll(async () => {
    cluster = await startTestCluster(FULL);
    repo = await gitFixture();
    flux = await syncWithFlux(cluster, repo);
    await flux.waitReady(["monitoring", "observability", "media"], 240);
  }, 360_000);

  afterAll(async () => {
    await flux?.stop();
    await cluster?.stop();
  }, 60_000);

  const kustomization = (name: string) =>
    cluster.kubectl(["get", KUSTOMIZATIONS, name, "-n", "flux-system", "-o", "json"]).then((r) => JSON.parse(r.stdout));
  const setSuspend = (name: string, suspend: boolean) =>
    cluster.kubectl([
      "patch",
      KUSTOMIZATIONS,
      name,
      "-n",
      "flux-system",
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { suspend } }),
    ]);
  const jsonpath = async (args: string[], path: string) =>
    (await cluster.kubectl(["get", ...args, "-o", `jsonpath=${path}`])).stdout;

  describe("dashboard.sh", () => {
    const dashboard = () => path.join(repo.work, "applications/media/dashboard.sh");
    const run = (env: Record<string, string> = {}) =>
      runScript(dashboard(), [], { KUBECONFIG: cluster.kubeconfig, PATH: PATH_WITH_FLUX, ...env });

    beforeAll(async () => {
      // Day-two trouble, made live as it happens to a user: radarr's container keeps crashing,
      // sonarr asks for a node the cluster does not have.
      const template = (labels: object, spec: object = {}) =>
        JSON.stringify({ spec: { template: { metadata: { labels }, spec } } });
      await cluster.kubectl([
        "patch",
        "deployment",
        "radarr",
        "-n",
        "media",
        "-p",
        template({ "kwok.test.invalid/pod": "crash-loop" }),
      ]);
      await cluster.kubectl([
        "patch",
        "deployment",
        "sonarr",
        "-n",
        "media",
        "-p",
        template({}, { nodeSelector: { disktype: "none-has-it" } }),
      ]);
      await until("radarr to crash-loop and sonarr to wait for a node", async () => {
        const { stdout } = await run();
        return /✖ radarr-\S+ +0\/1 +CrashLoopBackOff/.test(stdout) && /◐ sonarr-\S+ +0\/1 +Unschedulable/.test(stdout);
      });
      // Routes on Traefik's TLS entry point without a tls block of their own, and one on plain HTTP.
      const route = (name: string, entryPoint: string) => ({
        apiVersion: "traefik.io/v1alpha1",
        kind: "IngressRoute",
        metadata: { name, namespace: "media" },
        spec: {
          entryPoints: [entryPoint],
          routes: [{ kind: "Rule", match: `Host(\`${name}.lan.example\`)`, services: [{ name: "sonarr", port: 80 }] }],
        },
      });
      await cluster.kubectl(["apply", "-f", "-"], {
        input: [route("secure", "websecure"), route("plain", "web")].map((r) => JSON.stringify(r)).join("\n"),
      });
    });

    it("shows the pods the controllers made, Services with Tilt's ports, ingress URLs and bound claims", async () => {
      const { exitCode, stdout, stderr } = await run();
      expect(exitCode, stderr).toBe(0);
      expect(stdout).toMatch(/● jellyfin-[a-z0-9]+-[a-z0-9]+ +1\/1 +Running +0 /);
      expect(stdout).toMatch(/● postgres-0 +1\/1 +Running +0 /);
      expect(stdout).toMatch(/✖ radarr-[a-z0-9]+-[a-z0-9]+ +0\/1 +CrashLoopBackOff +7 /);
      expect(stdout).toMatch(/◐ sonarr-[a-z0-9]+-[a-z0-9]+ +0\/1 +Unschedulable +0 /);
      expect(stdout).toMatch(/kubectl describe pod -n media sonarr-\S+ +why no node takes sonarr-/);
      expect(stdout).toContain("https://secure.lan.example/");
      expect(stdout).toContain("http://plain.lan.example/");
      expect(stdout).toMatch(/jellyfin +ClusterIP .* 80\/TCP +localhost:8096/);
      expect(stdout).toMatch(/homepage +ClusterIP .* localhost:10080/);
      expect(stdout).toContain("https://jellyfin.homelab.example/");
      expect(stdout).toMatch(/media-library +Bound +1Ti +nfs-client/);
      expect(stdout).toMatch(/Deployment +jellyfin +1\/1/);
      expect(stdout).toMatch(/kubectl logs -n media radarr-\S+ --previous/);
    });

    it("shows the readiness and the revision Flux applied", async () => {
      expect((await run()).stdout).toContain(`● flux-system/media  Ready=True  ${await flux.revision()}`);
    });

    it("warns loudly about a suspended Kustomization and says how to resume it", async () => {
      await setSuspend("media", true);
      const withFlux = await run();
      expect(withFlux.stdout).toContain("!! flux-system/media is SUSPENDED: Flux is not applying applications/media.");
      expect(withFlux.stdout).toMatch(/flux resume kustomization media -n flux-system$/m);
      // With a context named, the command resumes Flux on that cluster, whatever the current one.
      const named = await runScript(dashboard(), ["--context", "tilt-test"], {
        KUBECONFIG: cluster.kubeconfig,
        PATH: PATH_WITH_FLUX,
      });
      expect(named.stdout).toContain("flux resume kustomization media -n flux-system --context tilt-test");
      const withoutFlux = await run({ PATH: PATH_WITHOUT_FLUX });
      expect(withoutFlux.stdout).toContain(
        `kubectl patch kustomizations.kustomize.toolkit.fluxcd.io media -n flux-system --type=merge -p '{"spec":{"suspend":false}}'`,
      );
      await setSuspend("media", false);
      expect((await run()).stdout).not.toContain("SUSPENDED");
    });

    it("calls kubectl at most twice", async () => {
      const counter = countingKubectl();
      const { exitCode } = await run({ PATH: `${counter.dir}:${PATH_WITH_FLUX}` });
      expect(exitCode).toBe(0);
      expect(await counter.calls()).toBe(2);
    });

    it("redraws with --watch, each frame with two kubectl calls at most", async () => {
      const counter = countingKubectl();
      const watch = execa(dashboard(), ["--watch", "1"], {
        env: {
          PATH: `${counter.dir}:${PATH_WITH_FLUX}`,
          KUBECONFIG: cluster.kubeconfig,
          NO_COLOR: "1",
          HOME: process.env.HOME!,
        },
        extendEnv: false,
        reject: false,
        // Only a bound for a dashboard that stops redrawing: the test ends at the third frame.
        timeout: 45_000,
      });
      const header = /^media {2}applications\/media {2}context/gm;
      let output = "";
      watch.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if ((output.match(header) ?? []).length >= 3) watch.kill();
      });
      await watch;
      const frames = (output.match(header) ?? []).length;
      expect(frames).toBeGreaterThanOrEqual(3);
      expect(await counter.calls()).toBeLessThanOrEqual(2 * frames + 2);
    });

    it("gives up on an API server that accepts connections and never answers, within 15s, in one line", async () => {
      const silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const kubeconfig = path.join(repo.work, "silent-kubeconfig");
      const port = (silent.address() as AddressInfo).port;
      writeFileSync(
        kubeconfig,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: silent\n  cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}\ncontexts:\n- name: silent\n  context: {cluster: silent, user: silent}\nusers:\n- name: silent\n  user: {token: t}\ncurrent-context: silent\n`,
      );
      const started = Date.now();
      const result = await run({ KUBECONFIG: kubeconfig });
      silent.close();
      rmSync(kubeconfig);
      expect(result.exitCode).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(result.stderr.trim().split("\n")).toEqual([
        expect.stringMatching(/cannot read namespace media .*the API server did not answer within 15s$/),
      ]);
    });

    it("notes a route kind the cluster does not serve, and still shows the namespace", async () => {
      // A copy of the example whose media folder also has an HTTPRoute: the test API server has
      // no Gateway API CRDs.
      const root = copyExample();
      const media = path.join(root, "applications/media");
      writeFileSync(
        path.join(media, "base/httproute.yaml"),
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: jellyfin\nspec:\n  hostnames: [jellyfin.example]\n",
      );
      appendFileSync(path.join(media, "base/kustomization.yaml"), "  - httproute.yaml\n");
      await scaffold({ folders: [media], cwd: root, env: { KUBECONFIG: "/nonexistent" } });
      const run = await runScript(path.join(media, "dashboard.sh"), [], {
        KUBECONFIG: cluster.kubeconfig,
        PATH: PATH_WITH_FLUX,
      });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toContain("this cluster serves no httproutes, which applications/media uses");
      expect(run.stdout).toMatch(/● jellyfin-\S+ +1\/1 +Running/);
    });
  });

  describe("dashboard.sh of a chart namespace", () => {
    const HELM_RELEASES = "helmreleases.helm.toolkit.fluxcd.io";
    const at = "2025-01-01T00:00:00Z";
    const condition = (status: string, reason: string, message: string) => ({
      type: "Ready",
      status,
      reason,
      message,
      lastTransitionTime: at,
    });
    const release = (name: string, version: number, chartName: string, chartVersion: string, status = "deployed") => ({
      name,
      namespace: "monitoring",
      version,
      status,
      chartName,
      chartVersion,
      configDigest: "sha256:0",
      digest: "sha256:0",
      firstDeployed: at,
      lastDeployed: at,
    });
    /** Status as helm-controller writes it, through the status subresource. */
    const writeStatus = (name: string, status: object) =>
      cluster.kubectl([
        "patch",
        HELM_RELEASES,
        name,
        "-n",
        "monitoring",
        "--subresource=status",
        "--type=merge",
        "-p",
        JSON.stringify({ status }),
      ]);

    it("shows each HelmRelease: Ready, chart and version, revision, last attempt and failure, in two kubectl calls", async () => {
      await writeStatus("echo-server", {
        conditions: [
          condition(
            "True",
            "UpgradeSucceeded",
            "Helm upgrade succeeded for release monitoring/echo-server.v3 with chart echo-server@0.5.0",
          ),
        ],
        history: [
          release("echo-server", 3, "echo-server", "0.5.0"),
          release("echo-server", 2, "echo-server", "0.4.0", "superseded"),
        ],
        lastAttemptedRevision: "0.5.0",
      });
      await writeStatus("kube-prometheus-stack", {
        conditions: [
          condition(
            "False",
            "UpgradeFailed",
            "Helm upgrade failed for release monitoring/kube-prometheus-stack with chart kube-prometheus-stack@66.3.1: context deadline exceeded\n\nLast Helm logs:\n\nwaiting for pods",
          ),
        ],
        history: [release("kube-prometheus-stack", 1, "kube-prometheus-stack", "66.2.0")],
        lastAttemptedRevision: "66.3.1",
      });
      const counter = countingKubectl();
      const run = await runScript(path.join(repo.work, "infrastructure/monitoring/dashboard.sh"), [], {
        KUBECONFIG: cluster.kubeconfig,
        PATH: `${counter.dir}:${PATH_WITH_FLUX}`,
      });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/NAME +READY +CHART +REVISION +LAST ATTEMPTED\n/);
      expect(run.stdout).toMatch(/● echo-server +True +echo-server@0\.5\.0 +3 \(deployed\) +0\.5\.0\n/);
      expect(run.stdout).toMatch(
        /✖ kube-prometheus-stack +False +kube-prometheus-stack@66\.2\.0 +1 \(deployed\) +66\.3\.1\n/,
      );
      // The failure in one line under the table, the Ready release's message left out.
      expect(run.stdout).toContain(
        "    kube-prometheus-stack: Helm upgrade failed for release monitoring/kube-prometheus-stack with chart kube-prometheus-stack@66.3.1: context deadline exceeded Last Helm logs: waiting for pods\n",
      );
      expect(run.stdout).not.toContain("Helm upgrade succeeded");
      expect(await counter.calls()).toBe(2);
    });

    it("says so of a release helm-controller has not reported on, and of one suspended", async () => {
      await cluster.kubectl([
        "patch",
        HELM_RELEASES,
        "echo-server",
        "-n",
        "monitoring",
        "--subresource=status",
        "--type=json",
        "-p",
        JSON.stringify([{ op: "remove", path: "/status" }]),
      ]);
      await cluster.kubectl([
        "patch",
        HELM_RELEASES,
        "kube-prometheus-stack",
        "-n",
        "monitoring",
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { suspend: true } }),
      ]);
      const run = await runScript(path.join(repo.work, "infrastructure/monitoring/dashboard.sh"), [], {
        KUBECONFIG: cluster.kubeconfig,
        PATH: PATH_WITH_FLUX,
      });
      await cluster.kubectl([
        "patch",
        HELM_RELEASES,
        "kube-prometheus-stack",
        "-n",
        "monitoring",
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { suspend: false } }),
      ]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/◐ echo-server +Unknown +\.\/charts\/echo-server@\* \(not installed\) +- +-\n/);
      expect(run.stdout).toMatch(/◐ kube-prometheus-stack +False \(suspended\) +kube-prometheus-stack@66\.2\.0/);
    });
  });

  describe("deploy.sh", () => {
    const prod = () => path.join(repo.work, OBSERVABILITY, "overlays/prod/kustomization.yaml");
    const deploy = (args: string[]) =>
      runScript(path.join(repo.work, OBSERVABILITY, "deploy.sh"), args, {
        KUBECONFIG: cluster.kubeconfig,
        PATH: PATH_WITH_FLUX,
      });
    /** A change that makes every workload roll out again. */
    const annotate = (value: string) =>
      appendFileSync(prod(), `commonAnnotations:\n  example.invalid/deployed: "${value}"\n`);
    /** A change whose pods run and never become Ready. */
    const breakDashboards = () =>
      appendFileSync(
        prod(),
        "patches:\n  - target: {kind: Deployment, name: opensearch-dashboards}\n    patch: |\n      - op: add\n        path: /spec/template/metadata/labels/kwok.test.invalid~1pod\n        value: never-ready\n",
      );
    const remoteFolderTree = () => repo.remoteGit(["rev-parse", `main:${OBSERVABILITY}`]);
    const tipSha = async () => (await repo.remoteLog())[0]!.split(" ")[0]!;
    /** What the cluster runs of observability: its dashboards' template label and the ready replicas. */
    const running = async () => ({
      neverReady: await jsonpath(
        ["deployment", "opensearch-dashboards", "-n", "observability"],
        "{.spec.template.metadata.labels.kwok\\.test\\.invalid/pod}",
      ),
      ready: await jsonpath(
        ["deployment,statefulset", "-n", "observability"],
        "{range .items[*]}{.kind}/{.metadata.name}={.status.readyReplicas}/{.spec.replicas} {end}",
      ),
    });
    const allReady = "Deployment/opensearch-dashboards=1/1 StatefulSet/opensearch=1/1 ";

    it("pushes one commit touching only the namespace; Flux applies it and the controllers roll it out", async () => {
      annotate("one");
      const before = await repo.remoteLog();
      const run = await deploy(["-m", "observability: annotate", "--timeout", "120s"]);
      expect(run.exitCode, run.stderr + run.stdout).toBe(0);
      const after = await repo.remoteLog();
      expect(after.slice(1)).toEqual(before);
      const sha = await tipSha();
      const files = (await repo.remoteGit(["show", "--format=", "--name-only", sha])).split("\n");
      expect(files).toEqual([`${OBSERVABILITY}/overlays/prod/kustomization.yaml`]);
      const { status } = await kustomization("observability");
      expect(status.lastAppliedRevision).toBe(`main@sha1:${sha}`);
      expect(
        await jsonpath(
          ["deployment", "opensearch-dashboards", "-n", "observability"],
          "{.spec.template.metadata.annotations.example\\.invalid/deployed}",
        ),
      ).toBe("one");
      expect((await running()).ready).toBe(allReady);
      expect(run.stdout).toMatch(/flux diff kustomization flux-system\/observability/);
      expect(run.stdout).toContain(`Ready at main@sha1:${sha}`);
      expect(run.stdout).toMatch(/deployment "opensearch-dashboards" successfully rolled out/);
      expect(run.stdout).toMatch(/Deployed [0-9a-f]{12} to observability/);
    });

    it("never pushes a manifest the API server rejects", async () => {
      appendFileSync(prod(), "replicas:\n  - name: opensearch-dashboards\n    count: -1\n");
      const before = await gitSnapshot(repo);
      const run = await deploy([]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(/spec.replicas: Invalid value: -1/);
      expect(run.stderr).toMatch(/the API server rejects overlays\/prod/);
      expect(await gitSnapshot(repo)).toBe(before);
      await repo.git(["checkout", "--", prod()]);
    });

    it("refuses before git while Tilt keeps the Kustomization suspended", async () => {
      await setSuspend("observability", true);
      annotate("suspended");
      const before = await gitSnapshot(repo);
      const run = await deploy([]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(
        /flux-system\/observability is suspended in the cluster .*`flux resume kustomization observability -n flux-system`/,
      );
      expect(await gitSnapshot(repo)).toBe(before);
      await setSuspend("observability", false);
      await repo.git(["checkout", "--", prod()]);
    });

    it("--dry-run shows what it would reconcile and roll out, and changes nothing here or in the cluster", async () => {
      annotate("dry");
      const before = await gitSnapshot(repo);
      const requested = async () =>
        (await kustomization("observability")).metadata.annotations?.["reconcile.fluxcd.io/requestedAt"];
      const lastRequest = await requested();
      const run = await deploy(["--dry-run"]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/reconcile flux-system\/observability --with-source and wait up to 300s/);
      expect(run.stdout).toMatch(/rollout of: deployment\/opensearch-dashboards statefulset\/opensearch/);
      expect(await gitSnapshot(repo)).toBe(before);
      expect(await requested()).toBe(lastRequest);
      await repo.git(["checkout", "--", prod()]);
    });

    it("reverts a revision Flux's health check fails, leaving other staged work alone; Flux applies the revert", async () => {
      const tree = await remoteFolderTree();
      appendFileSync(path.join(repo.work, "README.md"), "staged, not deployed\n");
      await repo.git(["add", "README.md"]);
      breakDashboards();
      const run = await deploy(["-m", "observability: bad change", "--timeout", "150s"]);
      expect(run.exitCode, run.stderr + run.stdout).toBe(3);
      expect(run.stderr).toMatch(
        /Flux could not apply flux-system\/observability: HealthCheckFailed.*Rolled back: pushed [0-9a-f]{12}, which reverts [0-9a-f]{12}; Flux applied it$/s,
      );
      const [revert, deployed] = await repo.remoteLog();
      expect(deployed).toMatch(/ observability: bad change$/);
      expect(revert).toMatch(/ Revert "observability: bad change"$/);
      expect(await remoteFolderTree()).toBe(tree);
      const { status } = await kustomization("observability");
      expect(status.lastAppliedRevision).toBe(`main@sha1:${revert!.split(" ")[0]}`);
      expect(await running()).toEqual({ neverReady: "", ready: allReady });
      expect(await repo.git(["status", "--porcelain"])).toBe("A  README.md");
      await repo.git(["rm", "--quiet", "--cached", "README.md"]);
      rmSync(path.join(repo.work, "README.md"));
    });

    it("with --no-rollback, leaves the failed revision applied and says so", async () => {
      breakDashboards();
      const run = await deploy(["--no-rollback", "--timeout", "150s"]);
      expect(run.exitCode, run.stderr + run.stdout).toBe(4);
      expect(run.stderr).toMatch(/not rolled back \(--no-rollback\)/);
      const sha = await tipSha();
      expect((await repo.remoteLog())[0]).toMatch(/ observability: deploy infrastructure\/observability$/);
      const { status } = await kustomization("observability");
      expect(status.lastAttemptedRevision).toBe(`main@sha1:${sha}`);
      expect((await running()).neverReady).toBe("never-ready");
    });
  });
});
