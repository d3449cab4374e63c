// What helm needs to render a HelmRelease the way helm-controller does: the chart from the source
// Flux pulls it from, the release name and namespace, and the values in helm's merge order.
// Objects are looked up in the namespace's build first, then anywhere in the repository.
import path from "node:path";
import {
  renderChart,
  type ChartRequest,
  type ChartSource,
  type MissingTool,
  type RenderedChart,
  type UnreachableHosts,
} from "../repository/helm.ts";
import { load } from "js-yaml";
import { specOf, type KubeObject, type UncheckedSpec } from "../repository/manifests.ts";

export interface ReleaseContext {
  /** The namespace's objects as Flux applies them (substituted), and the repository's Flux objects, ConfigMaps, Secrets. */
  objects: KubeObject[];
  repoObjects: KubeObject[];
  repoRoot: string;
  /** `namespace/name` of the GitRepositories that hold this repository (the folder's Kustomizations' sources). */
  ownSources: string[];
  /** The namespace a HelmRelease without metadata.namespace lands in. */
  namespace: string;
}

export type ReleaseChart = { request: ChartRequest; notes: string[] } | { reason: string };

export function releaseChart(release: KubeObject, context: ReleaseContext): ReleaseChart {
  const spec = specOf(release);
  const namespace = release.metadata.namespace ?? context.namespace;
  const find = (kind: string, name: string, ns = namespace) =>
    [...context.objects, ...context.repoObjects].find(
      (o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? ns) === ns,
    );
  const source = chartSource(spec, namespace, find, context);
  if ("reason" in source) return source;
  const notes: string[] = [];
  const values: Record<string, unknown>[] = [];
  for (const ref of (spec.valuesFrom ?? []) as UncheckedSpec[]) {
    const key = String(ref.valuesKey ?? "values.yaml");
    if (ref.kind === "Secret") {
      notes.push(`values from Secret ${ref.name} are not read: Secret values stay out of generated files`);
      continue;
    }
    const data = (find(String(ref.kind), String(ref.name))?.data ?? {}) as Record<string, string>;
    if (data[key] === undefined || ref.targetPath) {
      if (!ref.optional)
        notes.push(
          `values from ${ref.kind} ${ref.name} (${key}) were ${ref.targetPath ? "set at a targetPath, which is not read" : "not found in the repository"}`,
        );
      continue;
    }
    values.push((load(data[key]) ?? {}) as Record<string, unknown>);
  }
  if (spec.values && typeof spec.values === "object") values.push(spec.values);
  const targetNamespace = typeof spec.targetNamespace === "string" ? spec.targetNamespace : undefined;
  // helm-controller's default release name: [targetNamespace-]name.
  const releaseName = String(
    spec.releaseName ?? (targetNamespace ? `${targetNamespace}-${release.metadata.name}` : release.metadata.name),
  );
  return { request: { releaseName, namespace: targetNamespace ?? namespace, source, values }, notes };
}

type Find = (kind: string, name: string, namespace?: string) => KubeObject | undefined;

