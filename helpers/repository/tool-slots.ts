// Independent tool runs (kustomize builds, helm renders) go side by side, as many at once as the
// machine has cores: callers start them all, and each run waits here for a free slot.
import os from "node:os";

const SLOTS = Math.max(2, os.availableParallelism());
let running = 0;
const waiting: (() => void)[] = [];

/** Runs `task` once fewer than one run per core is in progress. Never nest: `task` starts one process. */
export async function inToolSlot<T>(task: () => Promise<T>): Promise<T> {
  if (running >= SLOTS) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}
