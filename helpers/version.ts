// Versions the generated files record and check.
import { PACKAGE_VERSION } from "./package-root.ts";

/** This generator's version, recorded in each scaffolded folder's answers file. */
export const GENERATOR_VERSION: string = PACKAGE_VERSION;

/** Version of templates/tilt-lib/tilt_lib.star; generated Tiltfiles need at least this one. */
export const TILT_LIB_VERSION = "1.2.0";

/** Version of templates/scripts/*_lib.sh; generated dashboard.sh and deploy.sh need at least this one. */
export const SCRIPT_LIB_VERSION = "1.0.0";
