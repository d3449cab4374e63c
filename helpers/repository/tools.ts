// The few functions that run external tools (git, kustomize, diff). Everything else is pure.
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { load } from "js-yaml";
import type { FluxImage, FluxPatch } from "./flux.ts";
import { objectKey, parseManifests } from "./manifests.ts";
import { UserError, firstLine } from "../errors.ts";
import { inToolSlot } from "./tool-slots.ts";
import { resultKey, type BuildCacheContext } from "./build-cache.ts";
import { toPosix } from "./files.ts";

/**
 * Builds a kustomization the way Flux's kustomize-controller does: no load restrictor
 * (Flux confines reads to the source root instead) and no plugins.
 * Uses a standalone `kustomize` when KUSTOMIZE_BIN names one, else `kubectl kustomize`.
 */
export async function kustomizeBuild(dir: string, label = dir): Promise<string> {
  const bin = process.env.KUSTOMIZE_BIN;
  const [file, args] = bin
    ? [bin, ["build", "--load-restrictor", "LoadRestrictionsNone", dir]]
    : ["kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", dir]];
  const result = await inToolSlot(() => execa(file, args, { reject: false, timeout: 60_000 }));
  if (result.failed)
    throw new UserError(`kustomize build of ${label} failed: ${kustomizeReason(result.stderr) || result.shortMessage}`);
  return result.stdout;
}

const BOUNDARY = "tilt-scaffold-boundary-";

/**
 * Builds many kustomizations with one kustomize run: a throw-away kustomization lists them in
 * order, with a marker ConfigMap before each, and keeps that order (`sortOptions: fifo`), so
 * the output splits back at the markers. One process instead of hundreds is what makes a large
 * repository fast. When the combined build fails (a broken folder, two folders with the same
 * object), each is built on its own so that every error belongs to its folder.
 */
/** A directory to build, and the Flux-level Components (`spec.components`, absolute) and patches Flux adds to it. */
export interface BuildTarget {
  dir: string;
  /** For a Flux path without kustomization.yaml: the absolute resources of the one Flux generates for `dir`. */
  resources?: string[];
  label: string;
  components?: string[];
  patches?: FluxPatch[];
  images?: FluxImage[];
  /** `spec.targetNamespace`, which Flux sets as the kustomization's namespace. */
  namespace?: string;
  /**
   * Targets of one group may hold the same objects before Flux substitutes them (the apps of one
   * namespace folder all name a HelmRelease `${APP}`), which fails a combined build: no chunk
   * holds two targets of one group.
   */
  group?: string;
}

/**
 * Builds the targets, with a cache of the tree they are in: a target found there is not built, a
 * target built is kept (a failure never is: its message is the build's of this run).
 */
export async function kustomizeBuildMany(
  targets: BuildTarget[],
  cache?: BuildCacheContext,
): Promise<(string | UserError)[]> {
  if (!cache) return buildTargets(targets);
  const keys = targets.map((target) => buildKey(target, cache));
  const results: (string | UserError | undefined)[] = keptBuilds(targets, cache, keys);
  const missing = [...results.keys()].filter((index) => results[index] === undefined);
  const built = await buildTargets(missing.map((index) => targets[index]!));
  missing.forEach((index, k) => {
    const output = built[k]!;
    results[index] = output;
    if (typeof output === "string" && keys[index] !== undefined) cache.results.put(keys[index], output);
  });
  return results as (string | UserError)[];
}

/** The builds the cache holds for the targets, undefined where it holds none: nothing is built. */
export function keptBuilds(
  targets: BuildTarget[],
  cache: BuildCacheContext,
  keys = targets.map((target) => buildKey(target, cache)),
): (string | undefined)[] {
  return keys.map((key) => (key === undefined ? undefined : cache.results.get(key)));
}

/** A target's key: what it builds, relative to the cached tree; none for one that reads outside it. */
function buildKey(target: BuildTarget, cache: BuildCacheContext): string | undefined {
  const rel = (file: string) => toPosix(path.relative(cache.root, file));
  const paths = [target.dir, ...(target.resources ?? []), ...(target.components ?? [])].map(rel);
  if (paths.some((p) => p === ".." || p.startsWith("../") || path.isAbsolute(p))) return undefined;
  const { patches, images, namespace } = target;
  return resultKey({
    tool: cache.tool,
    tree: cache.tree,
    request: {
      dir: rel(target.dir),
      resources: target.resources?.map(rel),
      components: target.components?.map(rel),
      patches,
      images,
      namespace,
    },
  });
}

