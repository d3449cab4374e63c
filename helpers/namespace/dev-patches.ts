// What the dev overlay changes: one replica, resource limits and requests capped for a dev cluster.
import { quantityToScalar } from "@kubernetes/client-node/dist/util.js";
import { exactTarget, type KubeObject } from "../repository/manifests.ts";
import type { Workload } from "./workloads.ts";

/** Caps for dev. A value above its cap is lowered to it; absent values stay absent. */
export const DEV_LIMITS = { cpu: "1", memory: "1Gi" } as const;
export const DEV_REQUESTS = { cpu: "100m", memory: "256Mi" } as const;

export interface PatchOp {
  op: "replace";
  path: string;
  value: string | number;
}

export interface WorkloadPatch {
  kind: string;
  name: string;
  /** kustomize's target for it: the name before Flux substitution, as an exact match. */
  target: string;
  ops: PatchOp[];
}

const SCALABLE = new Set(["Deployment", "StatefulSet", "ReplicaSet"]);

function containersPath(kind: string): string {
  if (kind === "Pod") return "/spec/containers";
  if (kind === "CronJob") return "/spec/jobTemplate/spec/template/spec/containers";
  return "/spec/template/spec/containers";
}

function exceeds(value: string | number, cap: string): boolean {
  return magnitude(String(value)) > magnitude(cap);
}

/**
 * A quantity's size as a number. client-node's quantityToScalar knows the suffixes but turns the
 * number into a BigInt, which a decimal (`cpu: 1.5`, `1.5Gi`) is not: the number is read here
 * and multiplied by what client-node says one of the suffix is.
 */
function magnitude(quantity: string): number {
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(quantity);
  if (!match) return Number(quantityToScalar(quantity));
  return Number(match[1]) * (match[2] ? Number(quantityToScalar(`1${match[2]}`)) : 1);
}

/** JSON 6902 patches that turn a production workload into a dev one; workloads already small get none. */
export function devPatches(
  workloads: Workload[],
  rawName: (object: KubeObject) => string = (o) => o.metadata.name,
): WorkloadPatch[] {
  const patches: WorkloadPatch[] = [];
  for (const workload of workloads) {
    const ops: PatchOp[] = [];
    if (SCALABLE.has(workload.kind) && workload.replicas !== undefined && workload.replicas > 1) {
      ops.push({ op: "replace", path: "/spec/replicas", value: 1 });
    }
    workload.containers.forEach((container, index) => {
      for (const [field, caps] of [
        ["limits", DEV_LIMITS],
        ["requests", DEV_REQUESTS],
      ] as const) {
        const values = container.resources?.[field] ?? {};
        for (const resource of ["cpu", "memory"] as const) {
          const value = values[resource];
          if (value !== undefined && exceeds(value, caps[resource])) {
            ops.push({
              op: "replace",
              path: `${containersPath(workload.kind)}/${index}/resources/${field}/${resource}`,
              value: caps[resource],
            });
          }
        }
      }
    });
    if (ops.length > 0)
      patches.push({ kind: workload.kind, name: workload.name, target: exactTarget(rawName(workload.object)), ops });
  }
  return patches;
}
