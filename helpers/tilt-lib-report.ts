// The summary a `plop tilt-lib` run ends with, in the same words as the namespace generator's.
import path from "node:path";
import type { TiltLibResult } from "./tilt-lib-package.ts";

const LABEL: Record<string, string> = {
  create: "written (new)",
  update: "written",
  unchanged: "unchanged",
  "kept-edited": "kept (edited by hand), new version beside",
  "kept-foreign": "kept (not written by this tool), new version beside",
  forced: "overwritten (--force)",
};

export function formatTiltLibReport(result: TiltLibResult, mode: string, millis: number): string {
  const rel = (file: string) => path.relative(result.repoRoot, file);
  const width = Math.max(...Object.values(LABEL).map((label) => label.length));
  const lines = result.plan.map((write) => `${LABEL[write.outcome]!.padEnd(width)}  ${rel(write.path)}${write.beside ? ` → ${rel(write.beside)}` : ""}`);
  for (const file of result.obsolete) lines.push(`${"no longer generated".padEnd(width)}  ${rel(file)} (left in place)`);
  const counts = new Map<string, number>();
  for (const write of result.plan) counts.set(LABEL[write.outcome]!, (counts.get(LABEL[write.outcome]!) ?? 0) + 1);
  const summary = [...counts].map(([label, count]) => `${count} ${label}`).join(", ");
  const verb = mode === "write" ? "" : ` (${mode}: nothing written)`;
  return [...lines, `tilt-lib ${result.model.version} in ${result.model.dirInRepo}: ${summary} in ${Math.round(millis)} ms${verb}`].join("\n");
}
