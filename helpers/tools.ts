// The few functions that run external tools. Everything else in helpers/ is pure.
import { execa } from "execa";
import { UserError, firstLine } from "./errors.ts";

/**
 * Builds a kustomization the way Flux's kustomize-controller does: no load restrictor
 * (Flux confines reads to the source root instead) and no plugins.
 * Uses a standalone `kustomize` when KUSTOMIZE_BIN names one, else `kubectl kustomize`.
 */
export async function kustomizeBuild(dir: string, label = dir): Promise<string> {
  const bin = process.env.KUSTOMIZE_BIN;
  const [file, args] = bin
    ? [bin, ["build", "--load-restrictor", "LoadRestrictionsNone", dir]]
    : ["kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", dir]];
  const result = await execa(file, args, { reject: false, timeout: 60_000 });
  if (result.failed) {
    const reason = firstLine(result.stderr) || result.shortMessage;
    throw new UserError(`kustomize build of ${label} failed: ${reason}`);
  }
  return result.stdout;
}

/** The git top level holding `dir`, or undefined outside a work tree or without git. */
export async function gitTopLevel(dir: string): Promise<string | undefined> {
  const result = await execa("git", ["rev-parse", "--show-toplevel"], { cwd: dir, reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}
