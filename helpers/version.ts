// Versions the generated files record and check.
import { PACKAGE_VERSION } from "./package-root.ts";

/** This generator's version, recorded in each scaffolded folder's answers file. */
export const GENERATOR_VERSION: string = PACKAGE_VERSION;

/** Version of templates/tilt-lib/tilt_lib.star; generated Tiltfiles need at least this one. */
export const TILT_LIB_VERSION = "1.4.0";

/** Version of templates/scripts/*_lib.sh. */
export const SCRIPT_LIB_VERSION = "2.0.0";

/**
 * The oldest script library that reads the facts a generated dashboard.sh or deploy.sh holds: the
 * scripts ask for it, so a library release that keeps the facts changes no namespace's files.
 * Raise it (and the library's minor version) when the facts change.
 */
export const SCRIPT_FACTS_VERSION = "2.0.0";
