// A repository as Argo CD deploys it in a test cluster started with `argocd: true`: its bare
// remote served by the local git server, its Applications pointed at that server and applied in
// namespace argocd, where the real application controller syncs them (see argocd-cluster.ts).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { ARGOCD_NAMESPACE } from "./argocd-cluster.ts";
import type { TestCluster } from "./cluster.ts";
import type { SyncedRepo } from "./flux-sync.ts";
import { startGitServer, type GitServer } from "./git-server.ts";

export { ARGOCD_NAMESPACE, IN_CLUSTER } from "./argocd-cluster.ts";
export const APPLICATIONS = "applications.argoproj.io";

/** The parts of an Application's status the tests read. */
export interface Application {
  metadata: { name: string; generation: number };
  spec: { syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean; enabled?: boolean } } };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string };
    operationState?: {
      phase?: string;
      startedAt?: string;
      operation?: { initiatedBy?: { username?: string } };
      syncResult?: { revision?: string };
    };
    reconciledAt?: string;
    sourceType?: string;
  };
}

/** The Application `name` in namespace argocd, or undefined. */
export async function application(cluster: TestCluster, name: string): Promise<Application | undefined> {
  const { stdout } = await cluster.kubectl([
    "get",
    APPLICATIONS,
    name,
    "-n",
    ARGOCD_NAMESPACE,
    "-o",
    "json",
    "--ignore-not-found",
  ]);
  return stdout ? (JSON.parse(stdout) as Application) : undefined;
}

/** Synced and Healthy at `revision` (any, if not given), with no sync operation running. */
export function isSynced(app: Application | undefined, revision?: string): boolean {
  const status = app?.status;
  return (
    status?.sync?.status === "Synced" &&
    status.health?.status === "Healthy" &&
    (revision === undefined || status.sync.revision === revision) &&
    status.operationState?.phase !== "Running"
  );
}

/** Waits until the Application is Synced and Healthy (at `revision` when given) and returns it. */
export async function waitSynced(
  cluster: TestCluster,
  name: string,
  options: { revision?: string; seconds?: number } = {},
): Promise<Application> {
  const seconds = options.seconds ?? 180;
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const app = await application(cluster, name);
    if (isSynced(app, options.revision)) return app!;
    if (Date.now() > deadline) {
      const want = options.revision ? ` at ${options.revision}` : "";
      throw new Error(
        `${ARGOCD_NAMESPACE}/${name} not Synced and Healthy${want} after ${seconds}s: ${JSON.stringify(app?.status ?? "not in the cluster")}\n${cluster.logs()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const REFRESH = "argocd.argoproj.io/refresh";

/**
 * Asks Argo CD to compare the Application with git and the cluster now, rather than at its next
 * poll (every 3 minutes), and waits until the controller has: it drops the annotation once it
 * has stored the result. After that the controller has seen every earlier change to the
 * Application (e.g. a paused auto-sync).
 */
export async function refreshed(cluster: TestCluster, name: string, seconds = 60): Promise<void> {
  await cluster.kubectl(["annotate", APPLICATIONS, name, "-n", ARGOCD_NAMESPACE, "--overwrite", `${REFRESH}=normal`]);
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const { stdout } = await cluster.kubectl(["get", APPLICATIONS, name, "-n", ARGOCD_NAMESPACE, "-o", "json"]);
    if (!(JSON.parse(stdout).metadata.annotations ?? {})[REFRESH]) return;
    if (Date.now() > deadline)
      throw new Error(`${ARGOCD_NAMESPACE}/${name}: Argo CD did not refresh it in ${seconds}s\n${cluster.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/**
 * Points every Application in `files` (relative to the work tree) at `repoURL`, as a user's own
 * cluster would have its repository's URL there; commits and pushes when that changed anything.
 */
async function pointAtGitServer(repo: SyncedRepo, files: string[], repoURL: string): Promise<string[]> {
  const names: string[] = [];
  for (const file of files) {
    const full = path.join(repo.work, file);
    const docs = parseAllDocuments(readFileSync(full, "utf8"));
    if (!Array.isArray(docs)) throw new Error(`${file}: no YAML documents`);
    for (const doc of docs) {
      if (doc.get("kind") !== "Application") continue;
      names.push(String(doc.getIn(["metadata", "name"])));
      if (doc.hasIn(["spec", "source"])) doc.setIn(["spec", "source", "repoURL"], repoURL);
      const sources = doc.getIn(["spec", "sources"]) as { items?: unknown[] } | undefined;
      sources?.items?.forEach((_, i) => doc.setIn(["spec", "sources", i, "repoURL"], repoURL));
    }
    writeFileSync(full, docs.map((doc) => doc.toString()).join(""));
  }
  if ((await repo.git(["status", "--porcelain"])).trim()) {
    await repo.git(["commit", "--quiet", "--all", "-m", "Applications: sync from the test cluster's git server"]);
    await repo.git(["push", "--quiet", "origin", "main"]);
  }
  return names;
}

export interface ArgoCDSync {
  server: GitServer;
  /** The URL Argo CD clones the repository from. */
  repoURL: string;
  /** The commit of the remote's main, as Argo CD reports revisions. */
  revision(): Promise<string>;
  /**
   * Waits until the Application is Synced and Healthy at the remote's tip. Argo CD polls git
   * every 2 to 3 minutes: after a push, call refreshed() first unless what is under test asks
   * Argo CD to refresh itself.
   */
  waitSynced(name: string, seconds?: number): Promise<Application>;
  stop(): Promise<void>;
}

/**
 * Serves `repo`'s remote, points the Applications in `applicationFiles` at it, applies them and
 * waits until each is Synced and Healthy at the remote's tip.
 */
export async function syncWithArgoCD(
  cluster: TestCluster,
  repo: SyncedRepo,
  applicationFiles: string[],
): Promise<ArgoCDSync> {
  const server = await startGitServer(path.dirname(repo.remote));
  const repoURL = `${server.url}/${path.basename(repo.remote)}`;
  const revision = async () => (await repo.git(["rev-parse", "origin/main"])).trim();
  const sync: ArgoCDSync = {
    server,
    repoURL,
    revision,
    waitSynced: async (name, seconds) => waitSynced(cluster, name, { revision: await revision(), seconds }),
    stop: () => server.stop(),
  };
  try {
    const names = await pointAtGitServer(repo, applicationFiles, repoURL);
    for (const file of applicationFiles) {
      await cluster.kubectl(["apply", "--server-side", "-f", path.join(repo.work, file)]);
    }
    for (const name of names) await sync.waitSynced(name);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return sync;
}
