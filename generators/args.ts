// plop-style answers from the command line: `plop <generator> [folder] -- --name value …`.
import { parseArgs } from "node:util";
import { UserError } from "../helpers/errors.ts";

export interface CommandLine {
  positional: string[];
  named: Record<string, string | boolean | string[] | undefined>;
}

/** Splits argv after the generator's name into the positional answers and the named ones after `--`. */
export function readCommandLine(argv: string[], generator: string, options: Record<string, { type: "string" | "boolean"; multiple?: boolean }>): CommandLine {
  const start = argv.indexOf(generator);
  const rest = start < 0 ? [] : argv.slice(start + 1);
  const dashes = rest.indexOf("--");
  const positional = dashes < 0 ? rest : rest.slice(0, dashes);
  const namedArgs = dashes < 0 ? [] : rest.slice(dashes + 1);
  try {
    const { values, positionals } = parseArgs({ args: namedArgs, options, strict: true, allowPositionals: true });
    return { positional: [...positional, ...positionals], named: values as CommandLine["named"] };
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}
