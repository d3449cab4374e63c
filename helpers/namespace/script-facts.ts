// The model's `scripts`: what dashboard.sh and deploy.sh carry, derived from the rest of it (pure, unit-tested).
// Each script gets one JSON document, quoted for bash by scriptJson; the folder and the path to
// the repository root, which the templates print unquoted, are checked to be safe for that.
import path from "node:path";
import type { FluxKustomization } from "../repository/flux.ts";
import type { NamespaceModel } from "./model.ts";
import type {
  DashboardFacts,
  DeployFacts,
  DeployKustomization,
  ScriptBuild,
  ScriptFacts,
} from "./script-facts-model.ts";
import { UserError } from "../errors.ts";
import { SCRIPT_FACTS_VERSION } from "../version.ts";

/** What the facts are derived from: the rest of the model. */
export type ModelWithoutScripts = Omit<NamespaceModel, "scripts">;

/** Flux rejects a postBuild variable whose name does not match this (kustomize-controller's varsubRegex). */
export const FLUX_VARIABLE_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
/** Repository paths and names printed into the scripts unquoted by the template must match this. */
const SHELL_SAFE_PATH = /^[A-Za-z0-9._/-]*$/;

/** Single-quotes a string for bash: literal except for `'`, which becomes `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A facts document as one bash word: indented JSON, single-quoted, which the libraries read with jq. */
export function scriptJson(facts: object): string {
  return shellQuote(JSON.stringify(facts, null, 2));
}

function assertShellSafe(value: string, what: string): string {
  if (!SHELL_SAFE_PATH.test(value))
    throw new UserError(`${what} "${value}" has characters the generated scripts cannot carry unquoted`);
  return value;
}

const SOURCE_RESOURCES: Record<string, string> = {
  GitRepository: "gitrepositories.source.toolkit.fluxcd.io",
  OCIRepository: "ocirepositories.source.toolkit.fluxcd.io",
  Bucket: "buckets.source.toolkit.fluxcd.io",
};

