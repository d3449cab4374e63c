// The model's `scripts`: what dashboard.sh and deploy.sh carry, derived from the rest of it (pure, unit-tested).
// Everything here is already safe to print into bash: DNS-1123 names, repository paths,
// identifiers, numbers, or a value quoted by shellQuote.
import path from "node:path";
import type { FluxKustomization } from "../repository/flux.ts";
import type { NamespaceModel } from "./model.ts";
import { UserError } from "../errors.ts";
import { SCRIPT_FACTS_VERSION } from "../version.ts";

/** What the facts are derived from: the rest of the model. */
export type ModelWithoutScripts = Omit<NamespaceModel, "scripts">;

/** Flux rejects a postBuild variable whose name does not match this (kustomize-controller's varsubRegex). */
export const FLUX_VARIABLE_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
/** Repository paths and names printed into the scripts unquoted by the template must match this. */
const SHELL_SAFE_PATH = /^[A-Za-z0-9._/-]*$/;

export interface ScriptKustomization {
  name: string;
  namespace: string;
  /** Repository-relative file that defines it, and its spec.path (repository-relative). */
  file: string;
  path: string;
  /** `spec.suspend: true` in git: Flux does not apply it, so deploy.sh does not wait for it. */
  suspendedInGit: boolean;
  /** The source `flux reconcile --with-source` reconciles first, as `resource/name` for kubectl. */
  sourceResource: string;
  sourceNamespace: string;
}

export interface ScriptBuild {
  /** Namespace-relative directory Flux builds (`.` for the folder itself). */
  dir: string;
  /** Flux-level spec.components, namespace-relative. */
  components: string[];
  /** Flux Kustomization(s) building it, `namespace/name`; empty when none does. */
  kustomizations: string[];
  /** Whether Flux runs postBuild substitution on it. */
  substitutes: boolean;
  /** `INDEX NAME=VALUE`, shell-quoted: values from `substitute` and ConfigMaps (INDEX: this build's). */
  assignments: string[];
  /** `INDEX NAME` of names whose values come from Secrets: read from the environment at deploy time. */
  secrets: string[];
  /** `INDEX NAME` of names used but defined nowhere: Flux substitutes them as empty, so deploy.sh does too. */
  empty: string[];
}

export interface ScriptForward {
  service: string;
  localPort: number;
  containerPort: number;
}

export interface ScriptFacts {
  /** The folder inside the repository, e.g. `applications/media`. */
  folder: string;
  /** The kube context, shell-quoted, or `''` for the current one. */
  context: string;
  /** From the namespace folder up to the repository root, e.g. `../..`. */
  repoRootFromFolder: string;
  kustomizations: ScriptKustomization[];
  /** The ones deploy.sh reconciles and waits for: all but those suspended in git. */
  reconciled: ScriptKustomization[];
  /** Kustomizations whose path is an ancestor of the folder, `namespace/name`: applied through them. */
  ancestors: string[];
  builds: ScriptBuild[];
  /** Every build's assignments, secrets and undefined names, for deploy_lib.sh's arrays. */
  variables: string[];
  secrets: string[];
  undefinedVariables: string[];
  /** The oldest tilt-lib/*_lib.sh that reads these facts: the scripts ask for it. */
  libraryVersion: string;
  /** Variable names Flux would reject, with their source: deploy.sh fails validation on them. */
  invalidVariables: string[];
  /** The branch the Flux source tracks, quoted for bash; `''` when the model does not know it. */
  branch: string;
  /** The Flux source that tracks it, `namespace/name`. */
  source?: string;
  forwards: ScriptForward[];
  /** CRD-backed kinds dashboard.sh's second kubectl call lists, comma-separated (see dashboardKinds). */
  dashboardKinds: string;
  /** What dashboard.sh's jq program knows from git, as JSON that fits in single quotes. */
  dashboardJson: string;
}

/** Single-quotes a string for bash: literal except for `'`, which becomes `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function assertShellSafe(value: string, what: string): string {
  if (!SHELL_SAFE_PATH.test(value)) throw new UserError(`${what} "${value}" has characters the generated scripts cannot carry unquoted`);
  return value;
}

const SOURCE_RESOURCES: Record<string, string> = {
  GitRepository: "gitrepositories.source.toolkit.fluxcd.io",
  OCIRepository: "ocirepositories.source.toolkit.fluxcd.io",
  Bucket: "buckets.source.toolkit.fluxcd.io",
};

function scriptKustomization(k: FluxKustomization): ScriptKustomization {
  const resource = SOURCE_RESOURCES[k.sourceRef.kind] ?? SOURCE_RESOURCES.GitRepository!;
  return {
    name: assertShellSafe(k.name, "Kustomization name"),
    namespace: assertShellSafe(k.namespace, "Kustomization namespace"),
    file: assertShellSafe(k.file, "file"),
    path: assertShellSafe(k.path, "path"),
    suspendedInGit: k.suspend,
    sourceResource: `${resource}/${assertShellSafe(k.sourceRef.name, "source name")}`,
    sourceNamespace: assertShellSafe(k.sourceRef.namespace, "source namespace"),
  };
}

/**
 * What deploy.sh validates: each Flux build of this folder that a Kustomization not suspended in
 * git applies, with its components and variables (newlines removed from `substitute` values, as
 * kustomize-controller does); the first build, unsubstituted, when no Kustomization applies it.
 */
