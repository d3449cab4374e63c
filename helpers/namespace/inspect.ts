// Turns a namespace folder into its NamespaceModel: the straight line from files to facts.
import path from "node:path";
import { UserError } from "../errors.ts";
import {
  type FluxKustomization,
  type FluxVariable,
  kustomizationsSweeping,
  substituteKnown,
  missingVariables,
  takesInFilesOf,
  resolveVariables,
  fluxPathExists,
} from "../repository/flux.ts";
import { DEV_LIMITS, DEV_REQUESTS, devPatches, type WorkloadPatch } from "./dev-patches.ts";
import { groupObjects } from "./grouping.ts";
import { describeSource, type ContextSource } from "../live-cluster/flux-context.ts";
import {
  exactTarget,
  isFluxObject,
  objectKey,
  rawNames,
  tiltObjectRef,
  type KubeObject,
} from "../repository/manifests.ts";
import { parseKept } from "../repository/build-cache.ts";
import type { NamespaceModel, ReleasePatch, TiltResource } from "./model.ts";
import { answeredForwards, assignLocalPorts, forwardKey, resolveServicePorts, type Candidate } from "./ports.ts";
import { chartPods } from "./chart-pods.ts";
import { splitReleaseForwards } from "./service-pods.ts";
import { templateArgs } from "../repository/helm.ts";
import { scriptFacts, type ModelWithoutScripts } from "./script-facts.ts";
import type { RenderedRelease } from "./helm-releases.ts";
import { hasKustomization, isInsideFolder, isWithin, toPosix } from "../repository/files.ts";
import { generatedResources } from "../repository/flux-generator.ts";
import { sourceIgnorePatterns } from "./source-ignore.ts";
import type { Repository } from "../repository/scan.ts";
import type { Origin } from "../repository/tools.ts";
import { DEV_STORAGE_CLASS, findStorageOverlays, inspectStorageObjects, storageOverlaysUsedBy } from "./storage.ts";
import { findServices, findWorkloads } from "./workloads.ts";
import { FLUX_STORAGES, resourceSelectors, STORAGES, type Storage } from "./tilt-objects.ts";
import { deriveDevBuilds } from "./dev-builds.ts";
import {
  applyingKustomizations,
  deployerOf,
  locateApplicationUnits,
  locateUnits,
  suggest,
  type LocatedUnit,
} from "./units.ts";
import type { ArgoApplication } from "../repository/argocd.ts";
import { ANSWERS_FILE, MOUNTED_TILT_LIB_DIR, REPO_TILT_LIB } from "../templates.ts";
import { GENERATOR_VERSION, TILT_LIB_VERSION } from "../version.ts";
import { generatorCommand } from "../invocation.ts";

export const LOCAL_PATH_DIR = `overlays/storage/${DEV_STORAGE_CLASS}`;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface InspectOptions {
  /** The kube context of the cluster Flux manages, as the user gave it; none is never guessed. */
  context?: string;
  contextFrom?: ContextSource;
  /** Local ports from the last run, by forward key, kept when still free. */
  previousPorts?: Record<string, number>;
  /** Ports other namespaces of the same run already use. */
  takenPorts?: number[];
  /** Whether the generator wrote overlays/storage/local-path before (so it still owns it). */
  ownsLocalPath?: boolean;
  /** Extra forwards, `RESOURCE:CONTAINER_PORT[:NAME]`, e.g. for a HelmRelease's chart. */
  forwards?: string[];
  /** The folder's name from the last run, kept when still free, and the names other folders use. */
  previousName?: string;
  takenNames?: string[];
  /** `observe`: attach to what Flux runs instead of applying the dev build. */
  tilt?: TiltMode;
}

export const TILT_MODES = ["develop", "observe"] as const;
export type TiltMode = (typeof TILT_MODES)[number];

/** A namespace folder located in its repository: which Kustomizations apply it, and what Flux builds. */
export interface LocatedNamespace {
  folder: string;
  folderInRepo: string;
  own: FluxKustomization[];
  ancestors: FluxKustomization[];
  /** Argo CD Applications that deploy it (when no Flux Kustomization does). */
  applications: ArgoApplication[];
  /** What Flux builds of it: one unit per distinct Kustomization spec. */
  units: LocatedUnit[];
}