function chartSource(
  spec: UncheckedSpec,
  namespace: string,
  find: Find,
  context: ReleaseContext,
): ChartSource | { reason: string } {
  if (spec.chartRef) {
    const ref = spec.chartRef as Record<string, string>;
    const object = find(ref.kind!, ref.name!, ref.namespace ?? namespace);
    if (!object) return { reason: `its chartRef ${ref.kind} ${ref.name} is not in the repository` };
    if (ref.kind === "OCIRepository") return ociSource(object);
    if (ref.kind === "HelmChart")
      return chartSource({ chart: { spec: object.spec } }, object.metadata.namespace ?? namespace, find, context);
    return { reason: `chartRef kind ${ref.kind} is not read` };
  }
  const chart = spec.chart?.spec as UncheckedSpec | undefined;
  if (!chart?.chart || !chart.sourceRef) return { reason: "it names no chart" };
  const sourceNamespace = String(chart.sourceRef.namespace ?? namespace);
  const object = find(String(chart.sourceRef.kind), String(chart.sourceRef.name), sourceNamespace);
  if (!object) return { reason: `its source ${chart.sourceRef.kind} ${chart.sourceRef.name} is not in the repository` };
  const sourceSpec = specOf(object);
  const version = typeof chart.version === "string" && chart.version !== "*" ? chart.version : undefined;
  if (object.kind === "HelmRepository") {
    const url = String(sourceSpec.url ?? "");
    if (sourceSpec.type === "oci" || url.startsWith("oci://")) {
      return {
        kind: "oci",
        ref: `${url.replace(/\/+$/, "")}/${chart.chart}`,
        version,
        plainHttp: sourceSpec.insecure === true,
      };
    }
    return { kind: "repository", url, chart: String(chart.chart), version };
  }
  if (object.kind === "GitRepository") {
    const dir = path.posix.normalize(String(chart.chart).replace(/^\.?\//, ""));
    if (dir === ".." || dir.startsWith("../"))
      return { reason: `its chart path ${chart.chart} leaves the Git repository` };
    if (context.ownSources.includes(`${sourceNamespace}/${object.metadata.name}`))
      return { kind: "directory", dir: path.join(context.repoRoot, dir) };
    const ref = (sourceSpec.ref ?? {}) as Record<string, unknown>;
    if (typeof ref.semver === "string")
      return {
        reason: `its GitRepository ${object.metadata.name} follows a semver range of tags, which is not resolved`,
      };
    const pick = (key: string) => (typeof ref[key] === "string" ? { [key]: ref[key] as string } : {});
    return {
      kind: "git",
      url: String(sourceSpec.url ?? ""),
      ref: { ...pick("branch"), ...pick("tag"), ...pick("commit") },
      dir,
    };
  }
  return { reason: `charts from a ${object.kind} are not fetched` };
}

function ociSource(object: KubeObject): ChartSource | { reason: string } {
  const spec = specOf(object);
  const url = String(spec.url ?? "");
  if (!url.startsWith("oci://")) return { reason: `OCIRepository ${object.metadata.name} has no oci:// url` };
  const ref = (spec.ref ?? {}) as Record<string, string>;
  if (ref.digest) return { kind: "oci", ref: `${url}@${ref.digest}`, plainHttp: spec.insecure === true };
  return { kind: "oci", ref: url, version: ref.tag ?? ref.semver, plainHttp: spec.insecure === true };
}

/** A HelmRelease's chart as helm rendered it, or why it was not. */
export interface RenderedRelease {
  releaseName: string;
  /** The namespace helm rendered it into. */
  namespace?: string;
  /** What helm rendered, for a Tiltfile to render it again on a cluster without Flux. */
  request?: ChartRequest;
  manifests?: string;
  /** Why it was not rendered (stable, for generated files), and helm's message. */
  reason?: string;
  detail?: string;
  /** The tool that is not installed here, when that is why it was not rendered. */
  missing?: MissingTool;
  notes: string[];
}

/** Charts rendered in one run, by request: a namespace folder and its app folders share their releases. */
export type RenderCache = Map<string, Promise<RenderedChart>>;

/** Renders every HelmRelease of the objects, side by side (helm runs wait for a free core), by release object name. */
export async function renderReleases(
  context: ReleaseContext,
  env?: NodeJS.ProcessEnv,
  cache: RenderCache = new Map(),
  unreachable: UnreachableHosts = new Map(),
): Promise<Map<string, RenderedRelease>> {
  const releases = context.objects.filter((o) => o.kind === "HelmRelease");
  const rendered = await Promise.all(
    releases.map(async (release): Promise<[string, RenderedRelease]> => {
      const chart = releaseChart(release, context);
      if ("reason" in chart)
        return [release.metadata.name, { releaseName: release.metadata.name, reason: chart.reason, notes: [] }];
      const key = JSON.stringify(chart.request);
      if (!cache.has(key)) cache.set(key, renderChart(chart.request, env, unreachable));
      const result = await cache.get(key)!;
      return [
        release.metadata.name,
        {
          releaseName: chart.request.releaseName,
          namespace: chart.request.namespace,
          request: chart.request,
          ...result,
          notes: chart.notes,
        },
      ];
    }),
  );
  return new Map(rendered);
}
