// One run of the namespace generator: folders in, a plan of writes out, applied or previewed.
import { existsSync } from "node:fs";
import path from "node:path";
import { kustomizationsMissingInCluster } from "./live-cluster/missing-kustomizations.ts";
import { ANSWERS_FILE, readAnswers, renderAnswers, type SavedAnswers } from "./plan/answers-file.ts";
import { UserError } from "./errors.ts";
import {
  inspectNamespace,
  locateNamespace,
  parseNamespace,
  TILT_MODES,
  type BuiltNamespace,
  type TiltMode,
} from "./namespace/inspect.ts";
import { renderReleases, type RenderCache } from "./namespace/helm-releases.ts";
import type { UnreachableHosts } from "./repository/helm.ts";
import { readKubeContexts } from "./live-cluster/kubeconfig.ts";
import { resolveFluxContext, type AskContext } from "./live-cluster/flux-context.ts";
import type { NamespaceModel } from "./namespace/model.ts";
import { forwardKey } from "./namespace/ports.ts";
import { renderNamespace, renderRepoLibraries, renderRootTiltfile } from "./namespace/render.ts";
import type { RenderedFile } from "./templates.ts";
import { isInsideFolder, toPosix } from "./repository/files.ts";
import { clusterOf } from "./repository/flux.ts";
import { applyingKustomizations } from "./namespace/units.ts";
import { namedArgoApplication } from "./repository/argocd.ts";
import { checkFolder, checkStaysInside, scanRepository, type Repository } from "./repository/scan.ts";
import { rootTiltfileModel, type ScaffoldedNamespace } from "./namespace/root-tiltfile.ts";
import { kustomizeBuildMany, kustomizeOrigins } from "./repository/tools.ts";
import { buildCacheContext, fileHashes } from "./repository/build-cache.ts";
import { checkDevBuilds, type DevBuildCheck } from "./plan/check-dev-builds.ts";
import { applyPlan, planChanges, planWrites, sha256, type Mode, type PlannedWrite } from "./plan/write-plan.ts";
import { Progress, type ProgressStream } from "./plan/progress.ts";
import { missingToolLines, type MissingTools } from "./plan/missing-tools.ts";
import { GENERATOR_VERSION } from "./version.ts";
import { generatorCommand } from "./invocation.ts";

export interface ScaffoldOptions {
  /** Namespace folders, absolute or relative to `cwd`; `all` for every one scaffolded before. */
  folders: string[];
  cwd: string;
  /** `--context`: the Flux cluster's kube context, or `none`; overrides what folders remember. */
  context?: string;
  /** On a terminal: asks once per run, for folders scaffolded for the first time. */
  askContext?: AskContext;
  /** Extra forwards, `RESOURCE:CONTAINER_PORT[:NAME]`; replace the remembered ones when given. */
  forwards?: string[];
  /** `develop` (apply the dev build) or `observe` (attach to what Flux runs); remembered. */
  tilt?: string;
  /** `--argocd-app NS/NAME`: the Application that deploys the folder from another repository; remembered. */
  argocdApp?: string;
  mode?: Mode;
  force?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Where progress goes, one line per folder (stderr); none: no progress. */
  progress?: ProgressStream;
}

export interface ScaffoldResult {
  models: NamespaceModel[];
  plan: PlannedWrite[];
  /** Files the last run generated that this one no longer does: reported, never deleted. */
  obsolete: string[];
  /** Things worth telling that change nothing on disk (names the cluster does not know). */
  warnings: string[];
  /** One line per tool that is not installed and that the files depend on, naming them. */
  missingTools: string[];
  /** Per folder, which kube context is recorded as the Flux cluster, why, and how to change it. */
  fluxClusters: string[];
  /** The writes that change a file or its `.new`, decided before any is applied. */
  changes: PlannedWrite[];
  changed: boolean;
}

export const ALL_FOLDERS = "all";

/** Files to write, and what the answers files say was generated last time. */
class Output {
  readonly files: RenderedFile[] = [];
  readonly generated = new Map<string, string>();
  readonly obsolete: string[] = [];

  /** Adds the files of one folder plus its answers file, which records their hashes. */
  addFolder(
    folder: string,
    rendered: RenderedFile[],
    saved: SavedAnswers | undefined,
    answers: Omit<SavedAnswers, "files">,
  ): void {
    const files = Object.fromEntries(rendered.map((f) => [relative(folder, f.path), sha256(f.content)]));
    for (const [rel, hash] of Object.entries(saved?.files ?? {})) {
      this.generated.set(path.join(folder, rel), hash);
      if (!(rel in files)) this.obsolete.push(path.join(folder, rel));
    }
    this.files.push(...rendered, {
      path: path.join(folder, ANSWERS_FILE),
      content: renderAnswers({ ...answers, files }),
    });
  }
}