/** …and each unit built the way Flux builds it, in the same order. */
export interface BuiltNamespace extends LocatedNamespace {
  built: string[];
  /** For a unit with `only`: where each object of its build comes from (kustomizeOrigins). */
  origins?: (Map<string, Origin> | undefined)[];
}

/** `named`: the Application `--argocd-app` names, for a folder whose Application lives in another repository. */
export function locateNamespace(folder: string, repo: Repository, named?: ArgoApplication): LocatedNamespace {
  if (!isInsideFolder(folder, repo.root)) throw new UserError(`${folder} is outside the repository ${repo.root}`);
  const folderInRepo = toPosix(path.relative(repo.root, folder));
  const { own, ancestors } = applyingKustomizations(folder, folderInRepo, repo.kustomizations);
  for (const k of own) {
    if (!fluxPathExists(repo.root, k))
      throw new UserError(`Flux Kustomization ${k.name} (${k.file}) has path ./${k.path}, which does not exist`);
    // Suspended on one cluster, applied to another: a Tiltfile on one kube context would apply
    // the dev build to the cluster that holds the Kustomization, not to the one Flux applies to.
    if (k.kubeConfig !== undefined) {
      throw new UserError(
        `Flux Kustomization ${k.name} (${k.file}) applies ${folderInRepo} to another cluster (spec.kubeConfig, ${k.kubeConfig}): the tooling runs on one kube context and would apply it to the wrong cluster`,
      );
    }
  }
  const applications = named ? [named] : argoApplications(folderInRepo, repo.applications);
  // Both engines on one folder: pausing one leaves the other reverting Tilt's changes.
  if (applications[0] && own[0]) {
    throw new UserError(
      `${folderInRepo} is deployed both by Flux Kustomization ${own[0].name} (${own[0].file}) and by Argo CD Application ${applications[0].name} (${applications[0].file}): each would revert what the other applies; keep one`,
    );
  }
  const located =
    applications.length > 0
      ? locateApplicationUnits(folderInRepo, applications)
      : locateUnits(folder, folderInRepo, own, { ancestors, offered: repo.namespaceFolders });
  const units = located.map((unit) => {
    const fluxPath = path.posix.join(folderInRepo, unit.path);
    if (hasKustomization(path.join(repo.root, fluxPath))) return unit;
    // Argo CD's directory source takes in every YAML file there, the answers file too, which it cannot parse.
    if (unit.applications.length > 0) {
      const { name, file } = deployerOf(unit);
      throw new UserError(
        `Argo CD Application ${name} (${file}) deploys ./${fluxPath} as a plain directory of manifests, where it would also take in the tool's own YAML files: add a kustomization.yaml listing the manifests (Argo CD then builds it with kustomize, as Tilt does)`,
      );
    }
    const generated = generatedResources(repo.root, fluxPath, unit.kustomizations[0]?.sourceIgnore);
    if (generated.length === 0)
      throw new UserError(
        `./${fluxPath}, the path of Flux Kustomization ${unit.name}, holds no manifests: Flux applies nothing from it`,
      );
    return { ...unit, generated };
  });
  for (const unit of units) {
    const devDir = path.posix.normalize(path.posix.join(folderInRepo, unit.devDir));
    const sweeping = kustomizationsSweeping(repo.root, devDir, repo.kustomizations);
    if (sweeping.length > 0) {
      const k = sweeping[0]!;
      throw new UserError(
        `Flux Kustomization ${k.name} (${k.file}) would apply ${devDir} to production: its path ./${k.path} has no kustomization.yaml, ` +
          `so Flux takes in every folder below it; add a kustomization.yaml there that lists what Flux should apply`,
      );
    }
  }
  return { folder, folderInRepo, own, ancestors, applications, units };
}

/** The Argo CD Applications whose source path lies in the folder, refusing what Tilt would build otherwise. */
function argoApplications(folderInRepo: string, all: ArgoApplication[]): ArgoApplication[] {
  const applications = all.filter((a) => isWithin(a.path, folderInRepo));
  for (const a of applications) {
    if (a.unsupported)
      throw new UserError(
        `Argo CD Application ${a.namespace}/${a.name} (${a.file}) deploys ./${a.path}, but ${a.unsupported}: Tilt would apply something else than Argo CD does`,
      );
  }
  return applications;
}

