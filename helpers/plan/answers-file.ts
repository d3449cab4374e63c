// `.tilt-scaffold.yaml`: what a namespace folder remembers between runs (like copier's answers file).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { dump, load, type YAMLException } from "js-yaml";
import { UserError } from "../errors.ts";
import type { ContextSource } from "../live-cluster/flux-context.ts";
import { GENERATOR_VERSION } from "../version.ts";

import { ANSWERS_FILE } from "../templates.ts";

export { ANSWERS_FILE };

export interface SavedAnswers {
  generator: string;
  /** The Kubernetes namespace of a namespace folder; absent in the repository's own file. */
  namespace?: string;
  /** The folder's name in the root Tiltfile and in its Flux resources (`<name>-flux`). */
  name?: string;
  /** `contextFrom`: how the Flux cluster's context was given (`option`, `terminal`). */
  answers: { context?: string; contextFrom?: ContextSource; forwards?: string[]; tilt?: string; argocdApp?: string };
  /** Local port of each forward, by forward key, so ports stay put across runs. */
  ports: Record<string, number>;
  /** Folder-relative path → sha256 of the content generated there. */
  files: Record<string, string>;
}

function newer(a: string, b: string): boolean {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) > (pb[i] ?? 0);
  return false;
}

export function readAnswers(folder: string): SavedAnswers | undefined {
  const file = path.join(folder, ANSWERS_FILE);
  if (!existsSync(file)) return undefined;
  let data: unknown;
  try {
    data = load(readFileSync(file, "utf8"));
  } catch (error) {
    const { reason, mark } = error as YAMLException;
    throw new UserError(
      `${file}: invalid YAML${mark ? ` at line ${mark.line + 1}` : ""}: ${reason ?? (error as Error).message}; fix it or restore it from git`,
    );
  }
  const damaged = shapeError(data);
  // Rewriting it would drop the hashes that tell hand edits apart: refuse, and say where.
  if (damaged) throw new UserError(`${file}: ${damaged}; fix it or restore it from git`);
  const saved = data as Partial<SavedAnswers>;
  const generator = String(saved.generator ?? "0.0.0");
  if (newer(generator, GENERATOR_VERSION)) {
    throw new UserError(
      `${file} was written by tilt-flux-scaffold ${generator}, newer than this one (${GENERATOR_VERSION}): update the generator`,
    );
  }
  return {
    generator,
    namespace: saved.namespace,
    name: saved.name,
    answers: saved.answers ?? {},
    ports: saved.ports ?? {},
    files: saved.files ?? {},
  };
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const shown = (value: unknown) => (Array.isArray(value) ? "a list" : JSON.stringify(value));

/** What is wrong with the file's structure, field by field, or nothing. */
function shapeError(data: unknown): string | undefined {
  if (data === undefined || data === null) return "empty, where a mapping of answers, ports and file hashes belongs";
  if (!isMapping(data)) return `${shown(data)}, where a mapping of answers, ports and file hashes belongs`;
  for (const field of ["generator", "namespace", "name"] as const) {
    if (data[field] !== undefined && typeof data[field] !== "string")
      return `${field} is ${shown(data[field])}, not a string`;
  }
  for (const field of ["answers", "ports", "files"] as const) {
    if (data[field] !== undefined && !isMapping(data[field])) return `${field} is ${shown(data[field])}, not a mapping`;
  }
  const port = Object.entries((data.ports ?? {}) as Record<string, unknown>).find(
    ([, value]) => !Number.isInteger(value),
  );
  if (port) return `ports.${port[0]} is ${shown(port[1])}, not a port number`;
  const hash = Object.entries((data.files ?? {}) as Record<string, unknown>).find(
    ([, value]) => typeof value !== "string",
  );
  if (hash) return `files.${hash[0]} is ${shown(hash[1])}, not a hash`;
  return undefined;
}

export function renderAnswers(saved: SavedAnswers): string {
  return (
    "# Written by tilt-flux-scaffold: the answers of the last run and a hash of each file as it was generated.\n" +
    "# A re-run asks nothing it finds here and keeps files whose hash no longer matches (edited by hand).\n" +
    dump(saved, { sortKeys: true, lineWidth: -1 })
  );
}
