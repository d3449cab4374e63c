// Tool results kept between runs, by content: a kustomize build or a helm render is looked up by a
// key made of the bytes of every file it can read, the tool binary and this generator's version,
// so that a run on an unchanged repository (a commit hook, `--mode check`) starts no tool. The
// entries live in the user's cache folder; deleting it only costs the next run its tools.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { GENERATOR_VERSION } from "../version.ts";
import { parseManifests, type KubeObject } from "./manifests.ts";

/** `$XDG_CACHE_HOME/tilt-flux-scaffold` (~/.cache by default): charts and tool results. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), ".cache"), "tilt-flux-scaffold");
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** One kind of result (builds, renders, parses): an entry holds its whole key, checked on every read. */
export class ResultCache {
  constructor(private readonly dir: string) {}

  get(key: string): string | undefined {
    const output = this.value(key);
    return typeof output === "string" ? output : undefined;
  }

  /** An entry's output as JSON holds it, undefined when there is none for `key`. */
  value(key: string): unknown {
    const file = this.file(key);
    if (!existsSync(file)) return undefined;
    try {
      const entry = JSON.parse(readFileSync(file, "utf8")) as { key?: unknown; output?: unknown };
      return entry.key === key ? entry.output : undefined;
    } catch {
      return undefined;
    }
  }

  /** Whole or not at all: another run may be reading the entry. A cache that cannot be written is no error. */
  put(key: string, output: unknown): void {
    const file = this.file(key);
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(`${file}.${process.pid}`, JSON.stringify({ key, output }));
      renameSync(`${file}.${process.pid}`, file);
    } catch {
      // A read-only or full disk: the run goes on without keeping its results.
    }
  }

  private file(key: string): string {
    const name = sha256(key);
    return path.join(this.dir, name.slice(0, 2), `${name}.json`);
  }
}

export function resultCache(kind: "builds" | "renders" | "parses", env?: NodeJS.ProcessEnv): ResultCache {
  return new ResultCache(path.join(cacheRoot(env), kind));
}

/** What identifies a tool binary found on PATH (or named by path): where it is, its size and time. */
export function toolIdentity(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const dirs = name.includes(path.sep)
    ? [""]
    : (env.PATH ?? process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const file = dir ? path.join(dir, name) : name;
    if (!existsSync(file)) continue;
    const real = realpathSync(file);
    const stat = statSync(real);
    if (stat.isFile()) return `${real}:${stat.size}:${stat.mtimeMs}`;
  }
  return `${name}:not found`;
}

/** Folders no build reads: version control and package managers' trees. */
const UNREAD_DIRS = new Set([".git", "node_modules"]);

/**
 * The hash of every file below `root` (ignored ones too: a generator may read a file git ignores),
 * by root-relative path. Files outside the root are not in it: Flux reads nothing outside its source.
 */
export async function fileHashes(root: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  // A linked folder is read where it points, once: links that loop end there.
  const walked = new Set<string>();
  async function walk(rel: string): Promise<void> {
    const dir = path.join(root, rel);
    const real = realpathSync(dir);
    if (walked.has(real)) return;
    walked.add(real);
    const entries = await readdir(dir, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        const full = path.join(root, child);
        const stat = entry.isSymbolicLink() ? statSync(full, { throwIfNoEntry: false }) : undefined;
        if (entry.isDirectory() || stat?.isDirectory()) {
          if (!UNREAD_DIRS.has(entry.name)) await walk(child);
        } else if (entry.isFile() || stat?.isFile()) hashes.set(child, sha256(await readFile(full)));
      }),
    );
  }
  await walk("");
  return hashes;
}

/** One hash for a whole tree: every path with its content's hash, in order. */
export function treeDigest(hashes: Map<string, string>): string {
  return sha256(
    [...hashes]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([file, hash]) => `${file}\0${hash}`)
      .join("\n"),
  );
}

/** The key of a tool run: the generator, the tool, what it was asked and the files it can read. */
export function resultKey(parts: { tool: string; request: unknown; tree: string }): string {
  return JSON.stringify({ generator: GENERATOR_VERSION, ...parts });
}

/** Where kustomize builds of one tree are kept: the tree's root and digest, and the kustomize that builds. */
export interface BuildCacheContext {
  results: ResultCache;
  root: string;
  tree: string;
  tool: string;
}

/** The cache of builds of the tree at `root` whose files hash to `hashes`. */
export function buildCacheContext(
  root: string,
  hashes: Map<string, string>,
  env?: NodeJS.ProcessEnv,
): BuildCacheContext {
  return {
    results: resultCache("builds", env),
    root,
    tree: treeDigest(hashes),
    tool: toolIdentity(process.env.KUSTOMIZE_BIN || "kubectl"),
  };
}

/**
 * parseManifests of a build, kept by the build's text: a warm run reads its large builds back
 * as JSON, several times faster than js-yaml parses them. Only objects of JSON's own types are
 * kept (js-yaml makes a Date of a timestamp, which JSON would make a string), so that an entry
 * reads back as what the text parses to.
 */
export function parseKept(text: string, source: string, env?: NodeJS.ProcessEnv): KubeObject[] {
  // A small build parses faster than its entry is written and read back.
  if (text.length < KEPT_PARSE_MIN_LENGTH) return parseManifests(text, source);
  const results = resultCache("parses", env);
  const key = resultKey({ tool: "js-yaml", request: "parseManifests", tree: sha256(text) });
  const kept = results.value(key);
  if (Array.isArray(kept)) return kept as KubeObject[];
  const objects = parseManifests(text, source);
  if (objects.every(isJsonValue)) results.put(key, objects);
  return objects;
}

const KEPT_PARSE_MIN_LENGTH = 4096;

function isJsonValue(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return (prototype === Object.prototype || prototype === null) && Object.values(value).every(isJsonValue);
}
