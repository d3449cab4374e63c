// Stands in for Flux's source- and kustomize-controller on the test API server, which runs no
// controllers: when deploy.sh (through `flux reconcile`) asks for a reconciliation, it reads the
// remote's tip, applies that revision's build as kustomize-controller would, plays the workload
// controllers by writing rolled-out status, and reports the Kustomization's status.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import type { TestCluster } from "../support/cluster.ts";
import { TOOLS_BIN } from "./support.ts";

/** ready: apply and roll out; failed: report Ready=False; stuck: apply, never roll out. */
export type Outcome = "ready" | "failed" | "stuck";

export interface StandInOptions {
  cluster: TestCluster;
  /** The bare remote Flux's GitRepository points at, and its branch. */
  remote: string;
  branch: string;
  kustomization: { name: string; namespace: string; path: string };
  /** postBuild variables, as the cluster's substituteFrom ConfigMap holds them. */
  variables: Record<string, string>;
  /** The namespace whose workloads it rolls out. */
  namespace: string;
}

const REQUESTED = "reconcile.fluxcd.io/requestedAt";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FluxStandIn {
  outcome: (sha: string) => Outcome = () => "ready";
  /** Revisions it reconciled, with what it did. */
  readonly log: { sha: string; outcome: Outcome }[] = [];
  /** What went wrong in the loop: a test asserts it stays empty. */
  readonly errors: string[] = [];
  private running = false;
  private loop?: Promise<void>;

  constructor(private readonly options: StandInOptions) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.tick().catch((error: Error) => this.errors.push(error.message));
        await sleep(200);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Applies the remote's tip and rolls it out, as a first sync before a test. */
  async sync(): Promise<string> {
    const sha = await this.tip();
    await this.apply(sha);
    await this.rollOut();
    const { name, namespace } = this.options.kustomization;
    const { stdout } = await this.options.cluster.kubectl(["get", "kustomizations.kustomize.toolkit.fluxcd.io", name, "-n", namespace, "-o", "jsonpath={.metadata.generation}"]);
    await this.patchStatus("kustomizations.kustomize.toolkit.fluxcd.io", this.options.kustomization, this.readyStatus(sha, { requested: "", generation: Number(stdout) }));
    return sha;
  }

  private async tick(): Promise<void> {
    const { kustomization } = this.options;
    const source = { name: "flux-system", namespace: kustomization.namespace };
    const sourceRequest = await this.pendingRequest("gitrepositories.source.toolkit.fluxcd.io", source);
    if (sourceRequest !== undefined) {
      const sha = await this.tip();
      await this.patchStatus("gitrepositories.source.toolkit.fluxcd.io", source, {
        ...this.ready("Succeeded", `stored artifact for revision '${this.revision(sha)}'`, sourceRequest.generation),
        lastHandledReconcileAt: sourceRequest.requested,
        artifact: {
          path: "gitrepository/flux-system/flux-system/artifact.tar.gz",
          url: "http://source-controller.invalid/artifact.tar.gz",
          revision: this.revision(sha),
          digest: `sha256:${"0".repeat(64)}`,
          lastUpdateTime: new Date().toISOString(),
        },
      });
    }
    const request = await this.pendingRequest("kustomizations.kustomize.toolkit.fluxcd.io", kustomization);
    if (request === undefined) return;
    const sha = await this.tip();
    const outcome = this.outcome(sha);
    this.log.push({ sha, outcome });
    if (outcome === "failed") {
      await this.patchStatus("kustomizations.kustomize.toolkit.fluxcd.io", kustomization, {
        observedGeneration: request.generation,
        lastHandledReconcileAt: request.requested,
        lastAttemptedRevision: this.revision(sha),
        conditions: [this.condition("False", "HealthCheckFailed", "health check failed after 30s: timeout waiting for: [Deployment/app status: 'InProgress']")],
      });
      return;
    }
    await this.apply(sha);
    if (outcome === "ready") await this.rollOut();
    await this.patchStatus("kustomizations.kustomize.toolkit.fluxcd.io", kustomization, this.readyStatus(sha, request));
  }

  /** The reconcile request a controller has not handled yet, if any. */
  private async pendingRequest(resource: string, ref: { name: string; namespace: string }) {
    const { stdout } = await this.options.cluster.kubectl(["get", resource, ref.name, "-n", ref.namespace, "-o", "json", "--ignore-not-found"]);
    if (!stdout) return undefined;
    const object = JSON.parse(stdout);
    const requested: string | undefined = object.metadata.annotations?.[REQUESTED];
    if (requested === undefined || requested === object.status?.lastHandledReconcileAt) return undefined;
    return { requested, generation: object.metadata.generation as number };
  }

  private async tip(): Promise<string> {
    const { stdout } = await execa("git", ["--git-dir", this.options.remote, "rev-parse", `refs/heads/${this.options.branch}`]);
    return stdout.trim();
  }

  private revision(sha: string): string {
    return `${this.options.branch}@sha1:${sha}`;
  }

  /** kustomize build of the revision, postBuild substitution, server-side apply: kustomize-controller's steps. */
  private async apply(sha: string): Promise<void> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "standin-"));
    try {
      await execa("bash", ["-c", `git --git-dir "$0" archive "$1" | tar -x -C "$2"`, this.options.remote, sha, dir]);
      const built = await execa("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", path.join(dir, this.options.kustomization.path)]);
      const substituted = await execa(path.join(TOOLS_BIN, "flux"), ["envsubst"], { input: built.stdout, env: this.options.variables, extendEnv: false });
      await this.options.cluster.kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=kustomize-controller", "-f", "-"], { input: substituted.stdout });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Writes the status the Deployment and StatefulSet controllers write once every replica is updated and ready. */
  private async rollOut(): Promise<void> {
    const { cluster, namespace } = this.options;
    const { stdout } = await cluster.kubectl(["get", "deployments.apps,statefulsets.apps", "-n", namespace, "-o", "json"]);
    for (const workload of JSON.parse(stdout).items) {
      const replicas = workload.spec.replicas ?? 1;
      const common = { observedGeneration: workload.metadata.generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas };
      const now = new Date().toISOString();
      const status =
        workload.kind === "Deployment"
          ? { ...common, conditions: [{ type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: "rolled out", lastUpdateTime: now, lastTransitionTime: now }] }
          : { ...common, currentReplicas: replicas, currentRevision: `r${workload.metadata.generation}`, updateRevision: `r${workload.metadata.generation}` };
      const resource = workload.kind === "Deployment" ? "deployments.apps" : "statefulsets.apps";
      await cluster.kubectl(["patch", resource, workload.metadata.name, "-n", namespace, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
    }
  }

  private condition(status: string, reason: string, message: string) {
    return { type: "Ready", status, reason, message, lastTransitionTime: new Date().toISOString() };
  }

  private ready(reason: string, message: string, generation: number) {
    return { observedGeneration: generation, conditions: [this.condition("True", reason, message)] };
  }

  private readyStatus(sha: string, request: { requested: string; generation: number }) {
    return {
      ...this.ready("ReconciliationSucceeded", `Applied revision: ${this.revision(sha)}`, request.generation),
      ...(request.requested ? { lastHandledReconcileAt: request.requested } : {}),
      lastAppliedRevision: this.revision(sha),
      lastAttemptedRevision: this.revision(sha),
    };
  }

  private async patchStatus(resource: string, ref: { name: string; namespace: string }, status: Record<string, unknown>): Promise<void> {
    await this.options.cluster.kubectl(["patch", resource, ref.name, "-n", ref.namespace, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
  }
}
