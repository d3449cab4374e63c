// The summary a run ends with: one line per file, then the counts and the time taken.
import path from "node:path";
import type { PlannedWrite } from "./write-plan.ts";

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
export function formatReport({ plan, obsolete, root, title }: ReportInput, mode: string, millis: number, { quiet = false } = {}): string {
  const rel = (file: string) => path.relative(root, file);
  const labels = mode === "write" ? LABEL : WOULD_LABEL;
  const width = Math.max(...Object.values(labels).map((label) => label.length));
  const lines = plan.filter((write) => !quiet || write.outcome !== "unchanged").map((write) => `${labels[write.outcome]!.padEnd(width)}  ${rel(write.path)}${write.beside ? ` → ${rel(write.beside)}` : ""}`);
  for (const file of obsolete) lines.push(`${"no longer generated".padEnd(width)}  ${rel(file)} (left in place)`);
  const counts = new Map<string, number>();
  for (const write of plan) counts.set(labels[write.outcome]!, (counts.get(labels[write.outcome]!) ?? 0) + 1);
  const summary = [...counts].map(([label, count]) => `${count} ${label}`).join(", ");
  const verb = mode === "write" ? "" : ` (${mode}: nothing written)`;
  return [...lines, `${title}: ${summary} in ${Math.round(millis)} ms${verb}`].join("\n");
}
