// Where `plop tilt-lib` writes: a folder inside a repository (GitOps or plain), which may not exist yet.
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.ts";
import { isInsideFolder, toPosix } from "../repository/files.ts";
import { checkFolder, checkStaysInside, scanRepository, type Repository } from "../repository/scan.ts";
import { gitOriginUrl, gitTopLevel } from "../repository/tools.ts";
import { kustomizationsSweeping } from "../repository/flux.ts";

export const DEFAULT_PACKAGE_DIR = "tilt-lib";

export interface PackageTarget {
  /** Absolute, symlinks resolved. */
  dir: string;
  repo: Repository;
  /** The folder inside the repository, `/`-separated. */
  dirInRepo: string;
  /** The git remote `origin`, the repository URL when no Flux GitRepository names one. */
  originUrl?: string;
}

function nearestExisting(dir: string): string {
  let existing = dir;
  while (!existsSync(existing)) existing = path.dirname(existing);
  return existing;
}

/**
 * Resolves the answer against `cwd` and finds the repository around it with scanRepository, as
 * the namespace generator does: a GitOps repository, or a plain one that only ArgoCD syncs (the
 * platform's own). The folder must lie strictly inside it, and not below a Flux path that Flux
 * applies whole.
 */
export async function resolvePackageTarget(answer: string, cwd: string): Promise<PackageTarget> {
  await checkStaysInside(answer, cwd);
  const wanted = path.resolve(cwd, answer);
  const existing = nearestExisting(wanted);
  // checkFolder: a directory, symlinks resolved (a link leaving the repository is caught below).
  const dir = path.join(checkFolder(existing, cwd), path.relative(existing, wanted));

  let repo: Repository;
  const inGit = (await gitTopLevel(existing)) !== undefined;
  if (inGit) {
    repo = await scanRepository(existing);
  } else {
    // Without git, the search stops at the package's parent: it sits at <root>/<dir>, one level
    // above a namespace folder. Never the filesystem root (e.g. for `/tmp`): that is the whole disk.
    const parent = nearestExisting(path.dirname(wanted));
    if (path.dirname(parent) === parent)
      throw new UserError(
        `${wanted} has no repository folder around it: name a folder inside one, e.g. ${DEFAULT_PACKAGE_DIR}`,
      );
    repo = await scanRepository(existing, parent);
  }
  const root = realpathSync(repo.root);
  if (dir === root)
    throw new UserError(`${dir} is the repository root: name a folder inside it, e.g. ${DEFAULT_PACKAGE_DIR}`);
  if (!isInsideFolder(dir, root))
    throw new UserError(
      `${dir} is outside the repository ${repo.root}: name a folder inside it, e.g. ${DEFAULT_PACKAGE_DIR}`,
    );
  const dirInRepo = toPosix(path.relative(root, dir));

  // Flux builds a path without kustomization.yaml from everything below it: it would apply the
  // package too, and fight ArgoCD over the ConfigMaps.
  const [sweeping] = kustomizationsSweeping(repo.root, dirInRepo, repo.kustomizations);
  if (sweeping) {
    throw new UserError(
      `${dirInRepo} is inside ./${sweeping.path}, which the Flux Kustomization ${sweeping.namespace}/${sweeping.name} applies whole (it has no kustomization.yaml): put the package elsewhere`,
    );
  }
  const originUrl = inGit ? await gitOriginUrl(existing) : undefined;
  return { dir, repo, dirInRepo, ...(originUrl && { originUrl }) };
}
