// The summary a run ends with: one line per file, then the counts and the time taken.
import path from "node:path";
import type { Mode, Outcome, PlannedWrite } from "./write-plan.ts";

const LABEL: Record<string, string> = {
  create: "written (new)",
  update: "written",
  unchanged: "unchanged",
  "kept-edited": "kept (edited by hand), new version beside",
  "kept-foreign": "kept (not written by this tool), new version beside",
  forced: "overwritten (--force)",
};

// dry-run and check write nothing: each state says what a write run would do.
const WOULD_LABEL: Record<string, string> = {
  create: "would be written (new)",
  update: "would be written",
  unchanged: "unchanged",
  "kept-edited": "kept (edited by hand), new version would go beside",
  "kept-foreign": "kept (not written by this tool), new version would go beside",
  forced: "would be overwritten (--force)",
};

export interface ReportInput {
  plan: PlannedWrite[];
  /** Files the last run generated that this one no longer does. */
  obsolete: string[];
  /** Paths are shown relative to this folder. */
  root: string;
  /** What the run was about, e.g. `media, monitoring`. */
  title: string;
}

/** `quiet`: unchanged files are counted, not listed. */
export function formatReport(
  { plan, obsolete, root, title }: ReportInput,
  mode: string,
  millis: number,
  { quiet = false } = {},
): string {
  const rel = (file: string) => path.relative(root, file);
  const labels = mode === "write" ? LABEL : WOULD_LABEL;
  const width = Math.max(...Object.values(labels).map((label) => label.length));
  const lines = plan
    .filter((write) => !quiet || write.outcome !== "unchanged")
    .map(
      (write) =>
        `${labels[write.outcome]!.padEnd(width)}  ${rel(write.path)}${write.beside ? ` → ${rel(write.beside)}` : ""}`,
    );
  for (const file of obsolete) lines.push(`${"no longer generated".padEnd(width)}  ${rel(file)} (left in place)`);
  const counts = new Map<string, number>();
  for (const write of plan) counts.set(labels[write.outcome]!, (counts.get(labels[write.outcome]!) ?? 0) + 1);
  const summary = [...counts].map(([label, count]) => `${count} ${label}`).join(", ");
  const verb = mode === "write" ? "" : ` (${mode}: nothing written)`;
  return [...lines, `${title}: ${summary} in ${Math.round(millis)} ms${verb}`].join("\n");
}

/** One file of a run, as `--json` gives it. */
export interface FileState {
  /** Relative to the report's root, `/`-separated. */
  path: string;
  /** What the plan does with it; `obsolete`: the last run generated it, this one does not (left in place). */
  state: Outcome | "obsolete";
  /** Where the new version goes when the file is kept: `<file>.new`. */
  beside?: string;
  /** Applying the plan changes the file, or its `.new`. */
  changes: boolean;
  /** This run changed it on disk: only ever in write mode. */
  written: boolean;
}

export interface JsonReport {
  mode: Mode;
  /** Some file changes (check mode fails on it). */
  changed: boolean;
  /** Absolute folder the paths are relative to: the repository root. */
  root: string;
  title: string;
  files: FileState[];
  /** Files per state. */
  counts: Partial<Record<FileState["state"], number>>;
  millis: number;
}

/** `--json`: every file of the run and its state, for a machine to read. `changes`: as planned, before the writes. */
export function jsonReport(
  { plan, obsolete, root, title, changes }: ReportInput & { changes: PlannedWrite[] },
  mode: Mode,
  millis: number,
): JsonReport {
  const rel = (file: string) => path.relative(root, file).split(path.sep).join("/");
  const changing = new Set(changes);
  const files: FileState[] = plan.map((write) => ({
    path: rel(write.path),
    state: write.outcome,
    ...(write.beside && { beside: rel(write.beside) }),
    changes: changing.has(write),
    written: mode === "write" && changing.has(write),
  }));
  for (const file of obsolete) files.push({ path: rel(file), state: "obsolete", changes: false, written: false });
  const counts: JsonReport["counts"] = {};
  for (const file of files) counts[file.state] = (counts[file.state] ?? 0) + 1;
  return { mode, changed: changing.size > 0, root, title, files, counts, millis: Math.round(millis) };
}
