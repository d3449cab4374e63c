// The example repository as a cluster Flux manages: its bare remote served by a local git server,
// the bootstrap GitRepository pointed at it, and the real source- and kustomize-controller
// applying everything under clusters/homelab, as `flux bootstrap` leaves a cluster.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments, type Document } from "yaml";
import type { TestCluster } from "./cluster.ts";
import { startGitServer, type GitServer } from "./git-server.ts";

export const KUSTOMIZATIONS = "kustomizations.kustomize.toolkit.fluxcd.io";
const CLUSTER_DIR = "clusters/homelab";

/** The parts of a git work tree with a bare remote that syncing needs. */
export interface SyncedRepo {
  work: string;
  remote: string;
  git(args: string[]): Promise<string>;
}

/** Edits the YAML documents of a file in place, keeping comments. */
function editDocuments(file: string, edit: (doc: Document) => void): void {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  if (!Array.isArray(docs)) throw new Error(`${file}: no YAML documents`);
  for (const doc of docs) edit(doc);
  writeFileSync(file, docs.map((doc) => doc.toString()).join(""));
}

/**
 * Commits what a test cluster needs in the repository, as a user's own cluster would have it:
 * - the GitRepository's URL is the local git server's, without the SSH key secret;
 * - `wait` is off for Kustomizations whose build holds HelmReleases: most test clusters run no
 *   helm-controller, where a HelmRelease never turns Ready and would hold back every
 *   Kustomization that depends on it;
 * - health checks give up after `timeout` (30s, the least kustomize-controller takes) rather
 *   than the repository's minutes.
 */
async function pointAtTestCluster(
  repo: SyncedRepo,
  url: string,
  helmKustomizations: string[],
  timeout: string,
): Promise<void> {
  const dir = path.join(repo.work, CLUSTER_DIR);
  editDocuments(path.join(dir, "flux-system/gotk-sync.yaml"), (doc) => {
    if (doc.get("kind") !== "GitRepository") return;
    doc.setIn(["spec", "url"], url);
    doc.deleteIn(["spec", "secretRef"]);
  });
  for (const file of ["apps.yaml", "infrastructure.yaml"]) {
    editDocuments(path.join(dir, file), (doc) => {
      if (doc.get("kind") !== "Kustomization") return;
      doc.setIn(["spec", "timeout"], timeout);
      if (helmKustomizations.includes(String(doc.getIn(["metadata", "name"])))) doc.setIn(["spec", "wait"], false);
    });
  }
  await repo.git(["commit", "--quiet", "--all", "-m", "clusters/homelab: sync from the test cluster's git server"]);
  await repo.git(["push", "--quiet", "origin", "main"]);
}

export interface FluxSync {
  server: GitServer;
  /** `branch@sha1:<sha>` of the remote's main, as Flux reports revisions. */
  revision(): Promise<string>;
  /** Waits until each Kustomization is Ready at the remote's tip. */
  waitReady(names: string[], seconds?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function syncWithFlux(
  cluster: TestCluster,
  repo: SyncedRepo,
  options: { timeout?: string } = {},
): Promise<FluxSync> {
  const server = await startGitServer(path.dirname(repo.remote));
  const revision = async () => `main@sha1:${(await repo.git(["rev-parse", "origin/main"])).trim()}`;
  const kustomization = async (name: string) => {
    const { stdout } = await cluster.kubectl([
      "get",
      KUSTOMIZATIONS,
      name,
      "-n",
      "flux-system",
      "-o",
      "json",
      "--ignore-not-found",
    ]);
    return stdout ? JSON.parse(stdout) : undefined;
  };
  const waitReady = async (names: string[], seconds = 180) => {
    const want = await revision();
    const deadline = Date.now() + seconds * 1000;
    for (const name of names) {
      for (;;) {
        const live = await kustomization(name);
        const ready = live?.status?.conditions?.find((c: { type: string }) => c.type === "Ready");
        if (
          ready?.status === "True" &&
          live.status.lastAppliedRevision === want &&
          live.status.observedGeneration >= live.metadata.generation
        )
          break;
        if (Date.now() > deadline) {
          throw new Error(
            `flux-system/${name} not Ready at ${want} after ${seconds}s: ${JSON.stringify(live?.status ?? "not in the cluster")}\n${cluster.logs()}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  try {
    await pointAtTestCluster(
      repo,
      `${server.url}/${path.basename(repo.remote)}`,
      ["monitoring"],
      options.timeout ?? "30s",
    );
    await cluster.kubectl(["create", "namespace", "flux-system"], { reject: false });
    await cluster.kubectl(["apply", "--server-side", "-k", path.join(repo.work, CLUSTER_DIR, "flux-system")]);
    await waitReady(["flux-system"]);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { server, revision, waitReady, stop: () => server.stop() };
}
