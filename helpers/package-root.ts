// The package's own folder and manifest, found at run time: the same from the sources and from dist/.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const NAME = "tilt-flux-scaffold";

interface PackageManifest {
  name?: string;
  version: string;
}

/** The nearest package.json above `start` that is this package's, read once. */
function findPackage(start: string): { root: string; manifest: PackageManifest } {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    const manifest = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as PackageManifest) : undefined;
    if (manifest?.name === NAME) return { root: dir, manifest };
    if (path.dirname(dir) === dir) throw new Error(`no package.json of ${NAME} above ${start}`);
  }
}

const found = findPackage(path.dirname(fileURLToPath(import.meta.url)));

/** Holds package.json and templates/; in this project's clone also examples/. */
export const PACKAGE_ROOT = found.root;
export const PACKAGE_VERSION = found.manifest.version;
