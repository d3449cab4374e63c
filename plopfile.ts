// Registers the generators; all logic lives in generators/ and helpers/.
import type { NodePlopAPI } from "plop";
import * as plopModule from "plop";
import { argv } from "plop/src/args.js";
import { GENERATORS, generatorNameError, PLAN_GENERATORS } from "./generators/all.ts";
import { registerDoctorGenerator } from "./generators/doctor.ts";
import { silencePlopSpinner } from "./helpers/plan/progress.ts";
import { registerWritePlanAction, setPlanGenerator } from "./generators/wiring.ts";

export default function plopfile(plop: NodePlopAPI, config?: { destBasePath?: string }): void {
  registerWritePlanAction(plop);
  for (const generator of PLAN_GENERATORS) setPlanGenerator(plop, generator);
  registerDoctorGenerator(plop);
  // Progress is ours (stderr, a line per folder); plop's spinner would only add `- ` lines.
  silencePlopSpinner(plopModule);
  // plop passes no destBasePath only to the plopfile it runs itself (plop.load passes the
  // loader's, and the bin checks the name before plop starts): then the generator name is ours
  // to check, rather than plop's "Could not find a generator" or its picker without a terminal.
  if (config?.destBasePath !== undefined) return;
  const error = generatorNameError(
    argv._[0],
    GENERATORS.map((g) => g.name),
    process.stdin.isTTY === true,
  );
  if (error) {
    console.error(`✖ ${error}`);
    process.exit(1);
  }
}
