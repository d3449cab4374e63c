// Renders a HelmRelease's chart with the real helm, from the source Flux pulls it from. Pulled
// charts are kept in the user's cache folder; every failure (no helm, no network) is a reason,
// never an error: the tooling is written anyway.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { firstLine } from "../errors.ts";
import { inToolSlot } from "./tool-slots.ts";
import { isNetworkFailure } from "./tools.ts";
import { cacheRoot, fileHashes, resultCache, resultKey, sha256, toolIdentity, treeDigest } from "./build-cache.ts";

export type ChartSource =
  /** An https Helm repository (HelmRepository). */
  | { kind: "repository"; url: string; chart: string; version?: string }
  /** An OCI artifact (OCIRepository, or a HelmRepository of type oci): `oci://host/path/chart`. */
  | { kind: "oci"; ref: string; version?: string; plainHttp: boolean }
  /** A chart folder of this repository (a GitRepository chart Flux pulls from it). */
  | { kind: "directory"; dir: string }
  /** A chart folder of another Git repository (its GitRepository's url and ref), cloned as Flux does. */
  | { kind: "git"; url: string; ref: { branch?: string; tag?: string; commit?: string }; dir: string };

export interface ChartRequest {
  releaseName: string;
  namespace: string;
  source: ChartSource;
  /** Values files in the order helm merges them: valuesFrom first, inline values last. */
  values: Record<string, unknown>[];
}

/**
 * `reason` is stable (it goes into generated files): the same without helm as offline, so the
 * files do not depend on the machine; `detail` is helm's own message, for the run's report.
 */
export type RenderedChart = { manifests: string } | NotRendered;

/** `missing`: the tool that is not installed here, when that is why (the run says so in one line). */
type NotRendered = { reason: string; detail?: string; missing?: MissingTool };
export type MissingTool = "helm" | "git";

const UNREACHABLE = "helm could not get the chart here";

/** Where pulled charts are kept: `$XDG_CACHE_HOME/tilt-flux-scaffold/charts` (~/.cache by default). */
export function chartCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), "charts");
}

/**
 * The chart hosts one run found unreachable (no such host, connection refused, …), with the
 * failure: its other charts there are not pulled again. Offline, a 96-folder check started helm
 * for 39 charts on 8 hosts, then for 8.
 */
export type UnreachableHosts = Map<string, NotRendered>;

