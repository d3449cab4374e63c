// Versions the generated files record and check.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const pkg = require("../package.json") as { version: string };

/** This generator's version, recorded in each scaffolded folder's answers file. */
export const GENERATOR_VERSION: string = pkg.version;

/** Version of templates/tilt-lib/tilt_lib.star; generated Tiltfiles need at least this one. */
export const TILT_LIB_VERSION = "1.2.0";
