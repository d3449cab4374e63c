// `plop namespace`: prompts and wiring only; the work is in helpers/scaffold.ts.
import { existsSync } from "node:fs";
import path from "node:path";
import { UserError } from "../helpers/errors.ts";
import { generatorCommand } from "../helpers/invocation.ts";
import { PACKAGE_ROOT } from "../helpers/package-root.ts";
import { isInsideFolder } from "../helpers/repository/files.ts";
import type { AskContext } from "../helpers/live-cluster/flux-context.ts";
import type { Mode } from "../helpers/plan/write-plan.ts";
import type { CommandLine } from "./args.ts";
import type { Inquirer, PlanAnswers, PlanRun } from "./wiring.ts";

/** What `npx plop namespace` scaffolds with no answer, inside this project's clone (it is not packed). */
export const EMBEDDED_EXAMPLE = path.join(PACKAGE_ROOT, "examples", "homelab");

/** Inside this project's clone the embedded example stands in for a missing answer; elsewhere nothing does. */
export function exampleIsDefault(cwd: string): boolean {
  return existsSync(EMBEDDED_EXAMPLE) && isInsideFolder(cwd, PACKAGE_ROOT);
}

interface NamespaceAnswers extends PlanAnswers {
  folders: string[];
  context?: string;
  forwards?: string[];
  tilt?: string;
  argocdApp?: string;
  force: boolean;
  /** On a terminal: the question for the Flux cluster's kube context, asked only if a new folder needs it. */
  askContext?: AskContext;
}

/** Folders to scaffold: the answer, or every namespace folder of the embedded example. */
async function defaultFolders(): Promise<string[]> {
  const { scanRepository } = await import("../helpers/repository/scan.ts");
  const repo = await scanRepository(path.join(EMBEDDED_EXAMPLE, "clusters"));
  return repo.namespaceFolders.map((folder) => path.join(repo.root, folder));
}

const NAME_A_FOLDER = () =>
  `name a namespace folder: ${generatorCommand()} namespace <folder>, or ${generatorCommand()} namespace -- --folder all`;

/**
 * Asks for the Flux cluster's kube context now, while plop prompts (its actions run under a
 * spinner), when a folder has no answers file yet; the kubeconfig's current context is only the
 * default. Scaffold takes the answer for those folders alone.
 */
async function contextQuestion(
  inquirer: Inquirer,
  folders: string[],
  context: string | undefined,
): Promise<AskContext | undefined> {
  const { ANSWERS_FILE } = await import("../helpers/plan/answers-file.ts");
  const { readKubeContexts } = await import("../helpers/live-cluster/kubeconfig.ts");
  if (context !== undefined || folders.every((f) => f === "all" || existsSync(path.resolve(f, ANSWERS_FILE))))
    return undefined;
  const { names, current } = await readKubeContexts();
  if (names.length === 0) return undefined;
  const none = { name: "none: no cluster here is Flux's (tilt up treats each as a local one)", value: "none" };
  const choices = [...names.map((name) => ({ name, value: name })), none];
  const answer = await inquirer.prompt({
    type: "list",
    name: "context",
    message: "Kube context of the cluster Flux manages",
    choices,
    default: current ?? "none",
  });
  return async () => String(answer.context);
}

async function askFolder(inquirer: Inquirer): Promise<string[]> {
  const { scanRepository } = await import("../helpers/repository/scan.ts");
  const repo = await scanRepository(process.cwd()).catch(() => undefined);
  const choices = repo?.namespaceFolders.map((folder) => ({ name: folder, value: path.join(repo.root, folder) })) ?? [];
  if (choices.length === 0 && exampleIsDefault(process.cwd())) return defaultFolders();
  if (choices.length === 0)
    throw new UserError(`no namespace folder found around ${process.cwd()}: ${NAME_A_FOLDER()}`);
  const { folder } = await inquirer.prompt({ type: "list", name: "folder", message: "Namespace folder", choices });
  return [String(folder)];
}

export const NAMESPACE_GENERATOR = {
  name: "namespace" as const,
  usage: "[folder]",
  description: "Tiltfile, dev overlays and scripts for a namespace folder",
};

export async function askNamespace({ positional, named }: CommandLine, inquirer: Inquirer): Promise<NamespaceAnswers> {
  if (positional.length > (named.folder === undefined ? 1 : 0)) {
    throw new UserError(
      `one namespace folder only, got ${positional.join(" ")}${named.folder === undefined ? "" : ` besides --folder ${String(named.folder)}`}`,
    );
  }
  const folder = (named.folder as string | undefined) ?? positional[0];
  // Never block without a terminal: every missing answer takes its inspected default.
  let folders: string[];
  if (folder) folders = [folder];
  else if (process.stdin.isTTY) folders = await askFolder(inquirer);
  else if (exampleIsDefault(process.cwd())) folders = await defaultFolders();
  else throw new UserError(`no folder given and no terminal to ask on: ${NAME_A_FOLDER()}`);
  const context = named.context as string | undefined;
  return {
    folders,
    context,
    askContext: process.stdin.isTTY ? await contextQuestion(inquirer, folders, context) : undefined,
    forwards: (named.forward as string[] | undefined)?.flatMap((f) => f.split(",")).filter(Boolean),
    tilt: named.tilt as string | undefined,
    argocdApp: named["argocd-app"] as string | undefined,
    mode: named.mode as string | undefined,
    force: named.force === true,
    quiet: named.quiet === true,
    json: named.json === true,
  };
}

export async function runNamespace(
  { folders, context, askContext, forwards, tilt, argocdApp, force, quiet }: NamespaceAnswers,
  mode: Mode,
): Promise<PlanRun> {
  // Loaded here, not at start-up: `plop tilt-lib` and `plop --help` need none of it.
  const { scaffold } = await import("../helpers/scaffold.ts");
  const result = await scaffold({
    folders,
    cwd: process.cwd(),
    context,
    askContext,
    forwards,
    tilt,
    argocdApp,
    mode,
    force,
    progress: quiet ? undefined : process.stderr,
  });
  const namespaces = result.models.map((m) => ({
    name: m.name,
    namespace: m.namespace,
    folder: m.folderInRepo,
    context: m.context ?? null,
  }));
  const warnings = [...result.warnings, ...result.missingTools];
  return {
    ...result,
    root: result.models[0]?.repoRoot ?? process.cwd(),
    title: result.models.map((m) => m.name).join(", "),
    subject: "tooling",
    notes: result.fluxClusters,
    warnings,
    json: { namespaces, warnings },
  };
}
