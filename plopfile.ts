// Registers the generators; all logic lives in generators/ and helpers/.
import type { NodePlopAPI } from "plop";
import { NAMESPACE_GENERATOR, registerNamespaceGenerator } from "./generators/namespace.ts";
import { registerTiltLibGenerator, TILT_LIB_GENERATOR } from "./generators/tilt-lib.ts";

/** Names, usage and descriptions, for the bin's --help. */
export const GENERATORS = [NAMESPACE_GENERATOR, TILT_LIB_GENERATOR];

export default function plopfile(plop: NodePlopAPI): void {
  registerNamespaceGenerator(plop);
  registerTiltLibGenerator(plop);
}
