// The command line after a generator's name: options anywhere, with or without `--`, as the
// table in options.ts defines them; and the check of the generator's name itself.
import { parseArgs } from "node:util";
import { UserError } from "../helpers/errors.ts";
import { generatorCommand } from "../helpers/invocation.ts";
import { OPTIONS, optionsOf, parseArgsOptions, type GeneratorName } from "./options.ts";

export interface CommandLine {
  positional: string[];
  named: Record<string, string | boolean | string[] | undefined>;
}

/** Splits argv after the generator's name into positional answers and options, wherever they stand. */
export function readCommandLine(argv: string[], generator: GeneratorName): CommandLine {
  const start = argv.indexOf(generator);
  const rest = start < 0 ? [] : argv.slice(start + 1);
  // `--` is optional: plop users are used to it, everyone else is not.
  const dashes = rest.indexOf("--");
  const args = dashes < 0 ? rest : [...rest.slice(0, dashes), ...rest.slice(dashes + 1)];
  const options = { ...parseArgsOptions(generator), help: { type: "boolean", short: "h" } } as const;
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const unknown = tokens.find((token) => token.kind === "option" && !(token.name in options));
  if (unknown?.kind === "option") throw new UserError(unknownOption(unknown.rawName, generator));
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { positional: positionals, named: values as CommandLine["named"] };
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

function unknownOption(raw: string, generator: GeneratorName): string {
  const name = raw.replace(/^-+/, "");
  const help = `${generatorCommand()} ${generator} --help lists its options`;
  const elsewhere = OPTIONS.find((o) => o.name === name);
  if (elsewhere) return `${raw} is an option of ${elsewhere.generators.join(", ")}, not of ${generator}: ${help}`;
  const guess = closest(
    name,
    optionsOf(generator).map((o) => o.name),
  );
  return `unknown option ${raw}${guess ? `: did you mean --${guess}?` : ""} (${help})`;
}

/**
 * The generator a command line names, when it names a known one; otherwise the one line that
 * says what is wrong. No name is fine on a terminal only, where plop offers a list.
 */
export function generatorNameError(
  name: string | undefined,
  names: string[],
  interactive: boolean,
): string | undefined {
  const either = names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names.join("");
  if (name === undefined)
    return interactive ? undefined : `name a generator first: ${either} (add --help for its options)`;
  if (names.includes(name)) return undefined;
  const guess = closest(name, names);
  return `unknown generator "${name}"${guess ? `: did you mean ${guess}?` : ""} (generators: ${names.join(", ")})`;
}

/** The one candidate a typo most likely meant: a unique prefix, or within two edits. */
function closest(word: string, candidates: string[]): string | undefined {
  const prefixed = candidates.filter((c) => word.length >= 2 && c.startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  const scored = candidates.map((c) => ({ c, d: editDistance(word, c) })).sort((a, b) => a.d - b.d);
  const best = scored[0];
  return best && best.d <= Math.min(2, Math.floor(word.length / 3)) && scored[1]?.d !== best.d ? best.c : undefined;
}

/** Edits between two words, a swap of neighbours counting as one (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