/** A namespace's model, and the objects of Flux's build it was derived from (substituted). */
export interface InspectedNamespace {
  model: NamespaceModel;
  fluxObjects: KubeObject[];
}

/** A built namespace's objects as Flux applies them (substituted), and the namespace they land in. */
export interface ParsedNamespace extends BuiltNamespace {
  parsed: ReturnType<typeof parseUnit>[];
  objects: KubeObject[];
  rawName: (object: KubeObject) => string;
  namespace: string;
}

/** `env` names the cache folder where parsed builds are kept. */
export function parseNamespace(built: BuiltNamespace, repo: Repository, env?: NodeJS.ProcessEnv): ParsedNamespace {
  const { folder, folderInRepo, units } = built;
  const parse = (text: string, source: string) => parseKept(text, source, env);
  const parsed = units.map((unit, index) =>
    parseUnit(unit, built.built[index]!, repo, folderInRepo, parse, built.origins?.[index]),
  );
  const names = new Map<KubeObject, string>();
  const builtBy = new Map<string, string>();
  for (const [index, { objects, rawName }] of parsed.entries()) {
    for (const object of objects) {
      const ref = tiltObjectRef(object);
      const other = builtBy.get(ref);
      if (other !== undefined)
        throw new UserError(
          `${object.kind} ${object.metadata.name} is built by both ${other} and ${units[index]!.name}: Flux would apply it twice`,
        );
      builtBy.set(ref, units[index]!.name);
      names.set(object, rawName(object));
    }
  }
  const rawName = (object: KubeObject) => names.get(object) ?? object.metadata.name;
  // In a canonical order, so the output does not depend on how kustomize was run.
  const objects = parsed
    .flatMap((p) => p.objects)
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.metadata.name.localeCompare(b.metadata.name));
  for (const [index, unit] of units.entries()) {
    // Argo CD fills in only a missing namespace; the dev overlay's namespace replaces every one.
    const elsewhere =
      unit.applications.length > 0 &&
      parsed[index]!.objects.find((o) => o.metadata.namespace && o.metadata.namespace !== unit.targetNamespace);
    if (elsewhere && unit.targetNamespace) {
      const { name, file } = deployerOf(unit);
      throw new UserError(
        `${elsewhere.kind} ${elsewhere.metadata.name} in ${path.posix.join(folderInRepo, unit.path)} names namespace ${elsewhere.metadata.namespace}, not ${unit.targetNamespace}, the destination of Argo CD Application ${name} (${file}): the dev overlay would move it there`,
      );
    }
  }
  const targetNamespaces = [...new Set(units.map((u) => u.targetNamespace).filter((ns) => ns !== undefined))];
  if (targetNamespaces.length > 1)
    throw new UserError(
      `${folderInRepo} deploys into ${targetNamespaces.join(" and ")} (targetNamespace)${suggest(folderInRepo, repo.namespaceFolders) || ": scaffold each app folder on its own"}`,
    );
  const namespace = targetNamespaces[0] ?? namespaceOf(objects) ?? path.basename(folder);
  if (!DNS_1123_LABEL.test(namespace)) throw new UserError(`namespace "${namespace}" is not a valid DNS-1123 label`);
  return { ...built, parsed, objects, rawName, namespace };
}

/**
 * Everything else: pure derivation from the build, the repository scan, the answers and
 * the charts of its HelmReleases as helm rendered them (by release name).
 */