/** The Tiltfile mode asked for: a known one, or a one-line error. */
function tiltMode(answer: string | undefined): TiltMode | undefined {
  if (answer === undefined || (TILT_MODES as readonly string[]).includes(answer)) return answer as TiltMode | undefined;
  throw new UserError(`--tilt ${answer}: use ${TILT_MODES.join(" or ")}`);
}

export async function scaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const progress = new Progress(options.progress);
  try {
    return await scaffoldFolders(options, progress);
  } finally {
    progress.end();
  }
}

/** Each answers file read once a run (nothing writes them before the run's end): by folder. */
type AnswersOf = (folder: string) => SavedAnswers | undefined;

function answersReader(): AnswersOf {
  const read = new Map<string, SavedAnswers | undefined>();
  return (folder) => (read.has(folder) ? read.get(folder) : read.set(folder, readAnswers(folder)).get(folder));
}

async function scaffoldFolders(options: ScaffoldOptions, progress: Progress): Promise<ScaffoldResult> {
  const asked = tiltMode(options.tilt);
  const repos = new Map<string, Repository>();
  const answersOf = answersReader();
  const folders = await resolveFolders(options, repos, answersOf);
  const contexts = await readKubeContexts(options.env);
  progress.total = folders.length;
  progress.phase(`kustomize build of ${folders.length} folder${folders.length === 1 ? "" : "s"}`);
  // Builds and renders are kept by the bytes of the files they read: hashed once per repository.
  const trees = new Map<string, Promise<Map<string, string>>>();
  const treeOf = (root: string) => trees.get(root) ?? trees.set(root, fileHashes(root)).get(root)!;
  const builds = await buildAll(folders, repos, treeOf, answersOf, options);
  const output = new Output();
  const models: NamespaceModel[] = [];
  const checks = new Map<string, DevBuildCheck[]>();
  const chartWarnings: string[] = [];
  const missing: MissingTools = new Map();
  const chartRenders: RenderCache = new Map();
  const unreachableHosts: UnreachableHosts = new Map();
  const fluxClusters: string[] = [];
  // One question per run, whatever number of new folders it scaffolds.
  let answer: Promise<string> | undefined;
  const ask = options.askContext && ((c: Parameters<AskContext>[0]) => (answer ??= options.askContext!(c)));

  // Every folder's charts render side by side (helm runs wait for a free core) while the folders
  // are inspected one by one.
  const prepared = new Map(
    builds.map((build) => {
      const parsed = parseNamespace(build, build.repo, options.env);
      const charts = renderReleases(
        {
          objects: parsed.objects,
          repoObjects: build.repo.objects.map((o) => o.object),
          repoRoot: build.repo.root,
          ownSources: build.own
            .filter((k) => k.sourceRef.kind === "GitRepository")
            .map((k) => `${k.sourceRef.namespace}/${k.sourceRef.name}`),
          namespace: parsed.namespace,
        },
        options.env,
        chartRenders,
        unreachableHosts,
      );
      // Awaited in the loop below; a folder that fails first must not leave this one unhandled.
      charts.catch(() => undefined);
      return [build, { parsed, charts }] as const;
    }),
  );

  for (const repo of new Set(builds.map((b) => b.repo))) {
    // Namespaces scaffolded before and not part of this run keep their local ports.
    const others = scaffoldedFolders(repo, answersOf)
      .filter((f) => !folders.includes(f))
      .map((f) => scaffoldedNamespace(repo, f, answersOf));
    const taken = others.flatMap((ns) => Object.values(ns.ports));
    const inRun: ScaffoldedNamespace[] = [];
    for (const build of builds.filter((b) => b.repo === repo)) {
      progress.start(build.folderInRepo);
      const saved = answersOf(build.folder);
      const forwards = options.forwards ?? saved?.answers.forwards ?? [];
      const tilt = asked ?? tiltMode(saved?.answers.tilt) ?? "develop";
      const { parsed } = prepared.get(build)!;
      const charts = await prepared.get(build)!.charts;
      const flux = await resolveFluxContext({ named: options.context, remembered: saved?.answers, contexts, ask });
      const { model, fluxObjects } = inspectNamespace(
        parsed,
        repo,
        {
          context: flux.context,
          contextFrom: flux.from,
          forwards,
          previousPorts: saved?.ports,
          takenPorts: [...taken],
          previousName: saved?.name,
          takenNames: [...others, ...inRun].map((ns) => ns.name),
          ownsLocalPath: saved?.files["overlays/storage/local-path/kustomization.yaml"] !== undefined,
          tilt,
        },
        charts,
      );
      const ports = Object.fromEntries(
        model.resources.flatMap((r) => r.portForwards.map((f) => [forwardKey(f), f.localPort])),
      );
      taken.push(...Object.values(ports));
      inRun.push({ name: model.name, folder: build.folder, ports, clusters: clustersOf(repo, build.folder) });
      models.push(model);
      fluxClusters.push(fluxClusterLine(model.name, model.folderInRepo, flux.context, flux.why));
      for (const [name, release] of charts) {
        // A missing tool is one line for the whole run, at its end.
        if (release.missing)
          missing.set(release.missing, (missing.get(release.missing) ?? new Set()).add(build.folder));
        else if (release.detail)
          chartWarnings.push(`${model.name}: HelmRelease ${name}: ${release.reason}: ${release.detail}`);
      }
      checks.set(repo.root, [...(checks.get(repo.root) ?? []), { model, fluxObjects }]);
      output.addFolder(build.folder, renderNamespace(model), saved, {
        generator: GENERATOR_VERSION,
        namespace: model.namespace,
        name: model.name,
        answers: {
          ...(flux.context && { context: flux.context }),
          ...(flux.from && { contextFrom: flux.from }),
          ...(forwards.length > 0 && { forwards }),
          ...(tilt !== "develop" && { tilt }),
          ...(build.namedApplication && { argocdApp: build.namedApplication }),
        },
        ports,
      });
      progress.done();
    }
    const root = rootTiltfileModel(repo.root, [...others, ...inRun], GENERATOR_VERSION);
    const rootFiles = [...renderRepoLibraries(repo.root), renderRootTiltfile(repo.root, root)];
    output.addFolder(repo.root, rootFiles, answersOf(repo.root), {
      generator: GENERATOR_VERSION,
      answers: {},
      ports: {},
    });
  }

  // The answers files are the tool's own record: always ours to rewrite.
  const plan = planWrites(output.files, output.generated, options.force).map((write) =>
    path.basename(write.path) === ANSWERS_FILE && write.outcome.startsWith("kept")
      ? { ...write, outcome: "update" as const, beside: undefined }
      : write,
  );
  // Nothing is reported, let alone written, before the planned overlays build and agree.
  const onDisk = plan.filter((write) => !write.beside);
  progress.phase("building the dev overlays to check them");
  for (const [root, repoChecks] of checks) {
    await checkDevBuilds(
      root,
      onDisk.filter((w) => w.path.startsWith(root + path.sep)),
      repoChecks,
      { hashes: await treeOf(root), env: options.env },
    );
  }
  const changes = planChanges(plan);
  const missingTools = missingToolLines(
    missing,
    plan,
    models[0]?.repoRoot ?? options.cwd,
    options.mode ?? "write",
    options.force ?? false,
  );
  if ((options.mode ?? "write") === "write") applyPlan(plan);
  const warnings: string[] = [...chartWarnings];
  for (const model of models) {
    const missing = await kustomizationsMissingInCluster(model.flux.toSuspend, model.context, options.env);
    for (const ref of missing ?? [])
      warnings.push(
        `${model.namespace}: Flux Kustomization ${ref} is not in cluster ${model.context}; tilt up will fail to suspend it`,
      );
  }
  return {
    models,
    plan,
    obsolete: output.obsolete,
    warnings,
    missingTools,
    fluxClusters,
    changes,
    changed: changes.length > 0,
  };
}

