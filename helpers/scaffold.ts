// One run of the namespace generator: folders in, a plan of writes out, applied or previewed.
import { existsSync } from "node:fs";
import path from "node:path";
import { ANSWERS_FILE, readAnswers, renderAnswers, type SavedAnswers } from "./answers-file.ts";
import { UserError } from "./errors.ts";
import { inspectNamespace, locateNamespace } from "./inspect.ts";
import { readKubeContexts } from "./kubeconfig.ts";
import type { NamespaceModel } from "./model.ts";
import { forwardKey } from "./ports.ts";
import { renderNamespace, renderRepoTiltLib, type RenderedFile } from "./render.ts";
import { checkFolder, scanRepository, type Repository } from "./repository.ts";
import { applyPlan, planChanges, planWrites, sha256, type PlannedWrite } from "./write-plan.ts";
import { kustomizeBuildMany, unifiedDiff } from "./tools.ts";
import { GENERATOR_VERSION } from "./version.ts";

export type Mode = "write" | "dry-run" | "check";

export interface ScaffoldOptions {
  /** Namespace folders, absolute or relative to `cwd`. */
  folders: string[];
  cwd: string;
  context?: string;
  mode?: Mode;
  force?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface ScaffoldResult {
  models: NamespaceModel[];
  plan: PlannedWrite[];
  /** Files the last run generated that this one no longer does: reported, never deleted. */
  obsolete: string[];
  changed: boolean;
}

/** `all` stands for every folder of the repository scaffolded before (it has an answers file). */
export const ALL_FOLDERS = "all";

export async function scaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const repos = new Map<string, Repository>();
  const folders: string[] = [];
  for (const answer of options.folders) {
    if (answer !== ALL_FOLDERS) folders.push(checkFolder(answer, options.cwd));
    else {
      const here = checkFolder(".", options.cwd);
      const repo = await scanRepository(here, here);
      repos.set(repo.root, repo);
      folders.push(...(await scaffoldedFolders(repo)));
    }
  }
  if (folders.length === 0) throw new UserError(`no scaffolded namespace folder found for "${ALL_FOLDERS}" below ${options.cwd}`);
  const contexts = await readKubeContexts(options.env);
  const models: NamespaceModel[] = [];
  const files: RenderedFile[] = [];
  const generated = new Map<string, string>();
  const obsolete: string[] = [];
  const takenPorts: number[] = [];
  const portsOfOthers = new Set<string>();

  // Builds run side by side (kustomize is most of a run's time); the rest is sequential
  // because each namespace's local ports depend on the ones before it.
  const repoOf: Repository[] = [];
  for (const folder of folders) repoOf.push(await repositoryFor(folder, repos));
  const located = folders.map((folder, index) => locateNamespace(folder, repoOf[index]!));
  const outputs = await kustomizeBuildMany(located.map((l) => ({ dir: path.join(l.folder, l.productionPath), label: path.posix.join(l.folderInRepo, l.productionPath) })));
  const builds = located.map((l, index) => {
    const built = outputs[index]!;
    if (built instanceof UserError) throw built;
    return { ...l, built };
  });
  for (const [index, folder] of folders.entries()) {
    const repo = repoOf[index]!;
    // Ports of namespaces scaffolded earlier and not part of this run stay theirs.
    if (!portsOfOthers.has(repo.root)) {
      portsOfOthers.add(repo.root);
      for (const other of await scaffoldedFolders(repo)) {
        if (!folders.includes(other)) takenPorts.push(...Object.values(readAnswers(other)?.ports ?? {}));
      }
    }
    const saved = readAnswers(folder);
    const context = options.context ?? saved?.answers.context;
    const model = inspectNamespace(builds[index]!, repo, contexts, {
      context,
      previousPorts: saved?.ports,
      takenPorts: [...takenPorts],
      ownsLocalPath: saved?.files["overlays/storage/local-path/kustomization.yaml"] !== undefined,
    });
    models.push(model);
    const rendered = [...renderNamespace(model), renderRepoTiltLib(repo.root)];
    for (const file of rendered) if (!files.some((f) => f.path === file.path)) files.push(file);
    for (const [rel, hash] of Object.entries(saved?.files ?? {})) generated.set(path.join(folder, rel), hash);
    const ports = Object.fromEntries(model.resources.flatMap((r) => r.portForwards.map((f) => [forwardKey(f), f.localPort])));
    takenPorts.push(...Object.values(ports));
    const answers: SavedAnswers = {
      generator: GENERATOR_VERSION,
      answers: model.context ? { context: model.context } : {},
      ports,
      files: Object.fromEntries(rendered.map((f) => [toFolderPath(folder, f.path), sha256(f.content)])),
    };
    obsolete.push(...Object.keys(saved?.files ?? {}).filter((rel) => !(rel in answers.files)).map((rel) => path.join(folder, rel)));
    files.push({ path: path.join(folder, ANSWERS_FILE), content: renderAnswers(answers) });
  }

  // The answers file is the tool's own record: always ours to rewrite.
  const plan = planWrites(files, generated, options.force).map((write) =>
    path.basename(write.path) === ANSWERS_FILE && write.outcome.startsWith("kept") ? { ...write, outcome: "update" as const, beside: undefined } : write,
  );
  const changed = planChanges(plan).length > 0;
  if ((options.mode ?? "write") === "write") applyPlan(plan);
  return { models, plan, obsolete, changed };
}

async function scaffoldedFolders(repo: Repository): Promise<string[]> {
  return repo.namespaceFolders.map((f) => path.join(repo.root, f)).filter((f) => existsSync(path.join(f, ANSWERS_FILE)));
}

async function repositoryFor(folder: string, repos: Map<string, Repository>): Promise<Repository> {
  for (const repo of repos.values()) {
    const rel = path.relative(repo.root, folder);
    if (!rel.startsWith("..") && !path.isAbsolute(rel)) return repo;
  }
  const repo = await scanRepository(folder);
  repos.set(repo.root, repo);
  return repo;
}

function toFolderPath(folder: string, file: string): string {
  return path.relative(folder, file).split(path.sep).join("/");
}

/** Unified diffs of every write a plan would make, for `--mode dry-run`. */
export async function diffPlan(plan: PlannedWrite[]): Promise<string[]> {
  return Promise.all(
    planChanges(plan).map((write) => {
      const target = write.beside ?? write.path;
      const current = write.beside ? undefined : write.current;
      return unifiedDiff(current, write.content, path.relative(process.cwd(), target));
    }),
  );
}

export function assertMode(mode: string): Mode {
  if (mode === "write" || mode === "dry-run" || mode === "check") return mode;
  throw new UserError(`unknown mode "${mode}": use write, dry-run or check`);
}