async function buildTargets(targets: BuildTarget[]): Promise<(string | UserError)[]> {
  // kustomize's cost grows faster than its input (every object is checked against all the
  // others), so large repositories are built in chunks, side by side (one per core at a time).
  const chunks: { targets: BuildTarget[]; indexes: number[]; groups: Set<string> }[] = [];
  for (const [index, target] of targets.entries()) {
    let chunk = chunks.find(
      (c) => c.targets.length < BUILD_CHUNK && (target.group === undefined || !c.groups.has(target.group)),
    );
    if (!chunk) chunks.push((chunk = { targets: [], indexes: [], groups: new Set() }));
    chunk.targets.push(target);
    chunk.indexes.push(index);
    if (target.group !== undefined) chunk.groups.add(target.group);
  }
  const results: (string | UserError)[] = new Array(targets.length);
  const outputs = await Promise.all(chunks.map((c) => buildChunk(c.targets)));
  chunks.forEach((c, n) => c.indexes.forEach((index, k) => (results[index] = outputs[n]![k]!)));
  return results;
}

const BUILD_CHUNK = 64;

async function buildChunk(targets: BuildTarget[]): Promise<(string | UserError)[]> {
  const one = (dir: string, label: string) => kustomizeBuild(dir, label).catch((error: unknown) => toUserError(error));
  const wrapped = (target: BuildTarget) =>
    Boolean(
      target.resources ||
      target.components?.length ||
      target.patches?.length ||
      target.images?.length ||
      target.namespace,
    );
  const simple = targets.length === 1 && !wrapped(targets[0]!);
  if (simple) return [await one(targets[0]!.dir, targets[0]!.label)];
  const work = await mkdtemp(path.join(os.tmpdir(), "tilt-scaffold-build-"));
  try {
    // Flux adds spec.components, spec.patches, spec.images and spec.targetNamespace to spec.path's build (or
    // to the kustomization it generates for a path without one): a wrapper kustomization does the same.
    const dirs: string[] = [];
    for (const [index, target] of targets.entries()) {
      if (!wrapped(target)) {
        dirs.push(target.dir);
        continue;
      }
      dirs.push(writeFluxWrapper(path.join(work, `flux-${index}`), target));
    }
    if (targets.length === 1) return [await one(dirs[0]!, targets[0]!.label)];
    const resources: string[] = [];
    // Sync: a chunk's many small files, one await each, kept a large repository's cores idle.
    for (const [index, dir] of dirs.entries()) {
      writeFileSync(
        path.join(work, `${BOUNDARY}${index}.yaml`),
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${BOUNDARY}${index}\n`,
      );
      resources.push(`${BOUNDARY}${index}.yaml`, path.relative(work, dir));
    }
    const kustomization = { sortOptions: { order: "fifo" }, resources };
    writeFileSync(path.join(work, "kustomization.yaml"), JSON.stringify(kustomization));
    const built = await kustomizeBuild(work, "").catch(() => undefined);
    // Builds that clash when combined (the same raw name in two of them) are built one by one.
    if (built === undefined) return await Promise.all(dirs.map((dir, index) => one(dir, targets[index]!.label)));
    const parts: string[][] = dirs.map(() => []);
    let current = -1;
    for (const doc of built.split(/^---\n/m)) {
      const marker = new RegExp(`^  name: ${BOUNDARY}(\\d+)$`, "m").exec(doc);
      if (marker && doc.includes("kind: ConfigMap")) current = Number(marker[1]);
      else if (current >= 0) parts[current]!.push(doc);
    }
    return parts.map((docs) => docs.join("---\n"));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A kustomization in `wrapper` that builds the target as Flux does; extra fields (buildMetadata) go in too. */
function writeFluxWrapper(wrapper: string, target: BuildTarget, extra: Record<string, unknown> = {}): string {
  mkdirSync(wrapper);
  const rel = (p: string) => path.relative(wrapper, p);
  const kustomization = {
    resources: (target.resources ?? [target.dir]).map(rel),
    components: (target.components ?? []).map(rel),
    patches: (target.patches ?? []).map(({ patch, target }) => ({ patch, target })),
    images: target.images ?? [],
    ...(target.namespace && { namespace: target.namespace }),
    ...extra,
  };
  writeFileSync(path.join(wrapper, "kustomization.yaml"), JSON.stringify(kustomization));
  return wrapper;
}

/** Where an object of a build comes from: an absolute file, none for a remote resource. */
export interface Origin {
  file?: string;
  /** Made by a generator (configMapGenerator, …) that `file` configures. */
  generated: boolean;
}

/**
 * Where each object of a target's build comes from, as kustomize's originAnnotations say: the
 * file it was read from, or for a generated object the kustomization configuring it. Keyed by
 * objectKey, before Flux substitutes anything.
 */
export async function kustomizeOrigins(target: BuildTarget): Promise<Map<string, Origin>> {
  const work = await mkdtemp(path.join(os.tmpdir(), "tilt-scaffold-origins-"));
  try {
    const wrapper = writeFluxWrapper(path.join(work, "flux"), target, { buildMetadata: ["originAnnotations"] });
    const origins = new Map<string, Origin>();
    for (const object of parseManifests(await kustomizeBuild(wrapper, target.label), target.label)) {
      const origin = (load(object.metadata.annotations?.[ORIGIN_ANNOTATION] ?? "") ?? {}) as {
        path?: string;
        configuredIn?: string;
        repo?: string;
      };
      const file = origin.repo === undefined ? (origin.path ?? origin.configuredIn) : undefined;
      origins.set(objectKey(object), {
        ...(file !== undefined && { file: path.resolve(wrapper, file) }),
        generated: origin.configuredIn !== undefined,
      });
    }
    return origins;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const ORIGIN_ANNOTATION = "config.kubernetes.io/origin";

function toUserError(error: unknown): UserError {
  if (error instanceof UserError) return error;
  throw error;
}

/** kustomize's own message, without the log prefix kubectl wraps it in (`E1130 … "command failed" err="…"`). */
export function kustomizeReason(stderr: string): string {
  // kubectl's klog wraps a multi-line error as `"command failed" err=<` … ` >`, one line as `err="…"`.
  const block = /"command failed" err=<\n([\s\S]*?)\n\s*>/.exec(stderr);
  const line = block
    ? block[1]!
        .split("\n")
        .map((l) => l.trim())
        .join(" ")
    : firstLine(stderr);
  const wrapped = /"command failed" err="(.*)"$/.exec(line);
  const reason = (wrapped ? wrapped[1]!.replace(/\\"/g, '"') : line).replace(/^Error: /, "");
  const remote = /accumulating resources from '((?:https?|git|ssh):\/\/[^']+|[\w.-]+\.[a-z]{2,}\/[^']+)'/.exec(
    reason,
  )?.[1];
  return remote && isNetworkFailure(reason)
    ? `it fetches ${remote} and needs the network, which did not answer (${OFFLINE_HINT})`
    : reason;
}

/** A message that says the network did not answer, whatever was asked of it. */
export function isNetworkFailure(message: string): boolean {
  return /no such host|Could not resolve host|network is unreachable|i\/o timeout|connection refused|TLS handshake timeout/.test(
    message,
  );
}

/** What to do about a remote resource while offline. */
const OFFLINE_HINT = "run it online, or vendor the file into the repository";

/** The git top level holding `dir`, or undefined outside a work tree or without git. */
export async function gitTopLevel(dir: string): Promise<string | undefined> {
  const result = await execa("git", ["rev-parse", "--show-toplevel"], { cwd: dir, reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/** The URL of the `origin` remote of the work tree holding `dir`, if it has one. */
export async function gitOriginUrl(dir: string): Promise<string | undefined> {
  const result = await execa("git", ["remote", "get-url", "origin"], { cwd: dir, reject: false });
  return result.exitCode === 0 && result.stdout.trim() !== "" ? result.stdout.trim() : undefined;
}

/** The fetch URLs of every remote of the work tree at `top`: an Argo CD Application naming one deploys from it. */
export async function gitRemoteUrls(top: string): Promise<string[]> {
  const result = await execa("git", ["remote", "-v"], { cwd: top, reject: false });
  if (result.exitCode !== 0) return [];
  return [
    ...new Set(
      result.stdout
        .split("\n")
        .filter((line) => line.endsWith("(fetch)"))
        .map((line) => line.split(/\s+/)[1]!),
    ),
  ];
}

/**
 * A unified diff from what is on disk (or nothing) to `content`, for dry runs. The new content
 * goes to a temp file outside the repository; `diff` exits 1 when the files differ.
 */
export async function unifiedDiff(current: string | undefined, content: string, label: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tilt-scaffold-diff-"));
  try {
    const before = path.join(dir, "before");
    const after = path.join(dir, "after");
    await writeFile(before, current ?? "");
    await writeFile(after, content);
    const oldLabel = current === undefined ? "/dev/null" : `a/${label}`;
    const result = await execa("diff", ["-u", "--label", oldLabel, "--label", `b/${label}`, before, after], {
      reject: false,
    });
    return result.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** YAML files git tracks or would track (ignored ones left out), relative to `top`. */
export async function gitYamlFiles(top: string): Promise<string[]> {
  const { stdout } = await execa(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.yaml", "*.yml"],
    { cwd: top },
  );
  return [...new Set(stdout.split("\0").filter(Boolean))].sort();
}
