// A monitoring namespace of HelmReleases under the real helm-controller, on the cluster Flux
// manages: kube-prometheus-stack from a Helm repository on 127.0.0.1, an app-template release
// from an OCI registry on 127.0.0.1 and the example's echo-server from a chart in the
// repository, first installed by Flux. Then the real Tilt in develop mode: each release's
// resource binds its chart's pods and the Prometheus and Alertmanager pods its operator makes;
// a values edit upgrades the release; Ctrl-C, `tilt up` and `tilt down` never uninstall it and
// hand its values back to git. Last, observe mode attaches without upgrading anything.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { parseDocument } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { freePort, startTestCluster, toolPath, type TestCluster } from "../support/cluster.ts";
import { startChartServer, type ChartServer } from "../support/chart-server.ts";
import { copyExample } from "../support/example.ts";
import { APP_TEMPLATE, KUBE_PROMETHEUS_STACK, packagedKubePrometheusStack } from "../support/fixtures.ts";
import { liveObjects } from "../support/flux-state.ts";
import { KUSTOMIZATIONS, syncWithFlux, type FluxSync } from "../support/flux-sync.ts";
import { startOciRegistry, type OciRegistry } from "../support/oci-registry.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { until } from "../support/until.ts";
import { gitFixture } from "../scripts/support.ts";

const TOOLS = [
  "tilt",
  "flux",
  "helm",
  "registry",
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "source-controller",
  "kustomize-controller",
  "helm-controller",
];
const ready =
  requireRealTools("HelmRelease suite", TOOLS) && existsSync(KUBE_PROMETHEUS_STACK) && existsSync(APP_TEMPLATE);

const NS = "monitoring";
const RELEASES = ["echo-server", "gatus", "kube-prometheus-stack"];
const HELMRELEASES = "helmreleases.helm.toolkit.fluxcd.io";
/** What the releases and the operator made: none may be uninstalled or re-created. */
const KEPT_KINDS = [
  HELMRELEASES,
  "deployments",
  "statefulsets",
  "persistentvolumeclaims",
  "services",
  "prometheuses.monitoring.coreos.com",
  "alertmanagers.monitoring.coreos.com",
];

/** An app-template release with a Service and a claim of its chart's, from the OCI registry. */
function gatusRelease(registry: string): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: app-template
spec:
  interval: 12h
  url: oci://${registry}/charts/app-template
  insecure: true
  ref:
    tag: 4.1.1
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: gatus
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: app-template
  # Its values schema loads URLs, and the tests reach no network.
  install:
    disableSchemaValidation: true
  upgrade:
    disableSchemaValidation: true
  values:
    controllers:
      gatus:
        containers:
          app:
            image:
              repository: ghcr.io/twin/gatus
              tag: v5.12.1
            env:
              TZ: Europe/Berlin
    service:
      app:
        controller: gatus
        ports:
          http:
            port: 8080
    persistence:
      data:
        type: persistentVolumeClaim
        accessMode: ReadWriteOnce
        size: 1Gi
        storageClass: nfs-client
        globalMounts:
          - path: /data
