// A folder that is itself a Flux path without kustomization.yaml: Flux takes in every YAML file
// below it, the tool's own too (its answers file, the local-path Component), and fails on the
// answers file, which is no Kubernetes object. A .sourceignore there leaves them out of the
// artifact Flux builds from, as source-controller and `flux build` honour it.
import path from "node:path";
import { UserError } from "../errors.ts";
import { SOURCE_IGNORE, isSourceIgnored } from "../repository/flux-generator.ts";
import { readFileSync } from "node:fs";

export const SOURCE_IGNORE_HEADER =
  "# Written by tilt-flux-scaffold: Flux applies this folder without a kustomization.yaml, and must not take in the tool's own files.";

/**
 * The patterns the folder's .sourceignore needs, or undefined when Flux's generated kustomization
 * does not cover the folder. A .sourceignore of the user's must already leave them out.
 */
export function sourceIgnorePatterns(
  root: string,
  folderInRepo: string,
  ownFiles: { rel: string; dir: boolean }[],
): string[] {
  const patterns = ownFiles.map(({ rel, dir }) => `/${rel}${dir ? "/" : ""}`);
  const file = path.join(root, folderInRepo, SOURCE_IGNORE);
  let existing: string | undefined;
  try {
    existing = readFileSync(file, "utf8");
  } catch {
    return patterns;
  }
  if (existing.startsWith(SOURCE_IGNORE_HEADER)) return patterns;
  const missing = ownFiles.filter(({ rel, dir }) => !isSourceIgnored(root, path.posix.join(folderInRepo, rel), dir));
  if (missing.length > 0) {
    const names = missing.map(({ rel, dir }) => `/${rel}${dir ? "/" : ""}`).join(" and ");
    throw new UserError(
      `${folderInRepo}/${SOURCE_IGNORE} must name ${names}: Flux applies ${folderInRepo} without a kustomization.yaml and would take in the tool's own files`,
    );
  }
  return [];
}
