// Where the templates live, and the shape of a rendered file: shared by every generator.
import { readFileSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "./package-root.ts";

export const TEMPLATES_DIR = path.join(PACKAGE_ROOT, "templates");

/** What each folder the generators write remembers of their runs (answers, ports, file hashes). */
export const ANSWERS_FILE = ".tilt-scaffold.yaml";

/** Where a workspace finds tilt_lib.star: the platform's mount, else the repository's copy. */
export const MOUNTED_TILT_LIB_DIR = "/apps/tilt-lib";
export const REPO_TILT_LIB = "tilt-lib/tilt_lib.star";

/** The shell libraries of dashboard.sh and deploy.sh, beside tilt_lib.star: one copy per repository. */
export const REPO_SCRIPT_LIBRARIES = [
  "tilt-lib/script_common.sh",
  "tilt-lib/dashboard_lib.sh",
  "tilt-lib/dashboard.jq",
  "tilt-lib/deploy_lib.sh",
  "tilt-lib/deploy_validate.sh",
  "tilt-lib/deploy_git.sh",
  "tilt-lib/deploy_wait.sh",
  "tilt-lib/argocd_lib.sh",
];

export function scriptLibrarySource(repoFile: string): string {
  return readFileSync(path.join(TEMPLATES_DIR, "scripts", path.basename(repoFile)), "utf8");
}

/**
 * The files of the Tilt library: tilt_lib.star, the entry point Tiltfiles load, first, then the
 * tilt_lib_*.star it loads from its own folder. A copy of the library is all of them, side by side.
 */
export const TILT_LIB_PARTS = [
  "tilt_lib.star",
  "tilt_lib_argocd.star",
  "tilt_lib_buttons.star",
  "tilt_lib_charts.star",
  "tilt_lib_flux.star",
  "tilt_lib_flux_build.star",
  "tilt_lib_resources.star",
  "tilt_lib_storage.star",
];

/** The source of one file of the library (TILT_LIB_PARTS); tilt_lib.star when none is named. */
export function tiltLibSource(file = "tilt_lib.star"): string {
  return readFileSync(path.join(TEMPLATES_DIR, "tilt-lib", file), "utf8");
}

export interface RenderedFile {
  /** Absolute path. */
  path: string;
  content: string;
  executable?: boolean;
}
