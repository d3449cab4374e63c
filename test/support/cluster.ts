// A throwaway Kubernetes API server for tests: etcd + kube-apiserver built by
// `npm run tools` into .tools/bin, with the CRDs from .tools/crds installed.
// There is no scheduler, kubelet or controller-manager: objects are stored
// and validated, nothing reconciles them. Tests play the kubelet by writing
// pod status through the status subresource (setPodStatus).
import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const toolsDir = join(repoRoot, '.tools');
export const crdsDir = join(toolsDir, 'crds');

/** Binaries that every cluster test needs; tilt is optional (see toolUnavailable). */
const requiredTools = ['etcd', 'kube-apiserver', 'flux'] as const;

/** Path of a tool built into .tools/bin; kubectl comes from PATH if not there. */
export function toolPath(name: string): string {
  const built = join(toolsDir, 'bin', name);
  return name === 'kubectl' && !existsSync(built) ? 'kubectl' : built;
}

export function haveTool(name: string): boolean {
  return existsSync(toolPath(name));
}

/** True when etcd, kube-apiserver, flux and the CRDs are built. */
export function haveTools(): boolean {
  return requiredTools.every(haveTool) && existsSync(crdsDir);
}

/**
 * Why build.sh could not provide a tool (e.g. the Go module proxy does not
 * serve it), or undefined. Lets tests skip, rather than fail, for a tool that
 * cannot be had on this machine, while still failing when nobody built it.
 */
export function toolUnavailable(name: string): string | undefined {
  const marker = join(toolsDir, 'unavailable', name);
  return existsSync(marker) ? readFileSync(marker, 'utf8').trim() : undefined;
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
  /** Merges `status` into a pod's status through the status subresource. */
  setPodStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void>;
  /** Kills both processes and removes the temp dir; safe to call twice. */
  stop(): Promise<void>;
}

export const contextName = 'tilt-test';

/** Pod status as a kubelet would report a running, ready container. */
export function runningPodStatus(container: string): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
    containerStatuses: [
      {
        name: container,
        image: 'example.invalid/image:test',
        imageID: '',
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: now } },
      },
    ],
  };
}

/** Pod status of a container that keeps crashing. */
export function crashLoopPodStatus(container: string, restartCount = 5): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now }],
    containerStatuses: [
      {
        name: container,
        image: 'example.invalid/image:test',
        imageID: '',
        ready: false,
        restartCount,
        started: false,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now } },
      },
    ],
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** GET https://127.0.0.1:port/readyz; the serving cert is self-signed. */
function readyz(server: string, token: string): Promise<boolean> {
  return new Promise((resolveReady) => {
    const req = request(
      `${server}/readyz`,
      { headers: { Authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 2000 },
      (res) => {
        res.resume();
        resolveReady(res.statusCode === 200);
      },
    );
    req.on('error', () => resolveReady(false));
    req.on('timeout', () => req.destroy());
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
      for (const p of entry.procs) p.kill('SIGKILL');
      rmSync(entry.dir, { recursive: true, force: true });
    }
    live.clear();
  };
  process.once('exit', cleanup);
  // 'exit' does not fire on a fatal signal: clean up, then re-raise it so
  // the default action (or the test runner's own handler) still happens.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanup();
      process.kill(process.pid, signal);
    });
  }
}

async function stopProcess(proc: ResultPromise): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  await Promise.race([proc.catch(() => undefined), sleep(5000)]);
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGKILL');
    await proc.catch(() => undefined);
  }
}

export async function startTestCluster(): Promise<TestCluster> {
  if (!haveTools()) {
    throw new Error(`etcd/kube-apiserver/flux/CRDs missing in ${toolsDir}: run \`npm run tools\``);
  }
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'tilt-test-cluster-'));
  const entry = { procs: [] as ResultPromise[], dir };
  live.add(entry);
  // Keep the last lines of each server's output for error messages.
  const logs: Record<string, string> = { etcd: '', 'kube-apiserver': '' };
  const spawn = (name: 'etcd' | 'kube-apiserver', args: string[]): ResultPromise => {
    const proc = execa(toolPath(name), args, { all: true, buffer: false, cleanup: true, reject: false });
    proc.all?.on('data', (chunk: Buffer) => {
      logs[name] = (logs[name] + chunk.toString()).slice(-4000);
    });
    entry.procs.push(proc);
    return proc;
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // API server first, so it does not log etcd connection errors meanwhile.
    for (const proc of [...entry.procs].reverse()) await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
    live.delete(entry);
  };

  try {
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = spawn('etcd', [
      '--name=test',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=test=${peerUrl}`,
      '--log-level=warn',
      // Test data is disposable: skip fsync, it is the slow part on CI disks.
      '--unsafe-no-fsync',
    ]);

    // Auth: one static admin token. Authorization: AlwaysAllow, as there is
    // no RBAC bootstrap worth waiting for in a test cluster.
    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin,system:masters\n`);
    // Service-account token signing is mandatory for kube-apiserver to start.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = spawn('kube-apiserver', [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      // The server writes a self-signed serving cert here.
      `--cert-dir=${join(dir, 'certs')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=AlwaysAllow',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.0.0.0/24',
      // No controller-manager creates the "default" service account, and the
      // ServiceAccount admission plugin would reject every pod without it.
      '--disable-admission-plugins=ServiceAccount',
      // The "kubernetes" Service endpoints would point at a loopback address.
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      // Real repositories scale apps to zero with an HPA (minReplicas: 0), an alpha feature.
      '--feature-gates=HPAScaleToZero=true',
    ]);

    const deadline = Date.now() + 90_000;
    while (!(await readyz(server, token))) {
      for (const [name, proc] of [['etcd', etcd], ['kube-apiserver', apiserver]] as const) {
        if (proc.exitCode !== null) {
          throw new Error(`${name} exited with ${proc.exitCode}:\n${logs[name]}`);
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`kube-apiserver not ready after 90s:\n${logs['kube-apiserver']}`);
      }
      await sleep(250);
    }

    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: ${contextName}`,
        '  cluster:',
        `    server: ${server}`,
        '    insecure-skip-tls-verify: true',
        'users:',
        `- name: ${contextName}-admin`,
        '  user:',
        `    token: ${token}`,
        'contexts:',
        `- name: ${contextName}`,
        '  context:',
        `    cluster: ${contextName}`,
        `    user: ${contextName}-admin`,
        `current-context: ${contextName}`,
        '',
      ].join('\n'),
    );

    const kubectl = (args: string[], opts: KubectlOptions = {}) =>
      execa(toolPath('kubectl'), ['--kubeconfig', kubeconfig, '--context', contextName, ...args], opts);

    // Server-side apply: the Argo CD Application CRD is too large for the
    // last-applied-configuration annotation of a client-side apply.
    await kubectl(['apply', '--server-side', '-f', crdsDir]);
    await kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);

    return {
      kubeconfig,
      context: contextName,
      server,
      kubectl,
      async setPodStatus(namespace, name, status) {
        await kubectl([
          'patch', 'pod', name, '-n', namespace,
          '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }),
        ]);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