export function inspectNamespace(
  { folder, folderInRepo, own, ancestors, applications, units, parsed, objects, rawName, namespace }: ParsedNamespace,
  repo: Repository,
  options: InspectOptions = {},
  charts: Map<string, RenderedRelease> = new Map(),
): InspectedNamespace {
  const name = folderName(folderInRepo, namespace, options, repo.namespaceFolders);
  for (const k of own)
    if (!DNS_1123_LABEL.test(k.name))
      throw new UserError(`Flux Kustomization name "${k.name}" (${k.file}) is not a valid DNS-1123 label`);

  const storageOverlays = findStorageOverlays(folder);
  const existingLocalPath = storageOverlays.find((o) => o.dir === LOCAL_PATH_DIR);
  if (existingLocalPath && !existingLocalPath.isComponent && !options.ownsLocalPath) {
    throw new UserError(
      `${folderInRepo}/${LOCAL_PATH_DIR} exists but is not a kustomize Component (kind: Component); convert it so dev can include it`,
    );
  }
  const storageObjects = inspectStorageObjects(objects);
  const localPath = !existingLocalPath || options.ownsLocalPath ? storageObjects : undefined;

  const workloads = findWorkloads(objects);
  const services = findServices(objects);
  const { candidates, skipped } = resolveServicePorts(services, workloads);
  // Groups are named after the folder: two folders of one namespace run side by side.
  const groups = groupObjects(objects, workloads, services, name);
  const answered = answeredForwards(options.forwards ?? [], [
    ...workloads.map((w) => w.resource),
    ...groups.helmReleases.map((r) => r.name),
  ]);
  const releasePods = new Map(
    groups.helmReleases.map((r) => [
      r.name,
      chartPods(r.name, charts.get(r.name) ?? { releaseName: r.name, reason: "it was not rendered", notes: [] }),
    ]),
  );
  // --forward overrides what the chart says for the same container port.
  const overridden = new Set(answered.map(forwardKey));
  const fromCharts = [...releasePods.values()]
    .flatMap((p) => p.candidates)
    .filter((c) => !overridden.has(forwardKey(c)));
  const forwards = assignLocalPorts(
    uniqueForwards([...candidates, ...fromCharts, ...answered]),
    options.previousPorts,
    options.takenPorts,
  );
  const releasePatches = new Map<string, ReleasePatch>();
  const devReleases: string[] = [];
  for (const release of objects.filter((o) => o.kind === "HelmRelease")) {
    const patches = releasePods.get(release.metadata.name)?.devPatches ?? [];
    if (patches.length === 0) continue;
    const patch = postRendererPatch(release, patches, rawName);
    releasePatches.set(tiltObjectRef(release), patch);
    if (patch.path === "/spec/postRenderers")
      devReleases.push(`${release.metadata.namespace ?? namespace}/${release.metadata.name}`);
  }
  const dev = deriveDevBuilds({
    releasePatches,
    objects,
    workloads,
    services,
    groups,
    patches: devPatches(workloads, rawName),
    rawName,
    folderInRepo,
    localPathComponent: path.posix.join(folderInRepo, LOCAL_PATH_DIR),
    units: units.map((unit, index) => ({
      devDir: unit.devDir,
      fluxPath: path.posix.join(folderInRepo, unit.path),
      fluxComponents: unit.components,
      fluxResources: unit.generated,
      fluxPatches: unit.patches,
      fluxImages: unit.images,
      targetNamespace: unit.targetNamespace,
      refs: new Set(parsed[index]!.objects.map(tiltObjectRef)),
      leftOut: parsed[index]!.leftOut,
    })),
  });
  // A cluster without Flux has no Flux CRDs: Tilt applies these only on the cluster Flux manages.
  const fluxRefs = new Set(objects.filter(isFluxObject).map(tiltObjectRef));
  const resources = [
    ...workloads.map((w) => ({
      name: w.resource,
      workload: w.resource,
      attach: [`${w.kind.toLowerCase()}/${w.name}`],
      objects: groups.byWorkload.get(w.resource) ?? [],
      portForwards: forwards.filter((f) => f.resource === w.resource),
      extraPodSelectors: [],
      resourceDeps: [],
      ...(w.replicas === 0 ? { podReadiness: "ignore" as const } : {}),
      notes: [
        ...(w.hostNetwork ? [`${w.name} uses hostNetwork: its ports are the node's too`] : []),
        ...(w.replicas === 0 ? [`${w.name} has replicas: 0 and starts no pod: Tilt waits for none`] : []),
      ],
    })),
    ...groups.helmReleases.map((release) => ({
      name: release.name,
      attach: [`helmrelease/${release.name}`],
      release: true,
      objects: release.objects,
      portForwards: forwards.filter((f) => f.resource === release.name),
      extraPodSelectors: releasePods.get(release.name)!.selectors,
      resourceDeps: [],
      notes: releaseNotes(charts.get(release.name)),
    })),
    ...groups.groups.map((group) => ({
      name: group.name,
      attach: [],
      objects: group.objects,
      portForwards: [],
      extraPodSelectors: [],
      resourceDeps: [],
      notes: [],
    })),
  ]
    .map(dev.split)
    .filter((r): r is TiltResource => r !== undefined)
    .map((r) => ({
      ...r,
      objects: r.objects.filter((o) => !fluxRefs.has(o)),
      fluxObjects: r.objects.filter((o) => fluxRefs.has(o)),
    }));
  // Tilt applies resources side by side: everything waits for the one that creates the namespace,
  // and the users of a shared object for the group holding it, wherever the Tiltfile makes that one.
  const namespaceResource = resources.find((r) => r.objects.some((ref) => ref.endsWith(":namespace")));
  for (const resource of resources) {
    const deps = [
      ...(namespaceResource ? [namespaceResource.name] : []),
      ...(groups.dependsOn.get(resource.name) ?? []),
    ];
    // A wait holds wherever both resources exist; one for a group of Flux's objects only where Flux runs.
    const waitsIn = (dep: string, storages: readonly Storage[]) => {
      const target = resources.find((r) => r.name === dep);
      return (
        target !== undefined &&
        target !== resource &&
        storages.every(
          (s) => resourceSelectors(resource, s) === undefined || resourceSelectors(target, s) !== undefined,
        )
      );
    };
    const unique = [...new Set(deps)];
    resource.resourceDeps = unique.filter((dep) => waitsIn(dep, STORAGES));
    resource.fluxResourceDeps = unique.filter((dep) => !waitsIn(dep, STORAGES) && waitsIn(dep, FLUX_STORAGES));
  }
  const tiltResources = splitReleaseForwards(resources, releasePods);
  const observe = options.tilt === "observe";

  const branch = own
    .map(
      (k) =>
        repo.gitRepositories.find((g) => g.name === k.sourceRef.name && g.namespace === k.sourceRef.namespace)?.branch,
    )
    .find((b) => b !== undefined);

  const facts: ModelWithoutScripts = {
    generatorVersion: GENERATOR_VERSION,
    generatorCommand: generatorCommand(),
    namespace,
    folder,
    folderInRepo,
    repoRoot: repo.root,
    context: options.context,
    contextSource: describeSource(options.contextFrom),
    flux: {
      kustomizations: own,
      toSuspend: own.filter((k) => !k.suspend).map((k) => `${k.namespace}/${k.name}`),
      alreadySuspended: own.filter((k) => k.suspend),
      ancestors,
      branch,
      devReleases,
    },
    engine:
      applications.length > 0
        ? { name: "Argo CD", deployer: "Argo CD Application" }
        : { name: "Flux", deployer: "Flux Kustomization" },
    argocd: {
      applications,
      toPause: [...new Set(applications.map((a) => `${a.namespace}/${a.name}`))],
      notes: applicationNotes(applications, repo),
      pauseResource: `${name}-argocd-pause`,
      resource: `${name}-argocd`,
    },
    builds: units.map((_, index) => ({ ...parsed[index]!.facts, ...dev.units[index]! })),
    devPolicy: { storageClass: DEV_STORAGE_CLASS, limits: { ...DEV_LIMITS }, requests: { ...DEV_REQUESTS } },
    liveExclusions: dev.liveExclusions,
    liveClaimTemplates: [...new Set(storageObjects.statefulSetTemplates.map((t) => t.name))],
    sopsSecrets: dev.sopsSecrets,
    storage: {
      classes: storageObjects.classes,
      overlays: storageOverlays,
      usedByFlux: [
        ...new Set(
          units.flatMap((unit) => storageOverlaysUsedBy(folder, path.join(folder, unit.path), storageOverlays)),
        ),
      ],
      localPath,
    },
    observe,
    // Observe mode applies nothing: it attaches to what runs pods, and names no object to apply.
    resources: observe
      ? tiltResources
          .filter((r) => r.attach.length > 0)
          .map((r) => ({
            ...r,
            objects: [],
            fluxObjects: [],
            claims: [],
            localPathOnly: false,
            resourceDeps: [],
            fluxResourceDeps: [],
          }))
      : tiltResources,
    name,
    suspendResource: `${name}-flux-suspend`,
    fluxResource: `${name}-flux`,
    charts: observe
      ? []
      : groups.helmReleases.map((release) => {
          const chart = charts.get(release.name);
          const args = chart?.request ? templateArgs(chart.request, folder) : (chart?.reason ?? "it was not rendered");
          return typeof args === "string"
            ? { name: release.name, args: [], reason: args }
            : { name: release.name, args };
        }),
    skippedPorts: [...skipped, ...[...releasePods.values()].flatMap((p) => p.skipped)],
    tiltLibPaths: ["tilt_lib.star", path.posix.relative(folderInRepo, REPO_TILT_LIB)],
    tiltLibMount: MOUNTED_TILT_LIB_DIR,
    tiltLibVersion: TILT_LIB_VERSION,
    sourceIgnore: takesInFilesOf(repo.root, folderInRepo, [...own, ...ancestors])
      ? sourceIgnorePatterns(repo.root, folderInRepo, [
          { rel: ANSWERS_FILE, dir: false },
          ...(localPath ? [{ rel: LOCAL_PATH_DIR, dir: true }] : []),
        ])
      : [],
  };
  const model: NamespaceModel = { ...facts, scripts: scriptFacts(facts) };
  return { model, fluxObjects: objects };
}