function deployKustomization(k: FluxKustomization): DeployKustomization {
  const resource = SOURCE_RESOURCES[k.sourceRef.kind] ?? SOURCE_RESOURCES.GitRepository!;
  return {
    ref: `${assertShellSafe(k.namespace, "Kustomization namespace")}/${assertShellSafe(k.name, "Kustomization name")}`,
    path: assertShellSafe(k.path, "path"),
    file: assertShellSafe(k.file, "file"),
    sourceNamespace: assertShellSafe(k.sourceRef.namespace, "source namespace"),
    sourceResource: `${resource}/${assertShellSafe(k.sourceRef.name, "source name")}`,
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
    .map(({ unit, kustomizations }): ScriptBuild => {
      const valid = unit.variables.filter((v) => FLUX_VARIABLE_NAME.test(v.name));
      const values = valid
        .filter((v) => !v.secret)
        .map((v) => [v.name, v.source === "substitute" ? v.value!.replace(/\n/g, "") : v.value!] as const);
      return {
        dir: assertShellSafe(unit.path, "Flux path"),
        components: unit.components.map((c) => assertShellSafe(c, "component")),
        kustomizations,
        substitutes: unit.substitutes,
        variables: unit.substitutes ? Object.fromEntries(values) : {},
        secrets: unit.substitutes ? valid.filter((v) => v.secret).map((v) => v.name) : [],
        undefined: unit.substitutes ? unit.missingVariables.filter((name) => FLUX_VARIABLE_NAME.test(name)) : [],
      };
    });
  if (builds.length > 0) return builds;
  const [first] = model.builds;
  return [
    {
      dir: assertShellSafe(first!.path, "production path"),
      components: [],
      kustomizations: [],
      substitutes: false,
      variables: {},
      secrets: [],
      undefined: [],
    },
  ];
}

/** Route kinds of the namespace's manifests → the resource dashboard.sh lists for their URLs. */
const ROUTE_RESOURCES: Record<string, string> = {
  ingressroute: "ingressroutes.traefik.io",
  httproute: "httproutes.gateway.networking.k8s.io",
};
export const KUSTOMIZATIONS_RESOURCE = "kustomizations.kustomize.toolkit.fluxcd.io";
export const HELM_RELEASES_RESOURCE = "helmreleases.helm.toolkit.fluxcd.io";
export const ARGOCD_APPLICATIONS_RESOURCE = "applications.argoproj.io";

/**
 * The CRD-backed kinds dashboard.sh lists, cluster-wide, in a second kubectl call that runs
 * alongside the first. kubectl fails a whole call when one kind is not served, so only kinds
 * this namespace needs are asked for: Flux's Kustomization when Flux applies the folder (Argo CD's
 * Application when Argo CD deploys it), its HelmRelease when the folder has one, and the route kinds its manifests use (if the cluster
 * lacks one, Flux cannot apply them either).
 * Asking the API server which kinds exist would cost a call before this one.
 */
export function dashboardKinds(model: ModelWithoutScripts): string[] {
  const kinds = new Set(
    model.resources
      .flatMap((r) => [...r.objects, ...(r.fluxObjects ?? [])])
      .map((ref) => ref.split(/(?<!\\):/)[1] ?? ""),
  );
  return [
    ...(model.flux.kustomizations.length > 0 ? [KUSTOMIZATIONS_RESOURCE] : []),
    ...(model.argocd.applications.length > 0 ? [ARGOCD_APPLICATIONS_RESOURCE] : []),
    ...(kinds.has("helmrelease") ? [HELM_RELEASES_RESOURCE] : []),
    ...Object.entries(ROUTE_RESOURCES)
      .filter(([kind]) => kinds.has(kind))
      .map(([, resource]) => resource),
  ];
}

export function scriptFacts(model: ModelWithoutScripts): ScriptFacts {
  const folder = assertShellSafe(model.folderInRepo, "folder");
  const updateCommand = `${model.generatorCommand} namespace ${folder}`;
  const context = model.context ?? "";
  // Any legal git branch name (rel@2024, feat/x+y): carried as a JSON string, never refused.
  const trackedByArgoCD = model.argocd.applications
    .map((a) => a.targetRevision)
    .find((r) => r !== undefined && r !== "HEAD");
  const tracked = model.flux.kustomizations.find((k) => !k.suspend) ?? model.flux.kustomizations[0];
  const applications = model.argocd.toPause.map((ref) => assertShellSafe(ref, "Argo CD Application"));
  const deploy: DeployFacts = {
    namespace: model.namespace,
    folder,
    context,
    branch: model.flux.branch ?? trackedByArgoCD ?? "",
    updateCommand,
    engine: applications.length > 0 ? "Argo CD" : "Flux",
    reconciled: model.flux.kustomizations.filter((k) => !k.suspend).map(deployKustomization),
    applications,
    builds: deployBuilds(model),
    invalidVariables: [
      ...new Set(
        model.builds
          .flatMap((b) => b.variables)
          .filter((v) => !FLUX_VARIABLE_NAME.test(v.name))
          .map((v) => `${v.name} (${v.source})`),
      ),
    ],
  };
  const dashboard: DashboardFacts = {
    namespace: model.namespace,
    folder,
    context,
    updateCommand,
    kustomizations: model.flux.kustomizations.map((k) => ({
      namespace: k.namespace,
      name: k.name,
      file: k.file,
      suspendedInGit: k.suspend,
    })),
    ancestors: model.flux.ancestors.map((k) => `${k.namespace}/${k.name}`),
    forwards: model.resources
      .flatMap((r) => r.portForwards)
      .map((f) => ({ service: f.service, localPort: f.localPort, containerPort: f.containerPort }))
      .sort((a, b) => a.service.localeCompare(b.service) || a.localPort - b.localPort),
    applications: applications.map((ref) => ({ namespace: ref.split("/")[0]!, name: ref.split("/")[1]! })),
    crdKinds: dashboardKinds(model),
  };
  model.flux.kustomizations.forEach(deployKustomization); // every Kustomization's names and paths are checked, suspended or not
  return {
    folder,
    repoRootFromFolder: assertShellSafe(path.posix.relative(model.folderInRepo, "") || ".", "repository root"),
    libraryVersion: SCRIPT_FACTS_VERSION,
    source: tracked && `${tracked.sourceRef.namespace}/${tracked.sourceRef.name}`,
    deploy,
    dashboard,
    deployJson: scriptJson(deploy),
    dashboardJson: scriptJson(dashboard),
  };
}
