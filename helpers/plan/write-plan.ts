// The only module that writes files. A run renders everything first, plans each write against
// what is on disk and what was generated last time, and applies the plan all at once.
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.ts";
import { unifiedDiff } from "../repository/tools.ts";
import type { RenderedFile } from "../templates.ts";

export type Mode = "write" | "dry-run" | "check";

export type Outcome =
  | "create" // not on disk yet
  | "update" // on disk as we generated it last time: replaced
  | "unchanged" // already what we would write: not touched
  | "kept-edited" // edited by hand since generated: kept, new version written beside it
  | "kept-foreign" // there before this tool ever wrote it: kept, new version beside it
  | "forced"; // edited or foreign, overwritten because of --force

export interface PlannedWrite extends RenderedFile {
  outcome: Outcome;
  /** Where the new version goes when the file itself is kept: `<file>.new`. */
  beside?: string;
  /** What is on disk now, if anything. */
  current?: string;
}

export function sha256(content: string): string {
  return createHash("sha256").update(content).digest("hex");
}

/**
 * Decides each write. `generated` maps absolute paths to the hash of the content this tool
 * wrote there last time (from the answers files).
 */
export function planWrites(files: RenderedFile[], generated: Map<string, string>, force = false): PlannedWrite[] {
  return files.map((file) => {
    const current = existsSync(file.path) ? readFileSync(file.path, "utf8") : undefined;
    if (current === undefined) return { ...file, outcome: "create" };
    if (current === file.content) return { ...file, current, outcome: "unchanged" };
    const last = generated.get(file.path);
    if (last !== undefined && sha256(current) === last) return { ...file, current, outcome: "update" };
    if (force) return { ...file, current, outcome: "forced" };
    return {
      ...file,
      current,
      outcome: last === undefined ? "kept-foreign" : "kept-edited",
      beside: `${file.path}.new`,
    };
  });
}

/** Whether applying the plan would change anything on disk. */
export function planChanges(plan: PlannedWrite[]): PlannedWrite[] {
  return plan.filter(
    (write) => write.outcome !== "unchanged" && !(write.beside && readIfExists(write.beside) === write.content),
  );
}

function readIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/**
 * Applies every write or none: all new contents go to temp files beside their targets first
 * (a permission problem or a full disk shows up here, with nothing changed), then each temp
 * file is renamed over its target. A rename that still fails puts the earlier targets back.
 */
export function applyPlan(plan: PlannedWrite[]): void {
  const writes = planChanges(plan).map((write) => ({ target: write.beside ?? write.path, write }));
  const createdDirs: string[] = [];
  const temps: { temp: string; target: string; previous?: string }[] = [];
  try {
    for (const { target, write } of writes) {
      createdDirs.push(...makeDirs(path.dirname(target)));
      const temp = `${target}.tmp-${process.pid}`;
      writeFileSync(temp, write.content);
      if (write.executable) chmodSync(temp, 0o755);
      temps.push({ temp, target, previous: readIfExists(target) });
    }
  } catch (error) {
    for (const { temp } of temps) rmSync(temp, { force: true });
    for (const dir of createdDirs.reverse()) rmdirSync(dir);
    throw new UserError(
      `cannot write ${(error as NodeJS.ErrnoException).path ?? "files"}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; nothing was changed`,
    );
  }
  const renamed: typeof temps = [];
  try {
    for (const entry of temps) {
      renameSync(entry.temp, entry.target);
      renamed.push(entry);
    }
  } catch (error) {
    for (const entry of renamed) {
      if (entry.previous === undefined) rmSync(entry.target, { force: true });
      else writeFileSync(entry.target, entry.previous);
    }
    for (const { temp } of temps) rmSync(temp, { force: true });
    throw new UserError(`cannot write files: ${(error as Error).message}; earlier writes were undone`);
  }
}

/** mkdir -p that returns the directories it created, outermost first. */
function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = path.dirname(d)) missing.unshift(d);
  if (missing.length > 0) mkdirSync(dir, { recursive: true });
  return missing;
}

/** Unified diffs of every write a plan would make, for `--mode dry-run`. */
export async function diffPlan(plan: PlannedWrite[]): Promise<string[]> {
  return Promise.all(
    planChanges(plan).map((write) => {
      const target = write.beside ?? write.path;
      const current = write.beside ? undefined : write.current;
      return unifiedDiff(current, write.content, path.relative(process.cwd(), target));
    }),
  );
}

export function assertMode(mode: string): Mode {
  if (mode === "write" || mode === "dry-run" || mode === "check") return mode;
  throw new UserError(`unknown mode "${mode}": use write, dry-run or check`);
}