/**
 * What a user should know of the Applications Tilt pauses. One applied from git by Flux or by
 * another Application (app of apps) keeps the pause: both leave alone a field git does not set.
 */
function applicationNotes(applications: ArgoApplication[], repo: Repository): string[] {
  return applications.flatMap((a) => {
    const ref = `${a.namespace}/${a.name}`;
    const parent =
      repo.kustomizations
        .filter((k) => isWithin(a.file, k.path))
        .map((k) => `Flux Kustomization ${k.namespace}/${k.name}`)[0] ??
      repo.applications
        .filter((p) => p !== a && isWithin(a.file, p.path))
        .map((p) => `Argo CD Application ${p.namespace}/${p.name}`)[0];
    return [
      ...(parent
        ? [
            `Argo CD Application ${ref} is itself applied by ${parent}: the pause holds as long as ${a.file} sets no syncPolicy.automated.enabled`,
          ]
        : []),
      ...(a.automated
        ? []
        : [
            `Argo CD Application ${ref} has no automated sync in git: Argo CD syncs it only when asked, so there is nothing to pause`,
          ]),
    ];
  });
}

/**
 * One unit's build, substituted with the variables its Kustomizations define (the first to define
 * one wins). An app folder's unit keeps the objects that come from the folder; the others of the
 * path's build are left out of its dev overlays.
 */