export async function renderChart(
  request: ChartRequest,
  env: NodeJS.ProcessEnv = process.env,
  unreachable: UnreachableHosts = new Map(),
): Promise<RenderedChart> {
  const work = await mkdtemp(path.join(os.tmpdir(), "tilt-scaffold-helm-"));
  try {
    const { source } = request;
    const chart =
      source.kind === "directory"
        ? source.dir
        : source.kind === "git"
          ? await clonedChart(source, env)
          : await pulledChart(source, work, env, unreachable);
    if (typeof chart !== "string") return chart;
    // A render is kept by the chart's bytes, the values, the release and the helm binary.
    const cache = resultCache("renders", env);
    const bytes =
      source.kind === "directory" || source.kind === "git"
        ? treeDigest(await fileHashes(chart))
        : sha256(await readFile(chart));
    const key = resultKey({
      tool: toolIdentity("helm", env),
      tree: bytes,
      request: { releaseName: request.releaseName, namespace: request.namespace, values: request.values },
    });
    const kept = cache.get(key);
    if (kept !== undefined) return { manifests: kept };
    const files: string[] = [];
    for (const [index, values] of request.values.entries()) {
      const file = path.join(work, `values-${index}.json`);
      await writeFile(file, JSON.stringify(values));
      files.push("--values", file);
    }
    // Flux validates values against the chart's schema; offline, a schema that points at URLs cannot load.
    const args = [
      "template",
      request.releaseName,
      chart,
      "--namespace",
      request.namespace,
      "--skip-schema-validation",
      ...files,
    ];
    const result = await helm(args, env);
    if ("reason" in result) return result;
    cache.put(key, result.stdout);
    return { manifests: result.stdout };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * `helm template` arguments (values aside) that render a chart the way helm-controller installs
 * it, for a Tiltfile on a cluster without Flux: its CRDs too, no test hooks. A chart folder is
 * relative to `cwd`, where Tilt runs helm. A chart of another Git repository is not fetched there:
 * that is the reason returned instead.
 */
export function templateArgs(request: ChartRequest, cwd: string): string[] | string {
  const { source } = request;
  const version = (v?: string) => (v ? ["--version", v] : []);
  const chart =
    source.kind === "repository"
      ? [source.chart, "--repo", source.url, ...version(source.version)]
      : source.kind === "oci"
        ? [source.ref, ...version(source.version), ...(source.plainHttp ? ["--plain-http"] : [])]
        : source.kind === "directory"
          ? [path.relative(cwd, source.dir) || "."]
          : undefined;
  if (!chart) return "its chart is in another Git repository, which helm does not fetch";
  return [
    "template",
    request.releaseName,
    ...chart,
    "--namespace",
    request.namespace,
    "--include-crds",
    "--skip-tests",
    "--skip-schema-validation",
  ];
}

/** One chart version (`4.1.1`, `v1.2.3-rc.1`), not a range (`>=1.0.0`, `4.x`): what it pulls never changes. */
const EXACT_VERSION = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

type PulledSource = Extract<ChartSource, { kind: "repository" | "oci" }>;

function pinned(source: PulledSource): boolean {
  return (
    (source.kind === "oci" && source.ref.includes("@")) ||
    (source.version !== undefined && EXACT_VERSION.test(source.version))
  );
}

/**
 * The chart archive, kept in the cache: a pinned version is pulled once; a range, or no version
 * (the latest), is pulled each run as Flux would, the cached one standing in when the pull fails.
 */
async function pulledChart(
  source: PulledSource,
  work: string,
  env: NodeJS.ProcessEnv,
  unreachable: UnreachableHosts,
): Promise<string | NotRendered> {
  const key = createHash("sha256").update(JSON.stringify(source)).digest("hex").slice(0, 16);
  const cached = path.join(chartCacheDir(env), `${key}.tgz`);
  if (existsSync(cached) && pinned(source)) return cached;
  const host = hostOf(source.kind === "repository" ? source.url : source.ref);
  // Releases of one chart render side by side: they share one pull.
  if (!pulling.has(cached))
    pulling.set(
      cached,
      pullChart(source, cached, work, env, host, unreachable).finally(() => pulling.delete(cached)),
    );
  return pulling.get(cached)!;
}

const pulling = new Map<string, Promise<string | NotRendered>>();

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

async function pullChart(
  source: PulledSource,
  cached: string,
  work: string,
  env: NodeJS.ProcessEnv,
  host: string,
  unreachable: UnreachableHosts,
): Promise<string | NotRendered> {
  const args =
    source.kind === "repository"
      ? ["pull", source.chart, "--repo", source.url, ...(source.version ? ["--version", source.version] : [])]
      : [
          "pull",
          source.ref,
          ...(source.version ? ["--version", source.version] : []),
          ...(source.plainHttp ? ["--plain-http"] : []),
        ];
  // Pulls wait for a slot: by then an earlier one may have found the host unreachable, which it
  // records before it frees its slot.
  const pulled = await inToolSlot(async () => {
    const known = unreachable.get(host);
    if (known) return known;
    const result = await runHelm([...args, "--destination", work], env);
    if ("reason" in result && isNetworkFailure(result.detail ?? ""))
      unreachable.set(host, {
        reason: UNREACHABLE,
        detail: `${host} did not answer another pull of this run: ${result.detail}`,
      });
    return result;
  });
  if ("reason" in pulled) return existsSync(cached) ? cached : { ...pulled, reason: UNREACHABLE };
  const archive = (await readdir(work)).find((f) => f.endsWith(".tgz"));
  if (!archive) return { reason: "helm pull wrote no chart archive" };
  await mkdir(path.dirname(cached), { recursive: true });
  // Whole or not at all: another run may be reading the cached archive.
  await copyFile(path.join(work, archive), `${cached}.${process.pid}`);
  await rename(`${cached}.${process.pid}`, cached);
  return cached;
}

/**
 * The chart folder in a clone of its Git repository, kept in the cache, one folder per commit
 * (never replaced while helm may read it): a commit or a tag is fetched once; a branch each run,
 * as Flux follows it, the last commit fetched standing in when git cannot reach it.
 */
async function clonedChart(
  source: Extract<ChartSource, { kind: "git" }>,
  env: NodeJS.ProcessEnv,
): Promise<string | NotRendered> {
  const key = createHash("sha256")
    .update(JSON.stringify([source.url, source.ref]))
    .digest("hex")
    .slice(0, 16);
  const base = path.join(chartCacheDir(env), `git-${key}`);
  const checkout = (commit: string) => path.join(`${base}-${commit}`, source.dir);
  const last = existsSync(`${base}.commit`) ? (await readFile(`${base}.commit`, "utf8")).trim() : undefined;
  const lastCheckout = last !== undefined && existsSync(`${base}-${last}`) ? checkout(last) : undefined;
  if (lastCheckout && (source.ref.commit || source.ref.tag)) return lastCheckout;
  // Charts of one repository render side by side: they share one fetch.
  if (!fetching.has(base))
    fetching.set(
      base,
      fetchCommit(source, base, env).finally(() => fetching.delete(base)),
    );
  const fetched = await fetching.get(base)!;
  if (typeof fetched === "string") return checkout(fetched);
  return lastCheckout ?? fetched;
}

const fetching = new Map<string, Promise<string | NotRendered>>();

/** Fetches the ref into `<base>-<commit>` and records the commit in `<base>.commit`; returns the commit. */
async function fetchCommit(
  source: Extract<ChartSource, { kind: "git" }>,
  base: string,
  env: NodeJS.ProcessEnv,
): Promise<string | NotRendered> {
  await mkdir(path.dirname(base), { recursive: true });
  const fresh = await mkdtemp(`${base}.new-`);
  const git = (args: string[]) =>
    execa("git", args, { cwd: fresh, env: { ...env, GIT_TERMINAL_PROMPT: "0" }, reject: false, timeout: 60_000 });
  const ref =
    source.ref.commit ??
    (source.ref.tag ? `refs/tags/${source.ref.tag}` : source.ref.branch ? `refs/heads/${source.ref.branch}` : "HEAD");
  await git(["init", "-q"]);
  const fetch = await git(["fetch", "-q", "--depth", "1", source.url, ref]);
  const done = fetch.exitCode === 0 ? await git(["checkout", "-q", "FETCH_HEAD"]) : fetch;
  const commit = done.exitCode === 0 ? (await git(["rev-parse", "HEAD"])).stdout.trim() : "";
  if (commit === "") {
    await rm(fresh, { recursive: true, force: true });
    const missing = (done as { code?: string }).code === "ENOENT";
    return missing
      ? { reason: UNREACHABLE, detail: "git is not installed", missing: "git" }
      : { reason: UNREACHABLE, detail: firstLine(done.stderr) || (done.timedOut ? "timed out" : "") };
  }
  if (existsSync(`${base}-${commit}`)) await rm(fresh, { recursive: true, force: true });
  else await rename(fresh, `${base}-${commit}`);
  await writeFile(`${base}.commit`, `${commit}\n`);
  return commit;
}

async function helm(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string } | NotRendered> {
  return inToolSlot(() => runHelm(args, env));
}

/** helm, once a slot is free: the caller holds it. */
async function runHelm(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string } | NotRendered> {
  // A registry that never answers must not hold the run: helm pull gets 60 s.
  const result = await execa("helm", args, { env, reject: false, timeout: 60_000 });
  if ((result as { code?: string }).code === "ENOENT")
    return { reason: UNREACHABLE, detail: "helm is not installed", missing: "helm" };
  if (result.exitCode !== 0)
    return {
      reason: `helm ${args[0]} failed`,
      detail: firstLine(result.stderr).replace(/^Error: /, "") || (result.timedOut ? "timed out" : ""),
    };
  return { stdout: result.stdout };
}
