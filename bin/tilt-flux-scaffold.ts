#!/usr/bin/env node
// `tilt-flux-scaffold <generator> [folder] [options]`: the package's own plopfile, run where
// the user stands, so that folders are relative to it and nothing is written into node_modules.
// A writing generator with nothing to ask runs without plop, whose start-up a script would pay
// on every run.
import { fileURLToPath, pathToFileURL } from "node:url";
import { argv as plopArgv } from "plop/src/args.js";
import { BIN_NAME, runningAsBin } from "../helpers/invocation.ts";
import { GENERATOR_VERSION } from "../helpers/version.ts";

// Beside this file: .js in dist/, .ts when run from the sources.
const EXTENSION = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const PLOPFILE = fileURLToPath(new URL(`../plopfile${EXTENSION}`, import.meta.url));

type Generator = { name: string; usage: string; description: string };
type Generators = typeof import("../generators/all.ts");

function usage(generators: Generator[]): string {
  const width = Math.max(...generators.map((g) => `${g.name} ${g.usage}`.length));
  return [
    `Usage: ${BIN_NAME} <generator> [folder] [options]`,
    "",
    ...generators.map((g) => `  ${`${g.name} ${g.usage}`.padEnd(width)}  ${g.description}`),
    "",
    "Folders are relative to where you run it; options go anywhere after the generator, e.g.",
    `  ${BIN_NAME} namespace . --mode check`,
    `  ${BIN_NAME} namespace --folder all`,
    `  ${BIN_NAME} namespace --help     every option of a generator`,
  ].join("\n");
}

async function main(args: string[]): Promise<number> {
  // The generator's name is the first word, as plop itself finds it; what follows is the generator's.
  // An option first names no generator (plop would take its value for one).
  const name = args[0]?.startsWith("-") ? undefined : plopArgv._[0];
  const own = name === undefined ? args : [];
  if (own.includes("--version") || own.includes("-v")) {
    console.log(GENERATOR_VERSION);
    return 0;
  }
  // plop reports a plopfile that fails to load and exits 0: load what it loads first, so that a
  // broken install exits 1.
  const all = await load<Generators>("its generators", new URL(`../generators/all${EXTENSION}`, import.meta.url).href);
  if (!all) return 1;
  const { GENERATORS: generators, PLAN_GENERATORS, generatorNameError, runWithoutPlop } = all;
  if (own.includes("--help") || own.includes("-h")) {
    console.log(usage(generators));
    return 0;
  }
  if (args.length === 0) {
    console.error(usage(generators));
    return 1;
  }
  // Never plop's "Could not find a generator", nor its picker: a name the bin can check now.
  const error = generatorNameError(
    name,
    generators.map((g) => g.name),
    false,
  );
  if (error) {
    console.error(`✖ ${error}`);
    return 1;
  }
  runningAsBin();
  const writing = PLAN_GENERATORS.find((g) => g.info.name === name);
  const code = writing && (await runWithoutPlop(writing));
  if (code !== undefined) return code;
  // Questions on a terminal, and doctor: plop.
  if (!(await load("its plopfile", pathToFileURL(PLOPFILE).href))) return 1;
  const { Plop, run } = await import("plop");
  const cwd = process.cwd();
  Plop.prepare({ cwd, configPath: PLOPFILE, preload: [] }, (env) =>
    Plop.execute(env, (ready) => run({ ...ready, dest: cwd } as typeof ready, undefined, false)),
  );
  return 0;
}

async function load<T>(what: string, url: string): Promise<T | undefined> {
  try {
    return (await import(url)) as T;
  } catch (error) {
    const file = fileURLToPath(url);
    console.error(`${BIN_NAME}: cannot load ${what} ${file}: ${(error as Error).message.split("\n")[0]}`);
    return undefined;
  }
}

process.exitCode = await main(process.argv.slice(2));
