// `plop tilt-lib [dir]`: prompts and wiring only; the work is in helpers/tilt-lib/package.ts.
import { existsSync } from "node:fs";
import path from "node:path";
import { UserError } from "../helpers/errors.ts";
import { ANSWERS_FILE, parseList, type TiltLibAnswers } from "../helpers/tilt-lib/answers.ts";
import { DEFAULT_PACKAGE_DIR } from "../helpers/tilt-lib/target.ts";
import { generatorCommand } from "../helpers/invocation.ts";
import type { Mode } from "../helpers/plan/write-plan.ts";
import { EMBEDDED_EXAMPLE, exampleIsDefault } from "./namespace.ts";
import type { CommandLine } from "./args.ts";
import type { Inquirer, PlanAnswers, PlanRun } from "./wiring.ts";

/** Options whose answer is one string, by the answer's name. */
const STRING_ANSWERS = {
  project: "project",
  "repo-url": "repoUrl",
  path: "path",
  revision: "revision",
  "platform-group": "platformGroup",
  "developer-group": "developerGroup",
  "argocd-namespace": "argocdNamespace",
  container: "container",
  "workspace-label": "workspaceLabel",
} as const;

interface TiltLibPromptAnswers extends PlanAnswers {
  dir: string;
  answers: Partial<TiltLibAnswers>;
  force: boolean;
}

/** The embedded example's package: what a run with no answer at all writes. */
const EXAMPLE_PACKAGE = path.join(EMBEDDED_EXAMPLE, DEFAULT_PACKAGE_DIR);

function givenAnswers(named: Record<string, string | boolean | string[] | undefined>): Partial<TiltLibAnswers> {
  const answers: Partial<TiltLibAnswers> = {};
  for (const [option, key] of Object.entries(STRING_ANSWERS)) {
    const value = named[option];
    if (typeof value === "string") answers[key] = value;
  }
  if (typeof named.namespaces === "string") answers.namespaces = parseList(named.namespaces);
  if (typeof named.pin === "string") answers.pins = parseList(named.pin);
  return answers;
}

/** On a terminal: the package folder, offering `<repository root>/tilt-lib` of where you are. */
async function askDir(inquirer: Inquirer): Promise<string> {
  // Without git, look only below where you are: that is the repository root or nothing.
  const { scanRepository } = await import("../helpers/repository/scan.ts");
  const cwd = process.cwd();
  const repo = await scanRepository(cwd, cwd).catch(() => undefined);
  const inExample = exampleIsDefault(cwd) && !repo?.namespaceFolders.length;
  const suggested = inExample ? EXAMPLE_PACKAGE : path.join(repo?.root ?? cwd, DEFAULT_PACKAGE_DIR);
  const { dir } = await inquirer.prompt({ type: "input", name: "dir", message: "Package folder", default: suggested });
  return String(dir);
}

async function askNamespaces(inquirer: Inquirer): Promise<string[]> {
  const { namespaces } = await inquirer.prompt({
    type: "input",
    name: "namespaces",
    message: "Workspace namespaces (comma-separated)",
    default: "coder",
  });
  return parseList(String(namespaces));
}

export const TILT_LIB_GENERATOR = {
  name: "tilt-lib" as const,
  usage: "[dir]",
  description: "the platform package: tilt_lib.star as ConfigMaps for ArgoCD",
};

export async function askTiltLib(
  { positional, named }: CommandLine,
  inquirer: Inquirer,
): Promise<TiltLibPromptAnswers> {
  const fromLine = (named.dir as string | undefined) ?? positional[0];
  if (positional.length > (named.dir === undefined ? 1 : 0))
    throw new UserError(`one package folder only, got ${positional.join(" ")}`);
  // Never block without a terminal: no folder means the embedded example's package, inside
  // this project only.
  const interactive = process.stdin.isTTY === true;
  if (!fromLine && !interactive && !exampleIsDefault(process.cwd())) {
    throw new UserError(
      `no folder given and no terminal to ask on: name the package folder, e.g. ${generatorCommand()} tilt-lib ${DEFAULT_PACKAGE_DIR}`,
    );
  }
  const answers = givenAnswers(named);
  const dir = fromLine ?? (interactive ? await askDir(inquirer) : EXAMPLE_PACKAGE);
  const firstRun = !existsSync(path.resolve(dir, ANSWERS_FILE));
  if (interactive && firstRun && answers.namespaces === undefined) answers.namespaces = await askNamespaces(inquirer);
  return {
    dir,
    answers,
    mode: named.mode as string | undefined,
    force: named.force === true,
    json: named.json === true,
  };
}

export async function runTiltLib({ dir, answers, force }: TiltLibPromptAnswers, mode: Mode): Promise<PlanRun> {
  // Loaded here, not at start-up: `plop namespace` needs none of it.
  const { generateTiltLibPackage } = await import("../helpers/tilt-lib/package.ts");
  const result = await generateTiltLibPackage({ dir, cwd: process.cwd(), answers, mode, force });
  const title = `tilt-lib ${result.model.version} in ${result.model.dirInRepo}`;
  return {
    ...result,
    root: result.repoRoot,
    title,
    subject: "the tilt-lib package",
    json: { version: result.model.version },
  };
}