function fluxClusterLine(name: string, folderInRepo: string, context: string | undefined, why: string): string {
  const change = `${generatorCommand()} namespace ${folderInRepo} -- --context`;
  return context
    ? `${name}: Flux cluster: kube context ${context} (${why}); change it with \`${change} <name|none>\``
    : `${name}: Flux cluster: ${why}; tilt up treats every cluster as a local one. Name it with \`${change} <name>\``;
}

async function resolveFolders(
  options: ScaffoldOptions,
  repos: Map<string, Repository>,
  answersOf: AnswersOf,
): Promise<string[]> {
  const folders: string[] = [];
  for (const answer of options.folders) {
    if (answer !== ALL_FOLDERS) {
      await checkStaysInside(answer, options.cwd);
      folders.push(checkFolder(answer, options.cwd));
      continue;
    }
    const here = checkFolder(".", options.cwd);
    const repo = await scanRepository(here, here);
    repos.set(repo.root, repo);
    folders.push(...scaffoldedFolders(repo, answersOf));
  }
  if (folders.length === 0)
    throw new UserError(`no scaffolded namespace folder found for "${ALL_FOLDERS}" below ${options.cwd}`);
  return [...new Set(folders)];
}

/** Locates every folder, then builds them all with as few kustomize runs as a repository allows. */
async function buildAll(
  folders: string[],
  repos: Map<string, Repository>,
  treeOf: (root: string) => Promise<Map<string, string>>,
  answersOf: AnswersOf,
  options: Pick<ScaffoldOptions, "argocdApp" | "env">,
): Promise<(BuiltNamespace & { repo: Repository; namedApplication?: string })[]> {
  const located = [];
  for (const folder of folders) {
    const repo = await repositoryFor(folder, repos);
    const saved = answersOf(folder);
    // The platform's package (its Application deploys it too) keeps answers of another shape.
    if (saved && "argocdNamespace" in saved.answers) {
      throw new UserError(
        `${toPosix(path.relative(repo.root, folder))} is the tilt-lib package, not a namespace folder: update it with \`${generatorCommand()} tilt-lib ${toPosix(path.relative(repo.root, folder))}\``,
      );
    }
    const namedApplication = options.argocdApp ?? saved?.answers.argocdApp;
    const named =
      namedApplication === undefined
        ? undefined
        : namedArgoApplication(namedApplication, toPosix(path.relative(repo.root, folder)));
    located.push({ ...locateNamespace(folder, repo, named), repo, namedApplication });
  }
  const targets = located.flatMap((l) =>
    l.units.map((unit) => ({
      root: l.repo.root,
      dir: path.join(l.folder, unit.path),
      resources: unit.generated?.map((r) => path.join(l.repo.root, r)),
      label: path.posix.join(l.folderInRepo, unit.path),
      components: unit.components.map((c) => path.join(l.repo.root, c)),
      patches: unit.patches,
      images: unit.images,
      group: l.folder,
    })),
  );
  // One kustomizeBuildMany per repository, each with the cache of its tree, side by side.
  const outputs: (string | UserError)[] = new Array(targets.length);
  const roots = [...new Set(targets.map((t) => t.root))];
  await Promise.all(
    roots.map(async (root) => {
      const indexes = [...targets.keys()].filter((index) => targets[index]!.root === root);
      const built = await kustomizeBuildMany(
        indexes.map((index) => targets[index]!),
        buildCacheContext(root, await treeOf(root), options.env),
      );
      indexes.forEach((index, k) => (outputs[index] = built[k]!));
    }),
  );
  // An app folder's unit is what of its path's build comes from the folder.
  const units = located.flatMap((l) => l.units);
  const origins = await Promise.all(
    targets.map((target, index) =>
      units[index]!.only !== undefined && typeof outputs[index] === "string" ? kustomizeOrigins(target) : undefined,
    ),
  );
  let next = 0;
  return located.map((l) => {
    const first = next;
    const built = outputs.slice(first, (next += l.units.length));
    const failed = built.find((b) => b instanceof UserError);
    if (failed) throw failed;
    return { ...l, built: built as string[], origins: origins.slice(first, next) };
  });
}

