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

interface WritePlanAction {
  type: typeof WRITE_PLAN;
  generator: GeneratorName;
  run: (answers: never, mode: Mode) => Promise<PlanRun>;
}

/** What the generators ask plop's inquirer: one question at a time. */
export type Inquirer = { prompt: (q: object) => Promise<Record<string, unknown>> };

/**
 * A generator that writes files: `ask` turns its command line into answers, asking on a terminal
 * for what is missing; `run` plans (and, in write mode, applies) the writes; the `write-plan`
 * action reports them.
 */
export function setPlanGenerator<T extends PlanAnswers>(
  plop: NodePlopAPI,
  generator: GeneratorInfo,
  ask: (commandLine: CommandLine, inquirer: Inquirer) => Promise<T>,
  run: (answers: T, mode: Mode) => Promise<PlanRun>,
): void {
  const action: WritePlanAction = { type: WRITE_PLAN, generator: generator.name, run };
  plop.setGenerator(generator.name, {
    description: generator.description,
    prompts: (inquirer) => readAnswers(generator, (commandLine) => ask(commandLine, inquirer)),
    actions: [action as ActionConfig],
  });
}

/**
 * The action type both writing generators end with. The table goes to stdout; plop prints the
 * returned line after its ✔, or the thrown one after its ✖.
 */
export function registerWritePlanAction(plop: NodePlopAPI): void {
  plop.setActionType(WRITE_PLAN, async (answers, config) => {
    const { error, mode = "write", quiet, json } = answers as PlanAnswers;
    const { generator, run } = config as unknown as WritePlanAction;
    const started = performance.now();
    try {
      if (error) throw new UserError(error);
      // Loaded here, not at start-up: `plop --help` and `plop doctor` need none of it.
      const [{ assertMode, diffPlan }, { formatReport, jsonReport }] = await Promise.all([
        import("../helpers/plan/write-plan.ts"),
        import("../helpers/plan/report.ts"),
      ]);
      const result = await run(answers as never, assertMode(mode));
      const millis = performance.now() - started;
      const lines = formatReport(result, mode, millis, { quiet }).split("\n");
      const notes = result.notes ?? [];
      if (json) {
        // stdout is the JSON alone; the notes join the diagnostics.
        console.log(
          JSON.stringify({ generator, ...jsonReport(result, assertMode(mode), millis), ...result.json }, null, 2),
        );
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
  });
}
