// One run of the namespace generator: folders in, a plan of writes out, applied or previewed.
import path from "node:path";
import { ANSWERS_FILE, readAnswers, renderAnswers, type SavedAnswers } from "./answers-file.ts";
import { UserError } from "./errors.ts";
import { inspectNamespace } from "./inspect.ts";
import { readKubeContexts } from "./kubeconfig.ts";
import type { NamespaceModel } from "./model.ts";
import { forwardKey } from "./ports.ts";
import { renderNamespace, renderRepoTiltLib, type RenderedFile } from "./render.ts";
import { checkFolder, scanRepository, type Repository } from "./repository.ts";
import { applyPlan, planChanges, planWrites, sha256, type PlannedWrite } from "./write-plan.ts";
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

export async function scaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const folders = options.folders.map((f) => checkFolder(f, options.cwd));
  const contexts = await readKubeContexts(options.env);
  const repos = new Map<string, Repository>();
  const models: NamespaceModel[] = [];
  const files: RenderedFile[] = [];
  const generated = new Map<string, string>();
  const obsolete: string[] = [];
  const takenPorts: number[] = [];

  for (const folder of folders) {
    const repo = await repositoryFor(folder, repos);
    const saved = readAnswers(folder);
    const context = options.context ?? saved?.answers.context;
    const model = await inspectNamespace(folder, repo, contexts, {
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

export function assertMode(mode: string): Mode {
  if (mode === "write" || mode === "dry-run" || mode === "check") return mode;
  throw new UserError(`unknown mode "${mode}": use write, dry-run or check`);
}
