// A run without helm (or git, for charts of other Git repositories) renders no chart and writes
// the tooling without what the charts give (forwards, pods): the files then depend on the machine.
// This names those files in one line, and refuses to rewrite committed ones unless told to.
import path from "node:path";
import { UserError } from "../errors.ts";
import type { MissingTool } from "../repository/helm.ts";
import { ANSWERS_FILE } from "./answers-file.ts";
import { planChanges, type Mode, type PlannedWrite } from "./write-plan.ts";

/** Folders whose HelmReleases a missing tool left unrendered, by tool. */
export type MissingTools = Map<MissingTool, Set<string>>;

/**
 * The one line per missing tool that ends the run. In write mode, rewriting a file that is there
 * (committed by someone who had the tool) is refused without --force: it would silently drop
 * what the charts give. New files, and new versions written beside edited ones, lose nothing.
 */
export function missingToolLines(
  missing: MissingTools,
  plan: PlannedWrite[],
  root: string,
  mode: Mode,
  force: boolean,
): string[] {
  const changes = planChanges(plan).filter((write) => path.basename(write.path) !== ANSWERS_FILE);
  const lines: string[] = [];
  for (const [tool, folders] of missing) {
    const inFolders = changes.filter((write) =>
      [...folders].some((folder) => write.path.startsWith(folder + path.sep)),
    );
    const names = inFolders.map((write) => path.relative(root, write.path)).join(", ");
    const folderNames = [...folders].map((folder) => path.relative(root, folder) || ".").join(", ");
    const why = `${tool} is not installed, so the HelmReleases' charts of ${folderNames} are not rendered (their forwards and pods are left out)`;
    if (mode === "write" && !force && inFolders.some((write) => write.outcome === "update")) {
      throw new UserError(
        `${why}: writing would change ${names}; install ${tool}, or add --force to write them anyway`,
      );
    }
    const verb = mode === "write" ? "written" : "to be written";
    lines.push(`${why}${inFolders.length > 0 ? `; files ${verb} so: ${names}` : ""}; install ${tool} and run again`);
  }
  return lines;
}