function parseUnit(
  unit: LocatedUnit,
  built: string,
  repo: Repository,
  folderInRepo: string,
  parse: (text: string, source: string) => KubeObject[],
  origins?: Map<string, Origin>,
) {
  const variables = new Map<string, FluxVariable>();
  const unresolvedSources: string[] = [];
  for (const k of unit.kustomizations) {
    const resolved = resolveVariables(k, repo.objects);
    for (const variable of resolved.variables)
      if (!variables.has(variable.name)) variables.set(variable.name, variable);
    unresolvedSources.push(...resolved.unresolved);
  }
  const substitutes = unit.kustomizations.some((k) => k.postBuild !== undefined);
  const source = `kustomize build of ${path.posix.join(folderInRepo, unit.path)}`;
  // Names as the cluster will see them (`name: ${APP}` is common).
  const all = parse(substituteKnown(built, substitutes, [...variables.values()], source), source);
  // kustomize patches the build before Flux substitutes it: its targets need the raw names.
  const raw = substitutes ? parse(built, source) : all;
  const rawName = rawNames(raw, all);
  const inFolder = all.map(
    (object, index) =>
      unit.only === undefined ||
      fromFolder(raw.length === all.length ? raw[index]! : object, origins, path.join(repo.root, unit.only)),
  );
  const objects = all.filter((_, index) => inFolder[index]);
  const leftOut = raw
    .filter((_, index) => raw.length === all.length && !inFolder[index])
    .map((object) => ({ object, patchName: asPatchesSee(object, origins) }));
  if (unit.only !== undefined && objects.length === 0) {
    const fluxPath = path.posix.join(folderInRepo, unit.path);
    throw new UserError(
      `Flux Kustomization ${unit.name} builds ./${fluxPath}, and nothing it applies comes from ${unit.only}: scaffold ${fluxPath}`,
    );
  }
  const facts = {
    name: unit.name,
    path: unit.path,
    components: unit.components.map((c) => path.posix.relative(folderInRepo, c) || "."),
    kustomizations: unit.kustomizations.map((k) => `${k.namespace}/${k.name}`),
    substitutes,
    variables: [...variables.values()].sort((a, b) => a.name.localeCompare(b.name)),
    missingVariables: substitutes ? missingVariables(built, new Set(variables.keys())) : [],
    unresolvedSources,
  };
  return { objects, leftOut, rawName, facts };
}

