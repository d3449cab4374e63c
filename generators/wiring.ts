// What the generators share: reading the command line into answers, and the `write-plan` action
// type that runs a generator's plan of writes, prints its report and fails a stale check.
import type { ActionConfig, NodePlopAPI } from "plop";
import { UserError } from "../helpers/errors.ts";
import { generatorCommand } from "../helpers/invocation.ts";
import type { ReportInput } from "../helpers/plan/report.ts";
import type { Mode, PlannedWrite } from "../helpers/plan/write-plan.ts";
import { readCommandLine, type CommandLine } from "./args.ts";
import { generatorHelp, type GeneratorName } from "./options.ts";

export interface GeneratorInfo {
  name: GeneratorName;
  usage: string;
  description: string;
}

/** A command line that cannot be read: reported by the action, so that every error looks the same. */
export interface AnswerError {
  error: string;
}

/**
 * Reads the generator's command line and hands it to `read`, which asks what is missing. `--help`
 * prints the generator's options and exits; a UserError becomes the answer `error`.
 */
export async function readAnswers<T extends object>(
  generator: GeneratorInfo,
  read: (commandLine: CommandLine) => Promise<T> | T,
): Promise<T | AnswerError> {
  try {
    const commandLine = readCommandLine(process.argv, generator.name);
    if (commandLine.named.help) {
      console.log(generatorHelp(generator, generatorCommand()));
      process.exit(0);
    }
    return await read(commandLine);
  } catch (error) {
    if (error instanceof UserError) return { error: error.message };
    throw error;
  }
}

/** The options every generator that writes files takes, as answers. */
export interface PlanAnswers {
  error?: string;
  mode?: string;
  quiet?: boolean;
  json?: boolean;
}

/** What a generator's run planned (and, in write mode, applied), for the report. */
export interface PlanRun extends ReportInput {
  changes: PlannedWrite[];
  changed: boolean;
  /** What a check finds stale, e.g. `tooling`. */
  subject: string;
  /** Lines printed after the table (stderr with --json). */
  notes?: string[];
  warnings?: string[];
  /** Fields `--json` adds after the report's. */
  json?: Record<string, unknown>;
}

const WRITE_PLAN = "write-plan";

/** What plop's inquirer does for the generators: one question at a time. */
export type Inquirer = { prompt: (q: object) => Promise<Record<string, unknown>> };

/**
 * A generator that writes files: `ask` turns its command line into answers, asking on a terminal
 * for what is missing; `run` plans (and, in write mode, applies) the writes; `runPlan` reports them.
 */
export interface PlanGenerator {
  info: GeneratorInfo;
  ask: (commandLine: CommandLine, inquirer: Inquirer) => Promise<PlanAnswers>;
  run: (answers: PlanAnswers, mode: Mode) => Promise<PlanRun>;
}

/** Pairs a generator's questions with its run, which takes the answers they give. */
export function planGenerator<T extends PlanAnswers>(
  info: GeneratorInfo,
  ask: (commandLine: CommandLine, inquirer: Inquirer) => Promise<T>,
  run: (answers: T, mode: Mode) => Promise<PlanRun>,
): PlanGenerator {
  return { info, ask, run: run as PlanGenerator["run"] };
}

interface WritePlanAction {
  type: typeof WRITE_PLAN;
  generator: PlanGenerator;
}

/** Registers a generator with plop: its prompts read the command line, its one action is `write-plan`. */
export function setPlanGenerator(plop: NodePlopAPI, generator: PlanGenerator): void {
  const action: WritePlanAction = { type: WRITE_PLAN, generator };
  plop.setGenerator(generator.info.name, {
    description: generator.info.description,
    prompts: (inquirer) => readAnswers(generator.info, (commandLine) => generator.ask(commandLine, inquirer)),
    actions: [action as ActionConfig],
  });
}

/** The action type both writing generators end with. */
export function registerWritePlanAction(plop: NodePlopAPI): void {
  plop.setActionType(WRITE_PLAN, (answers, config) =>
    runPlan(answers as PlanAnswers, (config as unknown as WritePlanAction).generator),
  );
}

/**
 * Runs a generator's plan and reports it: the table goes to stdout; the returned line is what
 * follows plop's ✔, the thrown one what follows its ✖.
 */
async function runPlan(answers: PlanAnswers, generator: PlanGenerator): Promise<string> {
  const { error, mode = "write", quiet, json } = answers;
  const started = performance.now();
  try {
    if (error) throw new UserError(error);
    // Loaded here, not at start-up: `--help` and `doctor` need none of it.
    const [{ assertMode, diffPlan }, { formatReport, jsonReport }] = await Promise.all([
      import("../helpers/plan/write-plan.ts"),
      import("../helpers/plan/report.ts"),
    ]);
    const result = await generator.run(answers, assertMode(mode));
    const millis = performance.now() - started;
    const lines = formatReport(result, mode, millis, { quiet }).split("\n");
    const notes = result.notes ?? [];
    if (json) {
      // stdout is the JSON alone; the notes join the diagnostics.
      const report = {
        generator: generator.info.name,
        ...jsonReport(result, assertMode(mode), millis),
        ...result.json,
      };
      console.log(JSON.stringify(report, null, 2));
      for (const line of notes) console.error(line);
    } else {
      console.log([...lines.slice(0, -1), ...notes].join("\n"));
    }
    // Diagnostics go where plop's ✔ and ✖ go; stdout keeps the results.
    for (const warning of result.warnings ?? []) console.error(`warning: ${warning}`);
    if (mode === "dry-run" && !json) for (const diff of await diffPlan(result.plan)) console.log(diff);
    if (mode === "check" && result.changed) throw new UserError(`${result.subject} is stale: ${lines.at(-1)}`);
    return lines.at(-1)!;
  } catch (error) {
    if (error instanceof UserError) throw error.message;
    throw error;
  }
}

/** What a question raises where the bin runs a generator without plop: plop runs it instead. */
class QuestionToAsk extends Error {}

const NO_QUESTIONS: Inquirer = { prompt: () => Promise.reject(new QuestionToAsk()) };

/**
 * Runs a writing generator as plop would, printing plop's ✔ or ✖ line, when it has nothing to ask
 * (always without a terminal): the exit code, or undefined when it would ask a question.
 */
export async function runWithoutPlop(generator: PlanGenerator): Promise<number | undefined> {
  let answers: PlanAnswers;
  try {
    answers = await readAnswers(generator.info, (commandLine) => generator.ask(commandLine, NO_QUESTIONS));
  } catch (error) {
    if (error instanceof QuestionToAsk) return undefined;
    throw error;
  }
  const { default: colors } = await import("picocolors");
  const line = (mark: string, text: string) => console.error(`${mark}  ${colors.dim(WRITE_PLAN)} ${text}`);
  try {
    line(colors.green("✔"), await runPlan(answers, generator));
    return 0;
  } catch (error) {
    line(colors.red("✖"), typeof error === "string" ? error : (error as Error).message);
    return 1;
  }
}
