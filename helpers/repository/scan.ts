// The GitOps repository around a namespace folder, scanned once per run.
import { existsSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.ts";
import {
  findFluxKustomizations,
  findGitRepositories,
  readingThisRepository,
  type FluxGitRepository,
  type FluxKustomization,
} from "./flux.ts";
import {
  hasKustomization,
  isInsideFolder,
  isWithin,
  listYamlFiles,
  readRepoObjects,
  toPosix,
  type RepoObject,
} from "./files.ts";
import { gitRemoteUrls, gitTopLevel, gitYamlFiles } from "./tools.ts";
import { findApplications, type ArgoApplication } from "./argocd.ts";
import { asAppliedByParents } from "./applied-kustomizations.ts";

export interface Repository {
  root: string;
  kustomizations: FluxKustomization[];
  gitRepositories: FluxGitRepository[];
  /** Argo CD Applications that deploy a path of this repository (paths root-relative). */
  applications: ArgoApplication[];
  /** Flux objects, ConfigMaps and Secrets: what substituteFrom and the matching need. */
  objects: RepoObject[];
  /** Namespace folders: Flux paths' namespace folders and every folder with base/kustomization.yaml. */
  namespaceFolders: string[];
  /** Every YAML file of the repository, root-relative (git's view when in git). */
  yamlFiles: string[];
}

const SCAN_NEEDLES = ["fluxcd.io", "argoproj.io", "kind: ConfigMap", "kind: Secret"];

function goesUp(answer: string): boolean {
  return answer.split(/[\\/]/).includes("..");
}

/**
 * `../production` from `apps/staging`: a folder named with `..` is relative to where you are and
 * must stay in the git work tree you are in. (Outside git, where the repository ends is only
 * known from the folder itself, which the scan of it then decides.)
 */
export async function checkStaysInside(answer: string, cwd: string): Promise<void> {
  const top = goesUp(answer) ? await gitTopLevel(cwd) : undefined;
  const folder = path.resolve(cwd, answer);
  if (top && !isInsideFolder(folder, realpathSync(top)))
    throw new UserError(`folder ${answer} is ${folder}, outside the repository ${top}: name a folder inside it`);
}

/** Checks the folder the user named and returns its real path. */
export function checkFolder(answer: string, cwd: string): string {
  const folder = path.resolve(cwd, answer);
  if (!existsSync(folder)) throw new UserError(`folder ${folder} does not exist`);
  if (!statSync(folder).isDirectory()) throw new UserError(`${folder} is not a directory`);
  const real = realpathSync(folder);
  if (!isInsideFolder(real, realpathSync(path.dirname(folder)))) {
    throw new UserError(`${answer} is a symlink to ${real}, outside the repository: name the folder itself`);
  }
  return real;
}

/**
 * The repository root is where Flux Kustomization paths resolve: for each Kustomization file,
 * the nearest ancestor (up to the git top level) under which its spec.path exists. The folder's
 * root is the deepest such root holding it, else the one root below it; else the git top level.
 * Without git the search stops at `topWithoutGit`: by default the folder's grandparent
 * (namespaces sit at `<group>/<ns>`).
 */
export async function scanRepository(
  folder: string,
  topWithoutGit = path.dirname(path.dirname(folder)),
): Promise<Repository> {
  const gitTop = await gitTopLevel(folder);
  const top = gitTop ?? topWithoutGit;
  if (path.dirname(top) === top)
    throw new UserError(`${folder} is not in a git repository, nor below a folder of Flux manifests`);
  // In git, what git ignores (build output, vendored trees) is no part of the repository.
  const files = gitTop
    ? (await gitYamlFiles(gitTop)).filter((f) => existsSync(path.join(gitTop, f)))
    : await listYamlFiles(top);
  const objects = await readRepoObjects(top, files, SCAN_NEEDLES);
  const roots = new Set<string>();
  for (const k of readingThisRepository(findFluxKustomizations(objects), findGitRepositories(objects))) {
    for (let dir = path.dirname(path.join(top, k.file)); isInsideFolder(dir, top); dir = path.dirname(dir)) {
      if (k.path !== "" && existsSync(path.join(dir, k.path))) {
        roots.add(dir);
        break;
      }
      if (dir === top) break;
    }
  }
  const holding = [...roots].filter((r) => isInsideFolder(folder, r)).sort((a, b) => b.length - a.length);
  const below = [...roots].filter((r) => isInsideFolder(r, folder));
  const root = holding[0] ?? (below.length === 1 ? below[0]! : top);
  const prefix = toPosix(path.relative(top, root));
  const rebase = (file: string) => (prefix === "" ? file : file.slice(prefix.length + 1));
  const written = objects
    .filter((o) => prefix === "" || o.file.startsWith(`${prefix}/`))
    .map((o) => ({ ...o, file: rebase(o.file) }));
  const inRoot = await asAppliedByParents(root, written);
  const gitRepositories = findGitRepositories(inRoot);
  const kustomizations = readingThisRepository(findFluxKustomizations(inRoot), gitRepositories);
  const rootFiles = files.filter((f) => prefix === "" || f.startsWith(`${prefix}/`)).map(rebase);
  // An Application's source path is relative to the git repository, wherever Flux's root is.
  const applications = findApplications(objects, gitTop ? await gitRemoteUrls(gitTop) : [])
    .filter((a) => prefix === "" || isWithin(a.path, prefix))
    .map((a) => ({ ...a, file: rebase(a.file), path: prefix === "" ? a.path : a.path.slice(prefix.length + 1) }));
  return {
    root,
    kustomizations,
    gitRepositories,
    applications,
    objects: inRoot,
    namespaceFolders: [
      ...new Set([...namespaceFolders(root, rootFiles, kustomizations), ...applicationFolders(applications)]),
    ].sort(),
    yamlFiles: rootFiles,
  };
}

/** The folder an Application deploys: `x` for a source path `x/base` or `x/overlays/<name>`, else the path. */
export function applicationFolder(sourcePath: string): string {
  return /^(.+)\/(base|overlays\/[^/]+)$/.exec(sourcePath)?.[1] ?? sourcePath;
}

function applicationFolders(applications: ArgoApplication[]): string[] {
  return applications.filter((a) => a.path !== "").map((a) => applicationFolder(a.path));
}

/**
 * The folders a user scaffolds: `x` for `x/base/kustomization.yaml` or a Flux path `x/base` or
 * `x/overlays/prod`; for any other Flux path (with a kustomization.yaml, or one Flux generates
 * that holds no other Kustomization's path), the path itself, or the folder holding it when it is
 * itself a Kustomization's whole build (`<app>/app` stands for `<app>`, whose ks.yaml applies it);
 * and the folder holding such app folders (`kubernetes/apps/<ns>`), which runs them all.
 */
function namespaceFolders(root: string, files: string[], kustomizations: FluxKustomization[]): string[] {
  const folders = new Set<string>();
  for (const file of files) {
    const match = /^(.+)\/base\/kustomization\.ya?ml$/.exec(file);
    if (match) folders.add(match[1]!);
  }
  const fluxPaths = new Set(kustomizations.map((k) => k.path));
  for (const k of kustomizations) {
    if (!k.path) continue;
    // A path holding other Kustomizations' paths runs theirs, when they share a namespace (a Tiltfile has one).
    const children = kustomizations.filter((other) => other.path !== k.path && isWithin(other.path, k.path));
    if (children.length > 0) {
      if (new Set(children.map((c) => c.targetNamespace)).size === 1) folders.add(k.path);
      continue;
    }
    const overlay = /^(.+)\/(base|overlays\/[^/]+)$/.exec(k.path);
    const parent = path.posix.dirname(k.path);
    // An app folder holds the Kustomization that applies the path below it.
    const appFolder = parent !== "." && !fluxPaths.has(parent) && isWithin(k.file, parent) ? parent : undefined;
    const folder = overlay?.[1] ?? appFolder ?? k.path;
    // A folder that defines Kustomizations of paths outside it is a cluster's entry point, not a namespace.
    const entryPoint = kustomizations.some((other) => isWithin(other.file, folder) && !isWithin(other.path, folder));
    if (entryPoint) continue;
    folders.add(folder);
    if (folder === k.path) for (const app of appFolders(k.path, files, kustomizations)) folders.add(app);
    const namespace = path.posix.dirname(folder);
    if (appFolder && namespace !== "." && hasKustomization(path.join(root, namespace)) && !fluxPaths.has(namespace))
      folders.add(namespace);
  }
  return [...folders].filter((f) => !f.includes("/overlays/")).sort();
}

/**
 * The app folders of a Flux path: each folder right below it with a kustomization.yaml of its
 * own, which neither defines nor is the path of a Kustomization (kube-prometheus-stack in
 * monitoring/controllers).
 */
function appFolders(fluxPath: string, files: string[], kustomizations: FluxKustomization[]): string[] {
  const prefix = fluxPath === "" ? "" : `${fluxPath}/`;
  return files
    .filter((f) => f.startsWith(prefix) && /^[^/]+\/kustomization\.ya?ml$/.test(f.slice(prefix.length)))
    .map((f) => path.posix.dirname(f))
    .filter((app) => !kustomizations.some((k) => isWithin(k.file, app) || isWithin(k.path, app)));
}
