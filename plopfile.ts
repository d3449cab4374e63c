// Registers the generators; all logic lives in generators/ and helpers/.
import type { NodePlopAPI } from "plop";
import { registerNamespaceGenerator } from "./generators/namespace.ts";
import { registerTiltLibGenerator } from "./generators/tilt-lib.ts";

export default function plopfile(plop: NodePlopAPI): void {
  registerNamespaceGenerator(plop);
  registerTiltLibGenerator(plop);
}