function fromFolder(object: KubeObject, origins: Map<string, Origin> | undefined, folder: string): boolean {
  const file = origins?.get(objectKey(object))?.file;
  return file !== undefined && isInsideFolder(file, folder);
}

/** An overlay's patches find a generated object by the name its generator gives, before the hash suffix kustomize adds (its alphabet avoids vowels). */
function asPatchesSee(object: KubeObject, origins: Map<string, Origin> | undefined): string {
  const name = object.metadata.name;
  return origins?.get(objectKey(object))?.generated ? name.replace(/-[bcdfghkmt2-9]{10}$/, "") : name;
}

/**
 * The folder's name in the root Tiltfile and its Flux resources, unique across the repository:
 * the one it had, else its own name (`media`), else with its parent's (`observability-grafana`).
 * Folders of one name side by side (deploy/staging/apps, deploy/production/apps) all take their
 * parent's, whichever is scaffolded first.
 */
function folderName(
  folderInRepo: string,
  namespace: string,
  { previousName, takenNames = [] }: InspectOptions,
  offered: string[],
): string {
  const base = path.posix.basename(folderInRepo);
  const nested = (other: string) => isWithin(other, folderInRepo) || isWithin(folderInRepo, other);
  const sideBySide = offered.some((other) => path.posix.basename(other) === base && !nested(other));
  const withParent = `${path.posix.basename(path.posix.dirname(folderInRepo))}-${base}`;
  const candidates = [previousName, ...(sideBySide ? [withParent, base] : [base, withParent]), namespace];
  const free = candidates.filter((c): c is string => c !== undefined && DNS_1123_LABEL.test(c) && c.length <= 50);
  return free.find((c) => !takenNames.includes(c)) ?? free.at(-1) ?? namespace;
}

/**
 * Adds the chart's dev caps to a HelmRelease as a kustomize post-renderer, after the ones it has:
 * helm-controller applies it to what the chart renders, whatever the chart calls its values.
 */
function postRendererPatch(
  release: KubeObject,
  patches: WorkloadPatch[],
  rawName: (object: KubeObject) => string,
): ReleasePatch {
  const renderer = {
    kustomize: {
      patches: patches.map((p) => ({ target: { kind: p.kind, name: p.target }, patch: JSON.stringify(p.ops) })),
    },
  };
  const existing = Array.isArray((release.spec as { postRenderers?: unknown } | undefined)?.postRenderers);
  return existing
    ? { target: exactTarget(rawName(release)), path: "/spec/postRenderers/-", value: JSON.stringify(renderer) }
    : { target: exactTarget(rawName(release)), path: "/spec/postRenderers", value: JSON.stringify([renderer]) };
}

/** Two sources of one forward (a Service and --forward, two Services) make it once. */
function uniqueForwards(candidates: Candidate[]): Candidate[] {
  const byKey = new Map<string, Candidate>();
  for (const candidate of candidates) byKey.set(forwardKey(candidate), candidate);
  return [...byKey.values()];
}

function releaseNotes(release: RenderedRelease | undefined): string[] {
  if (!release) return [];
  const why = release.reason
    ? [
        `Its chart was not rendered (${release.reason}): its Services are not forwarded; re-run where helm reaches it, or name them with --forward.`,
      ]
    : [];
  return [...why, ...release.notes];
}

/** The namespace most objects of the build name. */
function namespaceOf(objects: KubeObject[]): string | undefined {
  const counts = new Map<string, number>();
  for (const object of objects) {
    const ns = object.kind === "Namespace" ? object.metadata.name : object.metadata.namespace;
    if (ns) counts.set(ns, (counts.get(ns) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}
