// Builds kustomizations as they will be once a plan is applied, before anything is written:
// a scratch tree mirrors the repository with symlinks, and only the directories holding
// planned files are real, with those files in them. kustomize follows the links back into the
// repository for everything the plan does not change.
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UserError } from "../errors.ts";
import { keptBuilds, kustomizeBuildMany } from "./tools.ts";
import { buildCacheContext, sha256 } from "./build-cache.ts";
import { toPosix } from "./files.ts";

/** The hashes of the repository's files as the run found them, and where its builds are kept. */
export interface TreeCache {
  hashes: Map<string, string>;
  env?: NodeJS.ProcessEnv;
}

export interface PlannedFile {
  /** Absolute path inside `root`. */
  path: string;
  content: string;
}

/**
 * Builds the targets in one scratch tree, as few kustomize runs as kustomizeBuildMany can make of
 * them (targets of one group, e.g. one namespace's dev builds, never share a run).
 */
export async function buildPlanned(
  root: string,
  files: PlannedFile[],
  targets: { dir: string; label: string; group?: string }[],
  cache?: TreeCache,
): Promise<(string | UserError)[]> {
  // Builds are kept by paths relative to the tree's root: the repository's, with the planned
  // files' hashes, finds what a scratch tree of the same files built before, and needs none.
  const inRoot = cache && buildCacheContext(root, plannedHashes(root, files, cache.hashes), cache.env);
  if (inRoot) {
    const kept = keptBuilds(targets, inRoot);
    if (kept.every((output) => output !== undefined)) return kept as string[];
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), "tilt-scaffold-plan-"));
  try {
    const inScratch = (file: string) => path.join(scratch, path.relative(root, file));
    const realDirs = new Set<string>([root]);
    for (const file of files)
      for (let dir = path.dirname(file.path); dir.startsWith(root) && !realDirs.has(dir); dir = path.dirname(dir))
        realDirs.add(dir);
    const planned = new Set(files.map((f) => f.path));
    // Thousands of small operations for a large repository: one await each cost it 0.5 s.
    for (const dir of [...realDirs].sort()) {
      mkdirSync(inScratch(dir), { recursive: true });
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir)) {
        const real = path.join(dir, entry);
        if (!realDirs.has(real) && !planned.has(real)) symlinkSync(real, inScratch(real));
      }
    }
    for (const file of files) writeFileSync(inScratch(file.path), file.content);
    // The scratch tree is the repository with the plan applied: so are its files' hashes.
    const context = inRoot && { ...inRoot, root: scratch };
    const outputs = await kustomizeBuildMany(
      targets.map((t) => ({ dir: inScratch(t.dir), label: t.label, group: t.group })),
      context,
    );
    // Errors name the repository's paths, not the scratch tree's.
    return outputs.map((output) =>
      output instanceof UserError ? new UserError(output.message.replaceAll(scratch, root)) : output,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The hashes of the repository's files once the plan is applied. */
function plannedHashes(root: string, files: PlannedFile[], hashes: Map<string, string>): Map<string, string> {
  const planned = new Map(hashes);
  for (const file of files) planned.set(toPosix(path.relative(root, file.path)), sha256(file.content));
  return planned;
}