function scaffoldedNamespace(repo: Repository, folder: string, answersOf: AnswersOf): ScaffoldedNamespace {
  const saved = answersOf(folder);
  return {
    name: saved?.name ?? saved?.namespace ?? path.basename(folder),
    folder,
    ports: saved?.ports ?? {},
    clusters: clustersOf(repo, folder),
  };
}

/** The clusters whose Flux applies a folder, as the repository says now. */
function clustersOf(repo: Repository, folder: string): string[] {
  const { own } = applyingKustomizations(folder, toPosix(path.relative(repo.root, folder)), repo.kustomizations);
  return [...new Set(own.map((k) => clusterOf(k, repo.kustomizations)))].sort();
}

/** Every folder scaffolded before, wherever it is (an app folder, a flat one): its answers name its namespace. */
function scaffoldedFolders(repo: Repository, answersOf: AnswersOf): string[] {
  return repo.yamlFiles
    .filter((f) => path.posix.basename(f) === ANSWERS_FILE)
    .map((f) => path.join(repo.root, path.posix.dirname(f)))
    .filter((folder) => existsSync(path.join(folder, ANSWERS_FILE)) && answersOf(folder)?.namespace !== undefined);
}

async function repositoryFor(folder: string, repos: Map<string, Repository>): Promise<Repository> {
  for (const repo of repos.values()) {
    if (isInsideFolder(folder, repo.root)) return repo;
  }
  const repo = await scanRepository(folder);
  repos.set(repo.root, repo);
  return repo;
}

function relative(folder: string, file: string): string {
  return toPosix(path.relative(folder, file));
}
