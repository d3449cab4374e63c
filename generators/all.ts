// Every generator, without plop: the plopfile registers them with plop; the bin runs a writing
// generator itself when it has nothing to ask, so that a scripted run does not load plop.
import { generatorNameError } from "./args.ts";
import { DOCTOR_GENERATOR } from "./doctor.ts";
import { askNamespace, NAMESPACE_GENERATOR, runNamespace } from "./namespace.ts";
import { askTiltLib, runTiltLib, TILT_LIB_GENERATOR } from "./tilt-lib.ts";
import { planGenerator } from "./wiring.ts";

export { generatorNameError };
export { runWithoutPlop } from "./wiring.ts";

/** The generators that write files. */
export const PLAN_GENERATORS = [
  planGenerator(NAMESPACE_GENERATOR, askNamespace, runNamespace),
  planGenerator(TILT_LIB_GENERATOR, askTiltLib, runTiltLib),
];

/** Names, usage and descriptions, for the bin's --help. */
export const GENERATORS = [NAMESPACE_GENERATOR, TILT_LIB_GENERATOR, DOCTOR_GENERATOR];
