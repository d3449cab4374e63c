// The few functions that run external tools. Everything else in helpers/ is pure.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
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

/**
 * A unified diff from what is on disk (or nothing) to `content`, for dry runs. The new content
 * goes to a temp file outside the repository; `diff` exits 1 when the files differ.
 */
export async function unifiedDiff(current: string | undefined, content: string, label: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tilt-scaffold-diff-"));
  try {
    const before = path.join(dir, "before");
    const after = path.join(dir, "after");
    await writeFile(before, current ?? "");
    await writeFile(after, content);
    const oldLabel = current === undefined ? "/dev/null" : `a/${label}`;
    const result = await execa("diff", ["-u", "--label", oldLabel, "--label", `b/${label}`, before, after], { reject: false });
    return result.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** YAML files git tracks or would track (ignored ones left out), relative to `top`. */
export async function gitYamlFiles(top: string): Promise<string[]> {
  const { stdout } = await execa("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.yaml", "*.yml"], { cwd: top });
  return [...new Set(stdout.split("\0").filter(Boolean))].sort();
}
