// A throwaway Kubernetes cluster for tests, of plain processes built by
// `npm run tools` into .tools/bin: etcd and kube-apiserver with the CRDs from
// .tools/crds, and on request
//   controllers: kube-controller-manager, kube-scheduler and kwok, whose one
//     simulated node runs pods without containers (they become Running and
//     Ready; test/support/kwok/stages.yaml has the unhappy paths and binds
//     every claim), and
//   flux: Flux's source-controller and kustomize-controller, and
//   helm: Flux's helm-controller too, which installs HelmReleases (built from
//     ../shared/sources, see toolUnavailable); without it they are stored and
//     validated, never installed, and
//   argocd: Argo CD's repo server and application controller with a
//     redis-server (see argocd-cluster.ts).
import { randomBytes, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { startArgoCD } from "./argocd-cluster.ts";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const toolsDir = join(repoRoot, ".tools");
export const crdsDir = join(toolsDir, "crds");
/** What Argo CD's image has beside its binary: crds/ (AppProject) and bin/ for the repo server. */
const argocdFilesDir = join(toolsDir, "argocd");
/** kwok's default stages (copied by tools/build.sh) and the tests' own. */
const kwokStagesDir = join(toolsDir, "kwok");
const testStages = join(repoRoot, "test/support/kwok/stages.yaml");
/** The annotation by which kwok knows the nodes it plays the kubelet for. */
const KWOK_NODE = "kwok.x-k8s.io/node";
/** The name of the one node a cluster with controllers has. */
export const kwokNodeName = "kwok-node-0";

/** Binaries that every cluster test needs; tilt is optional (see toolUnavailable). */
const requiredTools = ["etcd", "kube-apiserver", "flux"] as const;
/** What each optional part of a cluster runs. */
const controllerTools = ["kube-controller-manager", "kube-scheduler", "kwok"] as const;
const fluxTools = ["source-controller", "kustomize-controller"] as const;
const helmTools = ["helm-controller"] as const;
/** One binary that picks its role from its name (build.sh links each name to it), and a Redis. */
const argocdTools = ["argocd-repo-server", "argocd-application-controller", "redis-server"] as const;
/** Tools that come from the system (Debian packages), never from .tools/bin. */
const systemTools = new Set(["redis-server"]);

/** The first `name` on PATH, or undefined. */
function onPath(name: string): string | undefined {
  return (process.env.PATH ?? "")
    .split(":")
    .map((dir) => join(dir, name))
    .find((file) => existsSync(file));
}

/** Path of a tool built into .tools/bin; kubectl comes from PATH if not there, system tools always. */
export function toolPath(name: string): string {
  if (systemTools.has(name)) return onPath(name) ?? name;
  const built = join(toolsDir, "bin", name);
  return name === "kubectl" && !existsSync(built) ? "kubectl" : built;
}

export function haveTool(name: string): boolean {
  return existsSync(toolPath(name));
}

/** True when etcd, kube-apiserver, flux and the CRDs are built, and what `options` asks for. */
export function haveTools(options: ClusterOptions = {}): boolean {
  return missingTools(options).length === 0;
}

/** The tools `startTestCluster(options)` needs that are not built. */
export function missingTools(options: ClusterOptions = {}): string[] {
  const tools: string[] = [...requiredTools];
  if (options.controllers) tools.push(...controllerTools);
  if (options.flux || options.helm) tools.push(...fluxTools);
  if (options.helm) tools.push(...helmTools);
  if (options.argocd) tools.push(...argocdTools);
  const missing = tools.filter((tool) => !haveTool(tool));
  if (!existsSync(crdsDir)) missing.push("crds");
  if (options.argocd && !existsSync(join(argocdFilesDir, "bin", "kustomize"))) missing.push("argocd files");
  if (options.controllers && !existsSync(kwokStagesDir)) missing.push("kwok stages");
  return missing;
}

export interface ClusterOptions {
  /** kube-controller-manager, kube-scheduler and a kwok node: workloads get Running, Ready pods. */
  controllers?: boolean;
  /** Flux's source-controller and kustomize-controller, watching every namespace. */
  flux?: boolean;
  /** false: no CRD at all, as on a fresh local cluster (kind, k3d) that has no Flux. */
  crds?: boolean;
  /** Flux's helm-controller beside them (implies `flux`): HelmReleases are installed. */
  helm?: boolean;
  /**
   * Argo CD's repo server and application controller, for Applications in namespace `argocd`
   * (with `controllers`, their workloads turn Healthy).
   */
  argocd?: boolean;
}

/**
 * Why build.sh could not provide a tool (e.g. the Go module proxy does not
 * serve it), or undefined. Lets tests skip, rather than fail, for a tool that
 * cannot be had on this machine, while still failing when nobody built it.
 */
export function toolUnavailable(name: string): string | undefined {
  if (systemTools.has(name)) {
    return onPath(name) ? undefined : `${name}: not installed (the Debian package ${name}; .ci/run installs it)`;
  }
  const marker = join(toolsDir, "unavailable", name);
  return existsSync(marker) ? readFileSync(marker, "utf8").trim() : undefined;
}

/** The execa options that kubectl() passes on (kept narrow so stdout is a string). */
export interface KubectlOptions {
  input?: string;
  reject?: boolean;
  env?: Record<string, string>;
  timeout?: number;
}

export interface TestCluster {
  /** Path of a kubeconfig whose current context is `context`. */
  kubeconfig: string;
  context: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** Runs kubectl against this cluster (rejects on a non-zero exit, like execa). */
  kubectl(args: string[], opts?: KubectlOptions): ResultPromise<KubectlOptions>;
  /** The last lines each component printed, for a failing test's message. */
  logs(): string;
  /** Kills every process it started and removes the temp dir; safe to call twice. */
  stop(): Promise<void>;
}

export const contextName = "tilt-test";

/**
 * Ports for the processes the tests start come from below the kernel's ephemeral range (Linux:
 * 32768 and up), in a block of this vitest worker's own. A port taken there with listen(0) and
 * closed again could go to any outgoing connection before the process binds it, and did: the
 * API server of a cluster failed with "address already in use".
 */
const PORT_BLOCK = 1000;
const portBlock = 20_000 + (Number(process.env.VITEST_POOL_ID ?? 0) % 12) * PORT_BLOCK;
let nextPort = portBlock + Math.floor(Math.random() * PORT_BLOCK);

function isFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once("error", () => resolveFree(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolveFree(true)));
  });
}