`;
}

/** The example's monitoring folder with its charts served on 127.0.0.1, and an app-template release. */
function withLocalCharts(root: string, chartRepo: string, registry: string): void {
  const base = path.join(root, "infrastructure/monitoring/base");
  const edit = (file: string, change: (doc: ReturnType<typeof parseDocument>) => void) => {
    const doc = parseDocument(readFileSync(path.join(base, file), "utf8"));
    change(doc);
    writeFileSync(path.join(base, file), String(doc));
  };
  edit("helmrepository.yaml", (doc) => doc.setIn(["spec", "url"], chartRepo));
  edit("helmrelease.yaml", (doc) => {
    doc.setIn(["spec", "chart", "spec", "version"], "88.x");
    // No admission webhook: its pods run no server the API server could call.
    doc.setIn(["spec", "values", "prometheusOperator"], {
      admissionWebhooks: { enabled: false },
      tls: { enabled: false },
    });
    // The exporters' subcharts are not in the packaged chart.
    doc.setIn(["spec", "values", "nodeExporter"], { enabled: false });
    doc.setIn(["spec", "values", "kubeStateMetrics"], { enabled: false });
  });
  mkdirSync(path.join(base, "gatus"));
  writeFileSync(path.join(base, "gatus/helmrelease.yaml"), gatusRelease(registry));
  edit("kustomization.yaml", (doc) =>
    doc.setIn(["resources"], [...(doc.get("resources") as { toJSON(): string[] }).toJSON(), "gatus/helmrelease.yaml"]),
  );
  // Forwards from the rendered charts alone, not the --forward answers of the example.
  const answers = path.join(root, "infrastructure/monitoring/.tilt-scaffold.yaml");
  const doc = parseDocument(readFileSync(answers, "utf8"));
  doc.deleteIn(["answers", "forwards"]);
  writeFileSync(answers, String(doc));
}

interface LiveRelease {
  metadata: { generation: number; uid: string };
  spec: { values?: Record<string, unknown>; postRenderers?: unknown };
  status?: {
    observedGeneration?: number;
    lastAttemptedGeneration?: number;
    history?: { version: number }[];
    conditions?: { type: string; status: string; message: string }[];
  };
}

describe.runIf(ready)(
  "HelmReleases under the real helm-controller, on the cluster Flux manages",
  { timeout: 300_000 },
  () => {
    let cluster: TestCluster;
    let charts: ChartServer;
    let registry: OciRegistry;
    let sync: FluxSync;
    let repo: string;
    let folder: string;
    const home = mkdtempSync(path.join(os.tmpdir(), "tilt-home-"));
    // What each `tilt up` and `tilt down` printed, written out for a failing run.
    const logs: string[] = [];
    const running = new Set<ReturnType<typeof execa>>();
    const started = Date.now();

    beforeAll(async () => {
      [cluster, charts, registry] = await Promise.all([
        startTestCluster({ controllers: true, helm: true }),
        startChartServer([packagedKubePrometheusStack()]),
        startOciRegistry([{ dir: APP_TEMPLATE }]),
      ]);
      const work = copyExample();
      withLocalCharts(work, charts.url, registry.host);
      const fixture = await gitFixture(work);
      repo = fixture.work;
      sync = await syncWithFlux(cluster, fixture);
      await sync.waitReady([NS], 240);
      folder = path.join(repo, "infrastructure/monitoring");
      await scaffold({
        folders: [folder],
        cwd: repo,
        context: cluster.context,
        env: { KUBECONFIG: cluster.kubeconfig, XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), "cache-")) },
      });
    }, 360_000);
    afterAll(async () => {
      // A failed test leaves its `tilt up` running: stopped as Ctrl-C would.
      for (const run of running) run.kill("SIGINT");
      await Promise.all(running);
      console.log(`HelmRelease suite: ${Math.round((Date.now() - started) / 1000)}s`);
      const tiltLog = path.join(home, "tilt-runs.log");
      writeFileSync(tiltLog, logs.join("\n"));
      console.log(`tilt's output: ${tiltLog}`);
      await sync?.stop();
      await Promise.all([charts?.stop(), registry?.stop()]);
      await cluster?.stop();
    });

    /** The real tilt in `dir` (the scaffolded folder unless given). */
    function tilt(args: string[], dir = folder) {
      const run = execa(toolPath("tilt"), args, {
        all: true,
        cwd: dir,
        reject: false,
        env: {
          KUBECONFIG: cluster.kubeconfig,
          PATH: `${path.dirname(toolPath("flux"))}:${process.env.PATH}`,
          HOME: home,
        },
      });
      if (args[0] === "get") return run;
      running.add(run);
      void run.then((r) => {
        running.delete(run);
        logs.push(`$ tilt ${args.join(" ")}\n${String(r.all)}`);
      });
      return run;
    }

    async function tiltItems<T>(kind: string, port: number, dir = folder): Promise<T[]> {
      const { stdout, exitCode } = await tilt(["get", kind, "-o", "json", "--port", String(port)], dir);
      return exitCode === 0 ? (JSON.parse(stdout) as { items: T[] }).items : [];
    }

    /** The pods Tilt binds to each resource, from its KubernetesDiscovery objects. */
    async function boundPods(port: number, dir = folder): Promise<Record<string, string[]>> {
      const items = await tiltItems<{ metadata: { name: string }; status?: { pods?: { name: string }[] } }>(
        "kubernetesdiscoveries",
        port,
        dir,
      );
      return Object.fromEntries(items.map((d) => [d.metadata.name, (d.status?.pods ?? []).map((p) => p.name).sort()]));
    }

    /** Each resource's port-forwards: the pod they point at and its ports. */
    async function forwards(port: number, dir = folder): Promise<{ name: string; pod: string; ports: number[] }[]> {
      const items = await tiltItems<{
        metadata: { name: string };
        spec: { podName: string; forwards: { containerPort: number }[] };
      }>("portforwards", port, dir);
      return items.map((f) => ({
        name: f.metadata.name,
        pod: f.spec.podName,
        ports: f.spec.forwards.map((p) => p.containerPort).sort(),
      }));
    }

    async function release(name: string): Promise<LiveRelease> {
      const { stdout } = await cluster.kubectl(["get", HELMRELEASES, name, "-n", NS, "-o", "json"]);
      return JSON.parse(stdout) as LiveRelease;
    }

    /** The release's helm revision once helm-controller has acted on its last change and it is Ready. */
    async function settledRevision(name: string): Promise<number | undefined> {
      const live = await release(name);
      const ready = live.status?.conditions?.find((c) => c.type === "Ready");
      const generation = live.metadata.generation;
      if (
        ready?.status !== "True" ||
        live.status?.observedGeneration !== generation ||
        live.status.lastAttemptedGeneration !== generation
      )
        return undefined;
      return live.status.history?.[0]?.version;
    }

    async function revisions(): Promise<Record<string, number>> {
      return Object.fromEntries(
        await Promise.all(
          RELEASES.map(
            async (r) =>
              [
                r,
                await withStatus(
                  r,
                  until(`${r} to be Ready`, () => settledRevision(r), 240),
                ),
              ] as const,
          ),
        ),
      );
    }

    /** `waiting`, failing with the release's status and the controllers' last lines. */
    async function withStatus<T>(name: string, waiting: Promise<T>): Promise<T> {
      try {
        return await waiting;
      } catch (error) {
        throw new Error(
          `${(error as Error).message}: ${JSON.stringify((await release(name)).status)}\n${cluster.logs()}`,
          { cause: error },
        );
      }
    }

    /** The newest revision helm stored for the release (its `sh.helm.release.v1.*` Secrets). */
    async function storedRevision(name: string): Promise<number> {
      const { stdout } = await cluster.kubectl([
        "get",
        "secrets",
        "-n",
        NS,
        "-l",
        `owner=helm,name=${name}`,
        "-o",
        "jsonpath={.items[*].metadata.labels.version}",
      ]);
      return Math.max(...stdout.split(" ").map(Number));
    }

    /** Waits for helm-controller to upgrade the release past revision `from`, Ready; returns the new revision. */
    async function upgraded(name: string, from: number, what: string): Promise<number> {
      return withStatus(
        name,
        until(
          `${name} to be upgraded (${what})`,
          async () => {
            const revision = await settledRevision(name);
            return revision !== undefined && revision > from ? revision : undefined;
          },
          180,
        ),
      );
    }

    async function suspended(): Promise<boolean> {
      const { stdout } = await cluster.kubectl([
        "get",
        KUSTOMIZATIONS,
        NS,
        "-n",
        "flux-system",
        "-o",
        "jsonpath={.spec.suspend}",
      ]);
      return stdout === "true";
    }

    async function retention(): Promise<string> {
      const { stdout } = await cluster.kubectl([
        "get",
        "prometheuses.monitoring.coreos.com",
        "-n",
        NS,
        "-o",
        "jsonpath={.items[0].spec.retention}",
      ]);
      return stdout;
    }

    /** Pod names by label selector, Running ones only. */
    async function pods(selector: string): Promise<string[]> {
      const { stdout } = await cluster.kubectl([
        "get",
        "pods",
        "-n",
        NS,
        "-l",
        selector,
        "--field-selector=status.phase=Running",
        "-o",
        "jsonpath={.items[*].metadata.name}",
      ]);
      return stdout.split(" ").filter(Boolean).sort();
    }

    /** What each release's Tilt resource should bind: its chart's pods, and for kube-prometheus-stack the operator's. */
    async function chartPods(): Promise<Record<string, string[]>> {
      const byRelease = Object.fromEntries(
        await Promise.all(RELEASES.map(async (r) => [r, await pods(`app.kubernetes.io/instance=${r}`)] as const)),
      );
      const operated = await pods("app.kubernetes.io/managed-by=prometheus-operator");
      return { ...byRelease, "kube-prometheus-stack": [...byRelease["kube-prometheus-stack"]!, ...operated].sort() };
    }

    /**
     * The StatefulSet prometheus-operator makes of a Prometheus or Alertmanager (it does not run on
     * kwok): its name, owner, pod labels and claim template as the operator sets them.
     */
    async function makeAsTheOperator(kind: "Prometheus" | "Alertmanager"): Promise<string> {
      const app = kind.toLowerCase();
      const { stdout } = await cluster.kubectl([
        "get",
        `${app === "prometheus" ? "prometheuses" : "alertmanagers"}.monitoring.coreos.com`,
        "-n",
        NS,
        "-o",
        "json",
      ]);
      const cr = (
        JSON.parse(stdout) as {
          items: {
            apiVersion: string;
            metadata: { name: string; uid: string; labels?: Record<string, string> };
            spec: { portName?: string; storage?: { volumeClaimTemplate?: { spec: Record<string, unknown> } } };
          }[];
        }
      ).items[0]!;
      const name = cr.metadata.name;
      const shard =
        kind === "Prometheus" ? { "operator.prometheus.io/name": name, "operator.prometheus.io/shard": "0" } : {};
      const selector = {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/managed-by": "prometheus-operator",
        "app.kubernetes.io/instance": name,
        [app]: name,
        ...shard,
      };
      const claim = cr.spec.storage?.volumeClaimTemplate;
      const statefulSet = {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: {
          name: `${app}-${name}`,
          namespace: NS,
          labels: { ...cr.metadata.labels, ...shard },
          ownerReferences: [
            { apiVersion: cr.apiVersion, kind, name, uid: cr.metadata.uid, controller: true, blockOwnerDeletion: true },
          ],
        },
        spec: {
          serviceName: `${app}-operated`,
          replicas: 1,
          podManagementPolicy: "Parallel",
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: selector },
            spec: {
              containers: [
                {
                  name: app,
                  image: `quay.io/prometheus/${app}`,
                  ports: [{ name: cr.spec.portName ?? "web", containerPort: kind === "Prometheus" ? 9090 : 9093 }],
                },
              ],
            },
          },
          volumeClaimTemplates: claim ? [{ metadata: { name: `${app}-${name}-db` }, spec: claim.spec }] : [],
        },
      };
      await cluster.kubectl(["create", "-f", "-"], { input: JSON.stringify(statefulSet) });
      return `${app}-${name}-0`;
    }

    let installed: Record<string, number>;
    let operated: string[];

    it("Flux installs every release: Ready, its workloads and pods there, Prometheus and Alertmanager made as the operator makes them", async () => {
      installed = await revisions();
      for (const r of RELEASES) expect(await storedRevision(r), r).toBe(installed[r]);
      const { stdout } = await cluster.kubectl([
        "get",
        "deployments",
        "-n",
        NS,
        "-o",
        "jsonpath={.items[*].metadata.name}",
      ]);
      expect(stdout.split(" ").sort()).toEqual(["echo-server", "gatus", "kube-prometheus-stack-operator"]);
      // The chart's claim, bound.
      const { stdout: claim } = await cluster.kubectl([
        "get",
        "pvc",
        "gatus",
        "-n",
        NS,
        "-o",
        "jsonpath={.status.phase}",
      ]);
      expect(claim).toBe("Bound");
      operated = [await makeAsTheOperator("Prometheus"), await makeAsTheOperator("Alertmanager")];
      const want = await until(
        "every chart's pods to run",
        async () => {
          const all = await chartPods();
          // echo-server runs two replicas in git.
          return all["echo-server"]!.length === 2 &&
            all.gatus!.length === 1 &&
            all["kube-prometheus-stack"]!.length === 3
            ? all
            : undefined;
        },
        120,
      );
      expect(want["kube-prometheus-stack"]).toEqual(expect.arrayContaining(operated));
      console.log(`installed by Flux: revisions ${JSON.stringify(installed)}, pods ${JSON.stringify(want)}`);
    });

    it("tilt up, a values edit, Ctrl-C, tilt up, tilt down: pods bound per release, one upgrade per change, the release never uninstalled", async () => {
      const before = await liveObjects(cluster, NS, KEPT_KINDS);
      expect(
        Object.keys(before)
          .filter((k) => k.startsWith("PersistentVolumeClaim/"))
          .sort(),
      ).toEqual([
        "PersistentVolumeClaim/gatus",
        `PersistentVolumeClaim/${operated[0]!.replace(/^(prometheus-.*)-0$/, "$1-db-$1-0")}`,
      ]);
      const inGitSpecs = await Promise.all(RELEASES.map(async (r) => (await release(r)).spec));
      const generations = Object.fromEntries(
        await Promise.all(RELEASES.map(async (r) => [r, (await release(r)).metadata.generation] as const)),
      );
      const port = await freePort();
      const first = tilt(["up", "--stream", "--port", String(port)]);
      await until("Flux to be suspended", async () => ((await suspended()) ? true : undefined), 90);
      // Tilt applies the dev build over each release (the dev caps as a post-renderer): helm-controller upgrades it.
      await until(
        "Tilt to apply every release",
        async () => {
          const { stdout } = await cluster.kubectl([
            "get",
            HELMRELEASES,
            "-n",
            NS,
            "-l",
            "app.kubernetes.io/managed-by=tilt",
            "-o",
            "name",
          ]);
          return stdout.split("\n").filter(Boolean).length === RELEASES.length ? true : undefined;
        },
        90,
      );
      const up = await revisions();
      for (const r of RELEASES) {
        const changed = (await release(r)).metadata.generation !== generations[r];
        expect(up[r], r).toBe(installed[r]! + (changed ? 1 : 0));
      }

      const bound = await until(
        "each release's resource to bind its chart's pods",
        async () => {
          const [want, got] = [await chartPods(), await boundPods(port)];
          return RELEASES.every((r) => want[r]!.length > 0 && JSON.stringify(got[r]) === JSON.stringify(want[r]))
            ? got
            : undefined;
        },
        120,
      );
      expect(bound["kube-prometheus-stack"]).toEqual(expect.arrayContaining(operated));
      expect(bound["echo-server"]).toHaveLength(1); // the dev caps: one replica
      console.log(`pods per Tilt resource: ${JSON.stringify(Object.fromEntries(RELEASES.map((r) => [r, bound[r]])))}`);
      // Tilt forwards a resource's ports to one of its pods: kube-prometheus-stack's operator,
      // Prometheus and Alertmanager Services each get a resource finding their pods only.
      const want = await chartPods();
      const pointed = await until(
        "a port-forward to every pod group of every release",
        async () => {
          const all = (await forwards(port)).map((f) => ({ ...f, resource: f.name.slice(0, -f.pod.length - 1) }));
          const reached = (r: string) => new Set(all.filter((f) => f.resource.startsWith(r)).map((f) => f.pod));
          return RELEASES.every((r) => reached(r).size === (r === "echo-server" ? 1 : want[r]!.length))
            ? all
            : undefined;
        },
        90,
      );
      console.log(`port-forwards: ${JSON.stringify(pointed)}`);
      const now = await boundPods(port);
      for (const f of pointed) expect(now[f.resource], f.name).toContain(f.pod);
      for (const f of pointed.filter((f) => f.resource.endsWith("-forward")))
        expect(now[f.resource], f.name).toEqual([f.pod]);
      expect(
        pointed
          .filter((f) => f.resource.startsWith("kube-prometheus-stack"))
          .map((f) => f.resource)
          .sort(),
      ).toEqual(["alertmanager", "operator", "prometheus"].map((s) => `kube-prometheus-stack-${s}-forward`));

      // A values edit in the folder: Tilt applies it, helm-controller upgrades the release, the Prometheus has it.
      const file = path.join(folder, "base/helmrelease.yaml");
      const inGit = readFileSync(file, "utf8");
      writeFileSync(file, inGit.replace("retention: 7d", "retention: 10d"));
      const edited = await upgraded("kube-prometheus-stack", up["kube-prometheus-stack"]!, "the edit");
      expect(edited).toBe(up["kube-prometheus-stack"]! + 1);
      expect(await storedRevision("kube-prometheus-stack")).toBe(edited);
      expect(await retention()).toBe("10d");

      // Ctrl-C: Flux resumes and puts git's values back.
      first.kill("SIGINT");
      await first;
      await until("Ctrl-C to resume Flux", async () => ((await suspended()) ? undefined : true), 30);
      const resumed = await upgraded("kube-prometheus-stack", edited, "git's values after Ctrl-C");
      expect(resumed).toBe(edited + 1);
      expect(await retention()).toBe("7d");

      // Up again: the folder's edit once more; down: git's values, Flux resumed.
      const second = tilt(["up", "--stream", "--port", "0"]);
      await until("Flux to be suspended again", async () => ((await suspended()) ? true : undefined), 90);
      const again = await upgraded("kube-prometheus-stack", resumed, "the edit again");
      expect(again).toBe(resumed + 1);
      expect(await retention()).toBe("10d");
      second.kill("SIGINT");
      await second;
      const down = await tilt(["down"]);
      expect(down.exitCode, down.all).toBe(0);
      expect(await suspended()).toBe(false);
      const handedBack = await upgraded("kube-prometheus-stack", again, "git's values after tilt down");
      expect(handedBack).toBe(again + 1);
      expect(await retention()).toBe("7d");
      // Flux applied git's values over Tilt's, and the resume took off Tilt's post-renderers, which
      // Flux's apply leaves (it sets only what git sets): the dev caps are gone from the cluster.
      expect(await Promise.all(RELEASES.map(async (r) => (await release(r)).spec.values))).toEqual(
        inGitSpecs.map((spec) => spec.values),
      );
      expect(await Promise.all(RELEASES.map(async (r) => (await release(r)).spec.postRenderers))).toEqual(
        inGitSpecs.map((spec) => spec.postRenderers),
      );
      await until(
        "echo-server to run git's two replicas again",
        async () => {
          const { stdout } = await cluster.kubectl([
            "get",
            "deployment",
            "echo-server",
            "-n",
            NS,
            "-o",
            "jsonpath={.spec.replicas}",
          ]);
          return stdout === "2" ? true : undefined;
        },
        90,
      );
      await sync.waitReady([NS], 90);
      writeFileSync(file, inGit);

      // Never uninstalled: every release, workload and claim is the one Flux made.
      expect(await liveObjects(cluster, NS, KEPT_KINDS)).toEqual(before);
      console.log(
        `kube-prometheus-stack revisions: installed ${installed["kube-prometheus-stack"]}, tilt up ${up["kube-prometheus-stack"]}, edit ${edited}, Ctrl-C ${resumed}, up ${again}, down ${handedBack}`,
      );
    });

    it("observe mode: attaches to every release's pods and upgrades nothing", async () => {
      const copy = path.join(mkdtempSync(path.join(os.tmpdir(), "observe-")), "homelab");
      cpSync(repo, copy, { recursive: true });
      const observed = path.join(copy, "infrastructure/monitoring");
      await scaffold({
        folders: [observed],
        cwd: copy,
        context: cluster.context,
        tilt: "observe",
        env: { KUBECONFIG: cluster.kubeconfig, XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), "cache-")) },
      });
      const before = await revisions();
      const objects = await liveObjects(cluster, NS, KEPT_KINDS);
      const generations = await Promise.all(RELEASES.map(async (r) => (await release(r)).metadata.generation));
      const port = await freePort();
      const up = tilt(["up", "--stream", "--port", String(port)], observed);
      const bound = await until(
        "each release's resource to attach to its chart's pods",
        async () => {
          const [want, got] = [await chartPods(), await boundPods(port, observed)];
          return RELEASES.every((r) => want[r]!.length > 0 && JSON.stringify(got[r]) === JSON.stringify(want[r]))
            ? got
            : undefined;
        },
        120,
      );
      expect(bound["kube-prometheus-stack"]).toEqual(expect.arrayContaining(operated));
      expect(await suspended()).toBe(false);
      up.kill("SIGINT");
      await up;
      const down = await tilt(["down"], observed);
      expect(down.exitCode, down.all).toBe(0);
      expect(await Promise.all(RELEASES.map(async (r) => (await release(r)).metadata.generation))).toEqual(generations);
      expect(await revisions()).toEqual(before);
      expect(await liveObjects(cluster, NS, KEPT_KINDS)).toEqual(objects);
    });
  },
);
