// `.tilt-scaffold.yaml`: what a namespace folder remembers between runs (like copier's answers file).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { dump, load } from "js-yaml";
import { UserError } from "../errors.ts";
import type { ContextSource } from "../live-cluster/flux-context.ts";
import { GENERATOR_VERSION } from "../version.ts";

export const ANSWERS_FILE = ".tilt-scaffold.yaml";

export interface SavedAnswers {
  generator: string;
  /** The Kubernetes namespace of a namespace folder; absent in the repository's own file. */
  namespace?: string;
  /** The folder's name in the root Tiltfile and in its Flux resources (`<name>-flux`). */
  name?: string;
  /** `contextFrom`: how the Flux cluster's context was given (`option`, `terminal`). */
  answers: { context?: string; contextFrom?: ContextSource; forwards?: string[]; tilt?: string };
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
  let data: Partial<SavedAnswers>;
  try {
    data = (load(readFileSync(file, "utf8")) ?? {}) as Partial<SavedAnswers>;
  } catch (error) {
    throw new UserError(`${file}: invalid YAML: ${(error as Error).message}`);
  }
  const generator = String(data.generator ?? "0.0.0");
  if (newer(generator, GENERATOR_VERSION)) {
    throw new UserError(`${file} was written by tilt-flux-scaffold ${generator}, newer than this one (${GENERATOR_VERSION}): update the generator`);
  }
  return { generator, namespace: data.namespace, name: data.name, answers: data.answers ?? {}, ports: data.ports ?? {}, files: data.files ?? {} };
}

export function renderAnswers(saved: SavedAnswers): string {
  return (
    "# Written by tilt-flux-scaffold: the answers of the last run and a hash of each file as it was generated.\n" +
    "# A re-run asks nothing it finds here and keeps files whose hash no longer matches (edited by hand).\n" +
    dump(saved, { sortKeys: true, lineWidth: -1 })
  );
}
