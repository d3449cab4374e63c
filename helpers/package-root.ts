// The package's own folder, found at run time: the same from the sources and from dist/.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const NAME = "tilt-flux-scaffold";

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === NAME) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json of ${NAME} above ${start}`);
  }
}

/** Holds package.json and templates/; in this project's clone also examples/. */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