/** A TCP port free on 127.0.0.1 now, that no other worker hands out and no connection takes. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < PORT_BLOCK; tries++) {
    const port = nextPort;
    nextPort = portBlock + ((nextPort - portBlock + 1) % PORT_BLOCK);
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port in ${portBlock}-${portBlock + PORT_BLOCK - 1}`);
}

/**
 * True when GET `url` answers 200: kube-apiserver's /readyz (https, self-signed serving cert,
 * a bearer token) or a Flux controller's health endpoint (plain http).
 */
function ready(url: string, token?: string): Promise<boolean> {
  const get = url.startsWith("https:") ? request : httpRequest;
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  return new Promise((resolveReady) => {
    const req = get(url, { headers, rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolveReady(res.statusCode === 200);
    });
    req.on("error", () => resolveReady(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Everything started here, so an exiting test process (failed test, Ctrl-C)
// leaves no server running or temp dir behind. execa's `cleanup` option also
// kills children on signals; this covers the temp dirs and plain exits.
const live = new Set<{ procs: ResultPromise[]; dir: string }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanup = () => {
    for (const entry of live) {
      for (const p of entry.procs) p.kill("SIGKILL");
      rmSync(entry.dir, { recursive: true, force: true });
    }
    live.clear();
  };
  process.once("exit", cleanup);
  // 'exit' does not fire on a fatal signal: clean up, then re-raise it so
  // the default action (or the test runner's own handler) still happens.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      cleanup();
      process.kill(process.pid, signal);
    });
  }
}

async function stopProcess(proc: ResultPromise): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  await Promise.race([proc.catch(() => undefined), sleep(5000)]);
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill("SIGKILL");
    await proc.catch(() => undefined);
  }
}

