// Where `plop tilt-lib` writes: a folder inside a GitOps repository, which may not exist yet.
import { existsSync } from "node:fs";
import path from "node:path";
import { UserError } from "./errors.ts";
import { checkFolder, scanRepository, type Repository } from "./repository.ts";
import { gitTopLevel } from "./tools.ts";

export const DEFAULT_PACKAGE_DIR = "tilt-lib";

export interface PackageTarget {
  /** Absolute, symlinks resolved in the part that exists. */
  dir: string;
  repo: Repository;
  /** The folder inside the repository, `/`-separated. */
  dirInRepo: string;
}

/**
 * Resolves the answer against `cwd` and finds the repository around it the way the namespace
 * generator does (scanRepository). The folder must lie strictly inside a repository with at
 * least one Flux Kustomization whose path exists.
 */
export async function resolvePackageTarget(answer: string, cwd: string): Promise<PackageTarget> {
  if (answer.split(/[\\/]/).includes("..")) throw new UserError(`folder ${answer} contains "..": name it directly`);
  const wanted = path.resolve(cwd, answer);
  const missing: string[] = [];
  let existing = wanted;
  for (; !existsSync(existing); existing = path.dirname(existing)) missing.unshift(path.basename(existing));
  // checkFolder: a directory, symlinks resolved (a link leaving the repository is caught below).
  const real = checkFolder(existing, cwd);
  const dir = path.join(real, ...missing);

  // Without git, scanRepository looks two levels up from the folder; never let that be the
  // filesystem root (e.g. `/tmp/x`), which would scan the whole disk.
  const inGit = (await gitTopLevel(real)) !== undefined;
  if (!inGit && path.dirname(path.dirname(dir)) === path.parse(dir).root) {
    throw new UserError(`${dir} is outside any GitOps repository: name a folder inside the repository, e.g. ${DEFAULT_PACKAGE_DIR}`);
  }
  const repo = await scanRepository(inGit ? real : dir);
  const isGitOps = repo.kustomizations.some((k) => k.path !== "" && existsSync(path.join(repo.root, k.path)));
  const rel = path.relative(repo.root, dir);
  if (!isGitOps || rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) {
    const where = isGitOps ? `the repository ${repo.root}` : "any GitOps repository (no Flux Kustomization found around it)";
    throw new UserError(`${dir} is outside ${where}: name a folder inside it, e.g. ${DEFAULT_PACKAGE_DIR}`);
  }
  return { dir, repo, dirInRepo: rel.split(path.sep).join("/") };
}