export function deployBuilds(model: ModelWithoutScripts): ScriptBuild[] {
  const suspended = new Set(model.flux.alreadySuspended.map((k) => `${k.namespace}/${k.name}`));
  const builds = model.builds
    .map((unit) => ({ unit, kustomizations: unit.kustomizations.filter((ref) => !suspended.has(ref)) }))
    .filter(({ kustomizations }) => kustomizations.length > 0)
    .map(({ unit, kustomizations }, index): ScriptBuild => {
      const valid = unit.variables.filter((v) => FLUX_VARIABLE_NAME.test(v.name));
      const values = valid.filter((v) => !v.secret).map((v) => [v.name, v.source === "substitute" ? v.value!.replace(/\n/g, "") : v.value!] as const);
      return {
        dir: assertShellSafe(unit.path, "Flux path"),
        components: unit.components.map((c) => assertShellSafe(c, "component")),
        kustomizations,
        substitutes: unit.substitutes,
        assignments: unit.substitutes ? values.map(([name, value]) => shellQuote(`${index} ${name}=${value}`)) : [],
        secrets: unit.substitutes ? valid.filter((v) => v.secret).map((v) => `${index} ${v.name}`) : [],
        empty: unit.substitutes ? unit.missingVariables.filter((name) => FLUX_VARIABLE_NAME.test(name)).map((name) => `${index} ${name}`) : [],
      };
    });
  if (builds.length > 0) return builds;
  const [first] = model.builds;
  return [{ dir: assertShellSafe(first!.path, "production path"), components: [], kustomizations: [], substitutes: false, assignments: [], secrets: [], empty: [] }];
}

/** Route kinds of the namespace's manifests → the resource dashboard.sh lists for their URLs. */
const ROUTE_RESOURCES: Record<string, string> = {
  ingressroute: "ingressroutes.traefik.io",
  httproute: "httproutes.gateway.networking.k8s.io",
};
export const KUSTOMIZATIONS_RESOURCE = "kustomizations.kustomize.toolkit.fluxcd.io";
export const HELM_RELEASES_RESOURCE = "helmreleases.helm.toolkit.fluxcd.io";

/**
 * The CRD-backed kinds dashboard.sh lists, cluster-wide, in a second kubectl call that runs
 * alongside the first. kubectl fails a whole call when one kind is not served, so only kinds
 * this namespace needs are asked for: Flux's Kustomization when Flux applies the folder, its
 * HelmRelease when the folder has one, and the route kinds its manifests use (if the cluster
 * lacks one, Flux cannot apply them either).
 * Asking the API server which kinds exist would cost a call before this one.
 */
export function dashboardKinds(model: ModelWithoutScripts): string[] {
  const kinds = new Set(model.resources.flatMap((r) => [...r.objects, ...(r.fluxObjects ?? [])]).map((ref) => ref.split(/(?<!\\):/)[1] ?? ""));
  return [
    ...(model.flux.kustomizations.length > 0 ? [KUSTOMIZATIONS_RESOURCE] : []),
    ...(kinds.has("helmrelease") ? [HELM_RELEASES_RESOURCE] : []),
    ...Object.entries(ROUTE_RESOURCES).filter(([kind]) => kinds.has(kind)).map(([, resource]) => resource),
  ];
}

export function scriptFacts(model: ModelWithoutScripts): ScriptFacts {
  const folder = assertShellSafe(model.folderInRepo, "folder");
  const kustomizations = model.flux.kustomizations.map(scriptKustomization);
  const tracked = model.flux.kustomizations.find((k) => !k.suspend) ?? model.flux.kustomizations[0];
  // Any legal git branch name (rel@2024, feat/x+y): quoted, never refused.
  const branch = shellQuote(model.flux.branch ?? "");
  const ancestors = model.flux.ancestors.map((k) => `${assertShellSafe(k.namespace, "namespace")}/${assertShellSafe(k.name, "name")}`);
  const forwards = model.resources
    .flatMap((r) => r.portForwards)
    .map((f) => ({ service: f.service, localPort: f.localPort, containerPort: f.containerPort }))
    .sort((a, b) => a.service.localeCompare(b.service) || a.localPort - b.localPort);
  const dashboard = {
    namespace: model.namespace,
    folder,
    kustomizations: kustomizations.map(({ namespace, name, file, suspendedInGit }) => ({ namespace, name, file, suspendedInGit })),
    ancestors,
    forwards,
  };
  const builds = deployBuilds(model);
  // One line: it is this namespace's own, so no block of its dashboard.sh repeats another's.
  const dashboardJson = JSON.stringify(dashboard);
  if (dashboardJson.includes("'")) throw new Error("dashboard facts contain a single quote");
  return {
    folder,
    context: model.context === undefined ? "''" : shellQuote(model.context),
    repoRootFromFolder: assertShellSafe(path.posix.relative(model.folderInRepo, "") || ".", "repository root"),
    kustomizations,
    reconciled: kustomizations.filter((k) => !k.suspendedInGit),
    ancestors,
    builds,
    variables: builds.flatMap((b) => b.assignments),
    secrets: builds.flatMap((b) => b.secrets),
    undefinedVariables: builds.flatMap((b) => b.empty),
    libraryVersion: SCRIPT_FACTS_VERSION,
    invalidVariables: [...new Set(model.builds.flatMap((b) => b.variables).filter((v) => !FLUX_VARIABLE_NAME.test(v.name)).map((v) => shellQuote(`${v.name} (${v.source})`)))],
    branch,
    source: tracked && `${tracked.sourceRef.namespace}/${tracked.sourceRef.name}`,
    forwards,
    dashboardKinds: dashboardKinds(model).join(","),
    dashboardJson,
  };
}
