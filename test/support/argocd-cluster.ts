// Argo CD in a test cluster, as plain processes beside the API server: a redis-server, the repo
// server and the application controller (one binary, chosen by the name it runs under), set up
// as Argo CD's own Procfile runs them for local development. Its namespace is `argocd`; the
// in-cluster destination https://kubernetes.default.svc is the test API server.
import { mkdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { ResultPromise } from "execa";

export const ARGOCD_NAMESPACE = "argocd";
/** Where every Argo CD Application sends its objects in a test cluster. */
export const IN_CLUSTER = "https://kubernetes.default.svc";

/** What startTestCluster lends to start Argo CD. */
export interface ArgoCDHost {
  dir: string;
  kubeconfig: string;
  /** First on the repo server's PATH: git-verify-wrapper.sh, kustomize and helm, as in Argo CD's image. */
  binDirs: string[];
  spawn(name: string, args: string[], env?: Record<string, string>): ResultPromise;
  waitFor(what: string, check: () => Promise<boolean>): Promise<void>;
  apply(yaml: string): Promise<unknown>;
  freePort(): Promise<number>;
  /** GET url answers 200. */
  ready(url: string): Promise<boolean>;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

const partOfArgoCD = { "app.kubernetes.io/part-of": "argocd" };

/**
 * The objects Argo CD reads at start: its settings (read only when labelled part-of argocd) and
 * the `default` project, as argocd-server creates it (Applications name a project; this test
 * cluster runs no argocd-server).
 */
function argoCDObjects(): string {
  const objects = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ARGOCD_NAMESPACE } },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "argocd-cm", namespace: ARGOCD_NAMESPACE, labels: partOfArgoCD },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "argocd-rbac-cm", namespace: ARGOCD_NAMESPACE, labels: partOfArgoCD },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "argocd-cmd-params-cm", namespace: ARGOCD_NAMESPACE, labels: partOfArgoCD },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "argocd-secret", namespace: ARGOCD_NAMESPACE, labels: partOfArgoCD },
      stringData: { "server.secretkey": randomBytes(24).toString("hex") },
    },
    {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AppProject",
      metadata: { name: "default", namespace: ARGOCD_NAMESPACE },
      spec: {
        sourceRepos: ["*"],
        destinations: [{ server: "*", namespace: "*" }],
        clusterResourceWhitelist: [{ group: "*", kind: "*" }],
      },
    },
  ];
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: objects });
}

export async function startArgoCD(host: ArgoCDHost): Promise<void> {
  await host.apply(argoCDObjects());
  const redisPort = await host.freePort();
  host.spawn("redis-server", [
    "--bind",
    "127.0.0.1",
    "--port",
    String(redisPort),
    "--dir",
    host.dir,
    // A cache only: nothing to save.
    "--save",
    "",
    "--appendonly",
    "no",
    "--loglevel",
    "warning",
  ]);
  await host.waitFor("redis-server not listening", () => listening(redisPort));

  const state = join(host.dir, "argocd");
  for (const sub of ["tls", "ssh", "gpg", "gnupg", "tmp", "home"]) mkdirSync(join(state, sub), { recursive: true });
  const env = {
    KUBECONFIG: host.kubeconfig,
    PATH: [...host.binDirs, process.env.PATH].join(":"),
    // The in-cluster destination is KUBECONFIG's cluster, not the pod's service account.
    ARGOCD_FAKE_IN_CLUSTER: "true",
    // Argo CD's defaults are fixed paths (/app/config/…, /tmp/_argocd-repo, /tmp/reposerver-ask-pass.sock)
    // that two clusters on one machine would share.
    ARGOCD_TLS_DATA_PATH: join(state, "tls"),
    ARGOCD_SSH_DATA_PATH: join(state, "ssh"),
    ARGOCD_GPG_ENABLED: "false",
    ARGOCD_GPG_DATA_PATH: join(state, "gpg"),
    ARGOCD_GNUPGHOME: join(state, "gnupg"),
    ARGOCD_ASK_PASS_SOCK: join(state, "askpass.sock"),
    TMPDIR: join(state, "tmp"),
    // The repo server runs git: no git config of the user running the tests leaks in.
    HOME: join(state, "home"),
    GIT_CONFIG_NOSYSTEM: "1",
    // The tests' git server is on 127.0.0.1, never behind a proxy.
    NO_PROXY: "127.0.0.1,localhost",
  };
  const common = ["--redis", `127.0.0.1:${redisPort}`, "--loglevel", "info", "--logformat", "text"];

  const [repoPort, repoMetrics, controllerMetrics] = [
    await host.freePort(),
    await host.freePort(),
    await host.freePort(),
  ];
  host.spawn(
    "argocd-repo-server",
    [
      ...common,
      "--address",
      "127.0.0.1",
      "--port",
      String(repoPort),
      "--metrics-address",
      "127.0.0.1",
      "--metrics-port",
      String(repoMetrics),
      // Plain gRPC; its default client CA path (/app/config/…) would refuse that.
      "--disable-tls",
      "--client-ca-path=",
    ],
    env,
  );
  host.spawn(
    "argocd-application-controller",
    [
      ...common,
      "--kubeconfig",
      host.kubeconfig,
      "--namespace",
      ARGOCD_NAMESPACE,
      "--repo-server",
      `127.0.0.1:${repoPort}`,
      "--repo-server-plaintext",
      // Listens on 0.0.0.0 (no address flag); /healthz is there too.
      "--metrics-port",
      String(controllerMetrics),
    ],
    env,
  );
  await host.waitFor("argocd-repo-server not ready", () => host.ready(`http://127.0.0.1:${repoMetrics}/healthz`));
  await host.waitFor("argocd-application-controller not ready", () =>
    host.ready(`http://127.0.0.1:${controllerMetrics}/healthz`),
  );
}
