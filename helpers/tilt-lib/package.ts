// One run of `plop tilt-lib`: answers in, the platform package planned, then applied or previewed.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.ts";
import {
  MOUNTED_TILT_LIB_DIR,
  REPO_TILT_LIB,
  TILT_LIB_PARTS,
  tiltLibSource,
  TEMPLATES_DIR,
  type RenderedFile,
} from "../templates.ts";
import type { Repository } from "../repository/scan.ts";
import {
  ANSWERS_FILE,
  FIXED_DEFAULTS,
  readSavedAnswers,
  renderSavedAnswers,
  validateAnswers,
  type TiltLibAnswers,
} from "./answers.ts";
import { renderTiltLibPackage, type PackagedFile, type PackagedKey, type TiltLibModel } from "./render.ts";
import { resolvePackageTarget, type PackageTarget } from "./target.ts";
import { applyPlan, planChanges, planWrites, sha256, type Mode, type PlannedWrite } from "../plan/write-plan.ts";
import { toPosix } from "../repository/files.ts";
import { GENERATOR_VERSION } from "../version.ts";
import { generatorCommand } from "../invocation.ts";

/** Where workspaces mount the library: where namespace Tiltfiles look for it. */
export const LIBRARY_MOUNT = MOUNTED_TILT_LIB_DIR;
export const TEMPLATE_MOUNT = "/apps/template";
const LIBRARY_FILE = "tilt_lib.star";
const TILTFILE_TEMPLATE = "template/Tiltfile.hbs";

export interface TiltLibOptions {
  /** The package folder, absolute or relative to `cwd`; it may not exist yet. */
  dir: string;
  cwd: string;
  /** Answers given this time; the rest come from the answers file, then from the repository. */
  answers: Partial<TiltLibAnswers>;
  mode?: Mode;
  force?: boolean;
}

export interface TiltLibResult {
  model: TiltLibModel;
  repoRoot: string;
  plan: PlannedWrite[];
  /** Files the last run generated that this one no longer does: reported, never deleted. */
  obsolete: string[];
  /** The writes that change a file or its `.new`, decided before any is applied. */
  changes: PlannedWrite[];
  changed: boolean;
}

/** `VERSION = "1.2.3"` of a tilt_lib.star. */
export function readLibraryVersion(source: string, file: string): string {
  const version = /^VERSION = "([^"]*)"$/m.exec(source)?.[1];
  if (version === undefined || !/^[0-9]+\.[0-9]+\.[0-9]+$/.test(version)) {
    throw new UserError(`${file}: invalid version: no VERSION = "<major>.<minor>.<patch>" line`);
  }
  return version;
}

function major(version: string): string {
  return `v${version.split(".")[0]}`;
}

/** Defaults taken from the repository: the Flux GitRepository its Kustomizations sync from, else git's `origin`. */
export function repositoryDefaults(
  repo: Repository,
  dirInRepo: string,
  originUrl?: string,
): Pick<TiltLibAnswers, "path"> & Partial<TiltLibAnswers> {
  const used = repo.kustomizations.find(
    (k) =>
      k.sourceRef.kind === "GitRepository" && repo.gitRepositories.some((g) => g.name === k.sourceRef.name && g.url),
  );
  const source =
    repo.gitRepositories.find((g) => g.name === used?.sourceRef.name && g.url) ??
    repo.gitRepositories.find((g) => g.url);
  if (source?.url) return { path: dirInRepo, repoUrl: source.url, revision: source.branch ?? "HEAD" };
  return { path: dirInRepo, ...(originUrl && { repoUrl: originUrl }) };
}

function chooseAnswers(
  target: PackageTarget,
  saved: Partial<TiltLibAnswers> | undefined,
  given: Partial<TiltLibAnswers>,
): TiltLibAnswers {
  // No repoUrl default without a Flux GitRepository: "" makes validateAnswers ask for the answer.
  const merged = {
    ...FIXED_DEFAULTS,
    repoUrl: "",
    revision: "HEAD",
    ...repositoryDefaults(target.repo, target.dirInRepo, target.originUrl),
    ...saved,
    ...given,
  };
  return validateAnswers({ ...merged, pins: [...merged.pins].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))) });
}

/** What will be in the file after the run: the new content, or the hand-edited one that is kept. */
function contentAfter(file: RenderedFile, generated: Map<string, string>, force: boolean): string {
  const [write] = planWrites([file], generated, force);
  return write!.outcome.startsWith("kept") ? write!.current! : file.content;
}

/**
 * A pinned copy is written once, from the current library of the same major, and never
 * rewritten: it is what workspaces pinned to that major keep getting. It holds the files of the
 * library it was copied from: one tilt_lib.star for a copy older than the library's parts.
 */
