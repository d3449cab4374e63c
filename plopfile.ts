// Registers the generators; all logic lives in generators/ and helpers/.
import type { NodePlopAPI } from "plop";
import * as plopModule from "plop";
import { argv } from "plop/src/args.js";
import { generatorNameError } from "./generators/args.ts";
import { DOCTOR_GENERATOR, registerDoctorGenerator } from "./generators/doctor.ts";
import { askNamespace, NAMESPACE_GENERATOR, runNamespace } from "./generators/namespace.ts";
import { askTiltLib, runTiltLib, TILT_LIB_GENERATOR } from "./generators/tilt-lib.ts";
import { silencePlopSpinner } from "./helpers/plan/progress.ts";
import { registerWritePlanAction, setPlanGenerator } from "./generators/wiring.ts";

/** For the bin, which checks the generator's name before plop starts. */
export { generatorNameError };

/** Names, usage and descriptions, for the bin's --help. */
export const GENERATORS = [NAMESPACE_GENERATOR, TILT_LIB_GENERATOR, DOCTOR_GENERATOR];

export default function plopfile(plop: NodePlopAPI, config?: { destBasePath?: string }): void {
  registerWritePlanAction(plop);
  setPlanGenerator(plop, NAMESPACE_GENERATOR, askNamespace, runNamespace);
  setPlanGenerator(plop, TILT_LIB_GENERATOR, askTiltLib, runTiltLib);
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
