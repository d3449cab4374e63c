// The kustomization.yaml kustomize-controller generates for a Flux path that has none (fluxcd/pkg
// kustomize, scanManifests): every .yaml/.yml file below the path, and each directory below it
// that has a kustomization file of its own as one resource, not descended into. It reads the
// artifact source-controller made, from which `.sourceignore` patterns (in any directory, for
// what lies below it), the GitRepository's spec.ignore and source-controller's default
// exclusions have removed files already.
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ignore, { type Ignore } from "ignore";
import { loadAll } from "js-yaml";
import { UserError } from "../errors.ts";
import { hasKustomization } from "./files.ts";
import { isKubeObject } from "./manifests.ts";

/** source-controller's default exclusions (sourceignore ExcludeVCS, ExcludeExt, ExcludeCI, ExcludeExtra). */
const VCS_EXCLUSIONS = [".git/", ".gitignore", ".gitmodules", ".gitattributes"];
const DEFAULT_EXCLUSIONS = [
  ...VCS_EXCLUSIONS,
  "*.jpg",
  "*.jpeg",
  "*.gif",
  "*.png",
  "*.wmv",
  "*.flv",
  "*.tar.gz",
  "*.zip",
  ".github/",
  ".circleci/",
  ".travis.yml",
  ".gitlab-ci.yml",
  "appveyor.yml",
  ".drone.yml",
  "cloudbuild.yaml",
  "codeship-services.yml",
  "codeship-steps.yml",
  "**/.goreleaser.yml",
  "**/.sops.yaml",
  "**/.flux.yaml",
];

export const SOURCE_IGNORE = ".sourceignore";

/**
 * Whether source-controller leaves the repository-relative `rel` (a directory when `dir`) out of
 * the artifact; `specIgnore` is the GitRepository's spec.ignore.
 */
export function isSourceIgnored(root: string, rel: string, dir = false, specIgnore?: string): boolean {
  const parts = rel.split("/");
  // go-git's matcher: patterns in order, root's first, deeper .sourceignore files after and
  // spec.ignore last; the last match wins.
  let ignored = false;
  const test = (rules: Ignore, below: string) => {
    const { ignored: yes, unignored: no } = rules.test(below + (dir ? "/" : ""));
    if (yes) ignored = true;
    else if (no) ignored = false;
  };
  for (let depth = 0; depth < parts.length; depth++) {
    const rules =
      depth === 0 ? rootRules(root, specIgnore) : sourceIgnore(path.join(root, parts.slice(0, depth).join("/")));
    if (rules) test(rules, parts.slice(depth).join("/"));
  }
  if (specIgnore !== undefined) test(ignore().add(specIgnore), rel);
  return ignored;
}

/** With spec.ignore, source-controller keeps only the version-control exclusions of its defaults. */
function rootRules(root: string, specIgnore?: string): Ignore {
  return ignore()
    .add(specIgnore === undefined ? DEFAULT_EXCLUSIONS : VCS_EXCLUSIONS)
    .add(sourceIgnore(root) ?? []);
}

function sourceIgnore(dir: string): Ignore | undefined {
  try {
    return ignore().add(readFileSync(path.join(dir, SOURCE_IGNORE), "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The resources of the kustomization Flux generates for the repository-relative `fluxPath`, each
 * repository-relative, in Flux's order (a lexical walk). A file that is not Kubernetes YAML fails
 * Flux's generator, and so the run, in one line.
 */
export function generatedResources(root: string, fluxPath: string, specIgnore?: string): string[] {
  const resources: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const child = rel === "" ? name : `${rel}/${name}`;
      const full = path.join(root, child);
      // Flux's walk does not follow symlinks.
      const isDir = lstatSync(full).isDirectory();
      if (isSourceIgnored(root, child, isDir, specIgnore)) continue;
      if (isDir) {
        if (hasKustomization(full)) resources.push(child);
        else walk(child);
      } else if (/\.ya?ml$/.test(name)) {
        checkKubernetesYaml(full, child, fluxPath);
        resources.push(child);
      }
    }
  };
  walk(fluxPath);
  return resources;
}

/** Every document an object, or empty (`---` twice, comments only). */
function isKubernetesYaml(text: string): boolean {
  try {
    return loadAll(text).every((doc) => doc === null || isKubeObject(doc));
  } catch {
    return false;
  }
}

function checkKubernetesYaml(file: string, rel: string, fluxPath: string): void {
  if (!isKubernetesYaml(readFileSync(file, "utf8"))) {
    throw new UserError(
      `${rel} is not Kubernetes YAML, and Flux takes in every YAML file below ./${fluxPath || "."}, which has no kustomization.yaml: list its manifests in one, or name the file in a ${SOURCE_IGNORE}`,
    );
  }
}