function pinnedCopy(
  dir: string,
  tag: string,
  library: { files: Map<string, string>; version: string },
): { file: PackagedFile; contents: Map<string, string> } {
  const folder = `versions/${tag}`;
  const rel = `${folder}/${LIBRARY_FILE}`;
  const abs = (file: string) => path.join(dir, ...folder.split("/"), file);
  let contents: Map<string, string>;
  if (existsSync(abs(LIBRARY_FILE))) {
    contents = new Map(
      TILT_LIB_PARTS.filter((file) => existsSync(abs(file))).map((file) => [file, readFileSync(abs(file), "utf8")]),
    );
  } else if (major(library.version) === tag) {
    contents = library.files;
  } else {
    throw new UserError(
      `cannot pin ${tag}: ${rel} does not exist and ${LIBRARY_FILE} is ${library.version}; a pin copies the library while it is ${tag}.x (or add ${rel} by hand)`,
    );
  }
  const version = readLibraryVersion(contents.get(LIBRARY_FILE)!, rel);
  if (major(version) !== tag)
    throw new UserError(`${rel}: invalid version ${version} for pin ${tag}: its VERSION must be ${tag.slice(1)}.x.y`);
  const description = `pinned ${tag} (${rel}), a frozen copy for workspaces that mount it instead of tilt-lib`;
  const keys = [...contents.keys()].map((key) => ({ key, file: `${folder}/${key}`, renamed: true }));
  return { file: { name: `tilt-lib-${tag}`, file: rel, keys, version, description, tag }, contents };
}

export async function generateTiltLibPackage(options: TiltLibOptions): Promise<TiltLibResult> {
  const force = options.force ?? false;
  const target = await resolvePackageTarget(options.dir, options.cwd);
  const saved = readSavedAnswers(target.dir);
  const answers = chooseAnswers(target, saved?.answers, options.answers);
  const at = (rel: string) => path.join(target.dir, ...rel.split("/"));
  const generated = new Map(Object.entries(saved?.files ?? {}).map(([rel, hash]) => [at(rel), hash]));

  // The version labels come from the .star files as they will be on disk after this run.
  const libraryFiles: RenderedFile[] = TILT_LIB_PARTS.map((file) => ({ path: at(file), content: tiltLibSource(file) }));
  const libraryContents = new Map(
    TILT_LIB_PARTS.map((file, i) => [file, contentAfter(libraryFiles[i]!, generated, force)]),
  );
  const version = readLibraryVersion(libraryContents.get(LIBRARY_FILE)!, LIBRARY_FILE);
  const pins = answers.pins.map((tag) => pinnedCopy(target.dir, tag, { files: libraryContents, version }));
  const libraryKeys: PackagedKey[] = TILT_LIB_PARTS.map((file) => ({ key: file, file, renamed: false }));
  const library: PackagedFile = {
    name: "tilt-lib",
    file: LIBRARY_FILE,
    keys: libraryKeys,
    version,
    description: `the current library (${LIBRARY_FILE} and the tilt_lib_*.star it loads), mounted at ${LIBRARY_MOUNT}`,
  };
  const templates: PackagedFile = {
    name: "tilt-templates",
    file: TILTFILE_TEMPLATE,
    keys: [{ key: "Tiltfile.hbs", file: TILTFILE_TEMPLATE, renamed: true }],
    version: GENERATOR_VERSION,
    description: `the Tiltfile template of \`${generatorCommand()} namespace\`, mounted at ${TEMPLATE_MOUNT}`,
  };
  const model: TiltLibModel = {
    generatorVersion: GENERATOR_VERSION,
    generatorCommand: generatorCommand(),
    dir: target.dir,
    dirInRepo: target.dirInRepo,
    version,
    library,
    pins: pins.map((p) => p.file),
    libraries: [library, ...pins.map((p) => p.file)],
    templates,
    configMaps: [library, ...pins.map((p) => p.file), templates],
    libraryMount: LIBRARY_MOUNT,
    templateMount: TEMPLATE_MOUNT,
    repoTiltLib: REPO_TILT_LIB,
    rootFromPackage: target.dirInRepo
      .split("/")
      .map(() => "..")
      .join("/"),
    application: { name: "tilt-lib" },
    answers,
  };

  const files: RenderedFile[] = [
    ...libraryFiles,
    ...pins.flatMap((p) => p.file.keys.map((k) => ({ path: at(k.file), content: p.contents.get(k.key)! }))),
    {
      path: at(TILTFILE_TEMPLATE),
      content: readFileSync(path.join(TEMPLATES_DIR, "namespace", "Tiltfile.hbs"), "utf8"),
    },
    ...renderTiltLibPackage(model),
  ];
  const hashes = Object.fromEntries(files.map((f) => [toPosix(path.relative(target.dir, f.path)), sha256(f.content)]));
  const obsolete = Object.keys(saved?.files ?? {})
    .filter((rel) => !(rel in hashes))
    .map(at);
  files.push({ path: at(ANSWERS_FILE), content: renderSavedAnswers(answers, hashes) });

  // The answers file is the tool's own record: always ours to rewrite.
  const plan = planWrites(files, generated, force).map((write) =>
    path.basename(write.path) === ANSWERS_FILE && write.outcome.startsWith("kept")
      ? { ...write, outcome: "update" as const, beside: undefined }
      : write,
  );
  const changes = planChanges(plan);
  if ((options.mode ?? "write") === "write") applyPlan(plan);
  return { model, repoRoot: target.repo.root, plan, obsolete, changes, changed: changes.length > 0 };
}