/** The one simulated node: big enough for every namespace of a test. */
function kwokNode(name: string): string {
  const resources = { cpu: "64", memory: "256Gi", pods: "500" };
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { [KWOK_NODE]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        type: "kwok",
      },
    },
    status: { allocatable: resources, capacity: resources },
  });
}

export async function startTestCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const missing = missingTools(options);
  if (missing.length > 0) {
    throw new Error(`${missing.join(", ")} missing in ${toolsDir}: run \`npm run tools\``);
  }
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), "tilt-test-cluster-"));
  const entry = { procs: [] as ResultPromise[], dir };
  live.add(entry);
  // The last lines of each component's output, for error messages.
  const logs = new Map<string, string>();
  const started: [string, ResultPromise][] = [];
  const spawn = (name: string, args: string[], env: Record<string, string> = {}): ResultPromise => {
    const proc = execa(toolPath(name), args, { all: true, buffer: false, cleanup: true, reject: false, env });
    logs.set(name, "");
    proc.all?.on("data", (chunk: Buffer) => {
      logs.set(name, (logs.get(name) + chunk.toString()).slice(-6000));
    });
    entry.procs.push(proc);
    started.push([name, proc]);
    return proc;
  };
  const allLogs = () => [...logs].map(([name, log]) => `--- ${name}:\n${log.trim()}`).join("\n");
  /** Waits for `check`, failing early with its log when a component exits. */
  const waitFor = async (what: string, check: () => Promise<boolean>, seconds = 90) => {
    const deadline = Date.now() + seconds * 1000;
    while (!(await check())) {
      for (const [name, proc] of started) {
        if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}:\n${logs.get(name)}`);
      }
      if (Date.now() > deadline) throw new Error(`${what} after ${seconds}s:\n${allLogs()}`);
      await sleep(250);
    }
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Newest first: the API server goes after its clients and before etcd.
    for (const proc of [...entry.procs].reverse()) await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
    live.delete(entry);
  };

  try {
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    spawn("etcd", [
      "--name=test",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=test=${peerUrl}`,
      "--log-level=warn",
      // Test data is disposable: skip fsync, it is the slow part on CI disks.
      "--unsafe-no-fsync",
    ]);

    // Auth: one static admin token. Authorization: AlwaysAllow, as there is
    // no RBAC bootstrap worth waiting for in a test cluster.
    const token = randomBytes(24).toString("hex");
    writeFileSync(join(dir, "tokens.csv"), `${token},admin,admin,system:masters\n`);
    // Service-account token signing is mandatory for kube-apiserver to start.
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));

    const server = `https://127.0.0.1:${apiPort}`;
    spawn("kube-apiserver", [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      // The server writes a self-signed serving cert here.
      `--cert-dir=${join(dir, "certs")}`,
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      "--authorization-mode=AlwaysAllow",
      `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--service-cluster-ip-range=10.0.0.0/24",
      // Pods run no containers, so none needs a service-account token, and
      // without a controller-manager nothing would create the "default" one.
      "--disable-admission-plugins=ServiceAccount",
      // The "kubernetes" Service endpoints would point at a loopback address.
      "--endpoint-reconciler-type=none",
      "--enable-priority-and-fairness=false",
      "--profiling=false",
      // Real repositories scale apps to zero with an HPA (minReplicas: 0), an alpha feature.
      "--feature-gates=HPAScaleToZero=true",
    ]);
    await waitFor("kube-apiserver not ready", () => ready(`${server}/readyz`, token));

    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: ${contextName}`,
        "  cluster:",
        `    server: ${server}`,
        "    insecure-skip-tls-verify: true",
        "users:",
        `- name: ${contextName}-admin`,
        "  user:",
        `    token: ${token}`,
        "contexts:",
        `- name: ${contextName}`,
        "  context:",
        `    cluster: ${contextName}`,
        `    user: ${contextName}-admin`,
        `current-context: ${contextName}`,
        "",
      ].join("\n"),
    );

    const kubectl = (args: string[], opts: KubectlOptions = {}) =>
      execa(toolPath("kubectl"), ["--kubeconfig", kubeconfig, "--context", contextName, ...args], opts);

    // Server-side apply: the Argo CD Application CRD is too large for the
    // last-applied-configuration annotation of a client-side apply.
    if (options.crds !== false) {
      await kubectl(["apply", "--server-side", "-f", crdsDir]);
      await kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
    }

    const clientEnv = { KUBECONFIG: kubeconfig };
    if (options.controllers) {
      spawn("kube-controller-manager", [
        `--kubeconfig=${kubeconfig}`,
        "--leader-elect=false",
        // No port to collide with the next suite's cluster.
        "--secure-port=0",
        `--service-account-private-key-file=${join(dir, "sa.key")}`,
      ]);
      spawn("kube-scheduler", [`--kubeconfig=${kubeconfig}`, "--leader-elect=false", "--secure-port=0"]);
      const stages = readdirSync(kwokStagesDir)
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => join(kwokStagesDir, f));
      spawn("kwok", [
        `--kubeconfig=${kubeconfig}`,
        `--config=${[...stages, testStages].join(",")}`,
        "--manage-all-nodes=false",
        `--manage-nodes-with-annotation-selector=${KWOK_NODE}=fake`,
        `--server-address=127.0.0.1:${await freePort()}`,
        "--cidr=10.244.0.0/16",
        "--node-ip=127.0.0.1",
      ]);
      await kubectl(["create", "-f", "-"], { input: kwokNode(kwokNodeName) });
      await waitFor("the kwok node not Ready", async () => {
        const { stdout } = await kubectl([
          "get",
          "node",
          kwokNodeName,
          "-o",
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ]);
        return stdout === "True";
      });
    }

    if (options.flux || options.helm) {
      // Outside the cluster, as their Deployments would run them inside it.
      const fluxEnv = { ...clientEnv, RUNTIME_NAMESPACE: "flux-system" };
      const storage = `127.0.0.1:${await freePort()}`;
      const sourceHealth = `127.0.0.1:${await freePort()}`;
      const kustomizeHealth = `127.0.0.1:${await freePort()}`;
      mkdirSync(join(dir, "artifacts"));
      const common = [
        "--enable-leader-election=false",
        "--metrics-addr=0",
        "--log-level=info",
        "--log-encoding=console",
      ];
      spawn(
        "source-controller",
        [
          ...common,
          `--health-addr=${sourceHealth}`,
          `--storage-path=${join(dir, "artifacts")}`,
          `--storage-addr=${storage}`,
          // kustomize-controller fetches artifacts from the address in their status.
          `--storage-adv-addr=${storage}`,
        ],
        fluxEnv,
      );
      spawn(
        "kustomize-controller",
        [
          ...common,
          `--health-addr=${kustomizeHealth}`,
          // A dependency that turns Ready is noticed in seconds, not the default 30s.
          "--requeue-dependency=2s",
        ],
        fluxEnv,
      );
      // helm-controller has no --kubeconfig flag: KUBECONFIG from the environment.
      const helmHealth = options.helm ? `127.0.0.1:${await freePort()}` : undefined;
      if (helmHealth) spawn("helm-controller", [...common, `--health-addr=${helmHealth}`], fluxEnv);
      await waitFor("source-controller not ready", () => ready(`http://${sourceHealth}/readyz`));
      await waitFor("kustomize-controller not ready", () => ready(`http://${kustomizeHealth}/readyz`));
      if (helmHealth) await waitFor("helm-controller not ready", () => ready(`http://${helmHealth}/readyz`));
    }

    if (options.argocd) {
      await kubectl(["apply", "--server-side", "-f", join(argocdFilesDir, "crds")]);
      await kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
      await startArgoCD({
        dir,
        kubeconfig,
        binDirs: [join(argocdFilesDir, "bin"), join(toolsDir, "bin")],
        spawn,
        waitFor,
        apply: (yaml) => kubectl(["apply", "--server-side", "-f", "-"], { input: yaml }),
        freePort,
        ready: (url) => ready(url),
      });
    }

    return { kubeconfig, context: contextName, server, kubectl, logs: allLogs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
