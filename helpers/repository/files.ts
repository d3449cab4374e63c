// Finding the GitOps repository and the YAML files in it.
import { readdir, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { loadAll } from "js-yaml";
import { isKubeObject, type KubeObject } from "./manifests.ts";

/** A Kubernetes object found in the repository, with the file it came from. */
export interface RepoObject {
  object: KubeObject;
  /** Repository-relative path, `/`-separated. */
  file: string;
}

const SKIPPED_DIRS = new Set([".git", "node_modules", ".tools", ".terraform"]);
export const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

export function hasKustomization(dir: string): boolean {
  return KUSTOMIZATION_FILES.some((name) => existsSync(path.join(dir, name)));
}

/** Every `.yaml`/`.yml` file below `root`, repository-relative, sorted. Skips .git, node_modules, … */
export async function listYamlFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) await walk(child);
        else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) files.push(child);
      }),
    );
  }
  await walk("");
  return files.sort();
}

/**
 * Reads the objects of the repository's YAML files whose text mentions one of `needles`.
 * The text filter keeps a scan of a large repository cheap; js-yaml is used because this
 * is a read-only bulk parse. Files that are not valid YAML (Helm templates, …) are skipped:
 * kustomize reports the ones that matter when it builds them.
 */
export async function readRepoObjects(root: string, files: string[], needles: string[]): Promise<RepoObject[]> {
  const found: RepoObject[] = [];
  await Promise.all(
    files.map(async (file) => {
      const text = await readFile(path.join(root, file), "utf8");
      if (!needles.some((needle) => text.includes(needle))) return;
      let docs: unknown[];
      try {
        docs = loadAll(text);
      } catch {
        return;
      }
      for (const doc of docs) if (isKubeObject(doc)) found.push({ object: doc, file });
    }),
  );
  return found.sort(
    (a, b) => a.file.localeCompare(b.file) || a.object.metadata.name.localeCompare(b.object.metadata.name),
  );
}

export function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** `./apps/media/` → `apps/media`; `./` → ``. */
export function normaliseRepoPath(p: string): string {
  const normalised = path.posix.normalize(p.replace(/^\/+/, "")).replace(/\/+$/, "");
  return normalised === "." ? "" : normalised;
}

/** True when the absolute path `child` is `parent` or lies below it. */
export function isInsideFolder(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** True when `child` is `parent` or lies below it (both repository-relative). */
export function isWithin(child: string, parent: string): boolean {
  return parent === "" || child === parent || child.startsWith(`${parent}/`);
}
