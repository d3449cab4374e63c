// Flux objects of the repository: which Kustomizations apply a namespace folder,
// with which variables, and from which Git branch.
import { existsSync } from "node:fs";
import path from "node:path";
import { specOf, type KubeObject, type UncheckedSpec } from "./manifests.ts";
import { hasKustomization, isWithin, normaliseRepoPath, type RepoObject } from "./files.ts";
import { isSourceIgnored } from "./flux-generator.ts";
import { UserError } from "../errors.ts";

export interface FluxKustomization {
  name: string;
  namespace: string;
  /** Repository-relative file that defines it. */
  file: string;
  /** `spec.path`, normalised and repository-relative (`` is the root). */
  path: string;
  suspend: boolean;
  dependsOn: string[];
  targetNamespace?: string;
  /** Flux-level kustomize Components, relative to `path`. */
  components?: string[];
  /** Flux-level kustomize patches (`spec.patches`), which Flux adds to the build. */
  patches?: FluxPatch[];
  /** `spec.images`, which Flux adds to the build's kustomization as kustomize's `images`. */
  images?: FluxImage[];
  /** `spec.commonMetadata`: labels and annotations Flux sets on every object it applies. */
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** `spec.namePrefix` / `spec.nameSuffix`, which rename every object Flux builds. */
  namePrefix?: string;
  nameSuffix?: string;
  sourceRef: { kind: string; name: string; namespace: string };
  /** `spec.ignore` of the GitRepository it reads: .sourceignore patterns at its root, after the files'. */
  sourceIgnore?: string;
  /** `spec.kubeConfig`: the Kustomization applies to another cluster, e.g. `Secret spoke-kubeconfig`. */
  kubeConfig?: string;
  postBuild?: {
    substitute: Record<string, string>;
    substituteFrom: { kind: string; name: string; optional: boolean }[];
  };
}

export interface FluxPatch {
  patch: string;
  target?: Record<string, unknown>;
  /** The Kustomization's field it comes from when not `spec.patches`. */
  from?: "spec.commonMetadata";
}

export interface FluxImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

export interface FluxGitRepository {
  name: string;
  namespace: string;
  branch?: string;
  /** `spec.ref` as written, which with the URL says which repository content it is. */
  ref?: Record<string, unknown>;
  /** `spec.ignore`: .sourceignore patterns source-controller applies at the repository root. */
  ignore?: string;
  url?: string;
}

export const FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io";

function isFluxKind(object: KubeObject, group: string, kind: string): boolean {
  return object.kind === kind && object.apiVersion.startsWith(`${group}/`);
}

export function findFluxKustomizations(objects: RepoObject[]): FluxKustomization[] {
  const artifacts = findArtifactCopies(objects);
  const ignores = new Map(
    findGitRepositories(objects)
      .filter((g) => g.ignore !== undefined)
      .map((g) => [`${g.namespace}/${g.name}`, g.ignore!]),
  );
  return objects
    .filter(({ object }) => isFluxKind(object, FLUX_KUSTOMIZE_GROUP, "Kustomization"))
    .map(({ object, file }) => {
      const spec = specOf(object);
      const namespace = object.metadata.namespace ?? "flux-system";
      const postBuild = spec.postBuild as UncheckedSpec | undefined;
      return {
        name: object.metadata.name,
        namespace,
        file,
        path: repositoryPath(normaliseRepoPath(String(spec.path ?? "")), spec.sourceRef, namespace, file, artifacts),
        suspend: spec.suspend === true,
        dependsOn: ((spec.dependsOn ?? []) as { name: string }[]).map((dep) => dep.name),
        targetNamespace: typeof spec.targetNamespace === "string" ? spec.targetNamespace : undefined,
        components: Array.isArray(spec.components) ? spec.components.map(String) : undefined,
        patches: Array.isArray(spec.patches)
          ? (spec.patches as Record<string, unknown>[]).map((p) => ({
              patch: String(p.patch ?? ""),
              ...(p.target ? { target: p.target as Record<string, unknown> } : {}),
            }))
          : undefined,
        images: Array.isArray(spec.images) ? (spec.images as Record<string, unknown>[]).map(imageOf) : undefined,
        commonMetadata: spec.commonMetadata && {
          ...(spec.commonMetadata.labels && { labels: stringValues(spec.commonMetadata.labels) }),
          ...(spec.commonMetadata.annotations && { annotations: stringValues(spec.commonMetadata.annotations) }),
        },
        namePrefix: typeof spec.namePrefix === "string" && spec.namePrefix !== "" ? spec.namePrefix : undefined,
        nameSuffix: typeof spec.nameSuffix === "string" && spec.nameSuffix !== "" ? spec.nameSuffix : undefined,
        ...(spec.sourceRef?.kind === "GitRepository" &&
          ignores.has(`${spec.sourceRef.namespace ?? namespace}/${spec.sourceRef.name}`) && {
            sourceIgnore: ignores.get(`${spec.sourceRef.namespace ?? namespace}/${spec.sourceRef.name}`),
          }),
        kubeConfig:
          spec.kubeConfig &&
          (spec.kubeConfig.secretRef
            ? `Secret ${spec.kubeConfig.secretRef.name}`
            : `ConfigMap ${spec.kubeConfig.configMapRef?.name}`),
        sourceRef: {
          kind: String(spec.sourceRef?.kind ?? "GitRepository"),
          name: String(spec.sourceRef?.name ?? ""),
          namespace: String(spec.sourceRef?.namespace ?? namespace),
        },
        postBuild: postBuild && {
          substitute: stringValues(postBuild.substitute),
          substituteFrom: ((postBuild.substituteFrom ?? []) as Record<string, unknown>[]).map((ref) => ({
            kind: String(ref.kind),
            name: String(ref.name),
            optional: ref.optional === true,
          })),
        },
      };
    });
}

function imageOf(image: Record<string, unknown>): FluxImage {
  // An unquoted tag (`newTag: 1.27`) is a YAML number.
  const field = (key: string) =>
    ["string", "number"].includes(typeof image[key]) && image[key] !== "" ? { [key]: String(image[key]) } : {};
  return { name: String(image.name ?? ""), ...field("newName"), ...field("newTag"), ...field("digest") };
}

/** Directory copies of an ArtifactGenerator's artifacts, by `namespace/name`: artifact dir → repository dir. */
type ArtifactCopies = Map<string, { file: string; rules: { to: string; from: string }[] }[]>;

/**
 * Flux's ArtifactGenerator (source.extensions.fluxcd.io) copies folders of a GitRepository into
 * an ExternalArtifact; a Kustomization's path is then inside the artifact. Only whole-folder copies
 * (`@alias/dir/**` → `@artifact/dir/`) of Git sources map back to the repository.
 */
function findArtifactCopies(objects: RepoObject[]): ArtifactCopies {
  const copies: ArtifactCopies = new Map();
  for (const { object, file } of objects.filter(({ object }) =>
    isFluxKind(object, "source.extensions.fluxcd.io", "ArtifactGenerator"),
  )) {
    const spec = specOf(object);
    const git = new Set(
      ((spec.sources ?? []) as Record<string, unknown>[])
        .filter((s) => s.kind === "GitRepository")
        .map((s) => String(s.alias)),
    );
    for (const artifact of (spec.artifacts ?? []) as UncheckedSpec[]) {
      const rules = ((artifact.copy ?? []) as Record<string, unknown>[]).flatMap((rule) => {
        const from = /^@([^/]+)\/(.*?)\/?\*\*$/.exec(String(rule.from ?? ""));
        const to = /^@artifact\/?(.*)$/.exec(String(rule.to ?? ""));
        return from && to && git.has(from[1]!)
          ? [{ from: normaliseRepoPath(from[2]!), to: normaliseRepoPath(to[1]!) }]
          : [];
      });
      const key = `${object.metadata.namespace ?? "flux-system"}/${artifact.name}`;
      copies.set(key, [...(copies.get(key) ?? []), { file, rules }]);
    }
  }
  return copies;
}

/** Each cluster folder defines its own generators: the one defined nearest the Kustomization counts. */
function repositoryPath(
  artifactPath: string,
  sourceRef: Record<string, unknown> | undefined,
  namespace: string,
  file: string,
  copies: ArtifactCopies,
): string {
  if (sourceRef?.kind !== "ExternalArtifact") return artifactPath;
  const shared = (other: string) => commonDirDepth(other, file);
  const generators = [...(copies.get(`${sourceRef.namespace ?? namespace}/${sourceRef.name}`) ?? [])].sort(
    (a, b) => shared(b.file) - shared(a.file),
  );
  const rules = generators[0]?.rules ?? [];
  const rule = rules.filter((r) => isWithin(artifactPath, r.to)).sort((a, b) => b.to.length - a.to.length)[0];
  if (!rule) return artifactPath;
  return normaliseRepoPath(path.posix.join(rule.from, path.posix.relative(rule.to, artifactPath)));
}

function commonDirDepth(a: string, b: string): number {
  const [da, db] = [path.posix.dirname(a).split("/"), path.posix.dirname(b).split("/")];
  let depth = 0;
  while (depth < da.length && da[depth] === db[depth]) depth++;
  return depth;
}

export function findGitRepositories(objects: RepoObject[]): FluxGitRepository[] {
  return objects
    .filter(({ object }) => isFluxKind(object, "source.toolkit.fluxcd.io", "GitRepository"))
    .map(({ object }) => {
      const spec = specOf(object);
      return {
        name: object.metadata.name,
        namespace: object.metadata.namespace ?? "flux-system",
        branch: typeof spec.ref?.branch === "string" ? spec.ref.branch : undefined,
        ref: spec.ref,
        url: typeof spec.url === "string" ? spec.url : undefined,
        ...(typeof spec.ignore === "string" && { ignore: spec.ignore }),
      };
    });
}

/**
 * The Kustomizations that apply this namespace folder: their path is the folder, its base,
 * or one of its overlays. A Kustomization whose path is an ancestor of the folder applies
 * other namespaces too, so it is reported apart and never suspended.
 */
export function matchNamespaceKustomizations(folder: string, all: FluxKustomization[]) {
  const own = all.filter((k) => isWithin(k.path, folder));
  const ancestors = all.filter((k) => k.path !== folder && isWithin(folder, k.path));
  return { own, ancestors };
}

/**
 * The cluster a Kustomization is defined for: where the chain of Kustomizations applying its file
 * starts, the directory of the topmost one's file (clusters/production/flux-system for what
 * clusters/production/apps.yaml defines). One Tilt runs on one cluster.
 */
export function clusterOf(kustomization: FluxKustomization, all: FluxKustomization[]): string {
  const seen = new Set<FluxKustomization>();
  let top = kustomization;
  for (;;) {
    seen.add(top);
    const file = top.file;
    const parent = all
      .filter((k) => !seen.has(k) && k.file !== file && isWithin(file, k.path))
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (!parent) return path.posix.dirname(top.file);
    top = parent;
  }
}

/**
 * A Flux path with no kustomization.yaml makes Flux generate one that takes in every
 * directory below it, stopping at the first kustomization.yaml on each branch and leaving out
 * what `.sourceignore` names (flux-generator.ts). Returns the Kustomizations that would reach
 * `target` (e.g. overlays/dev) that way.
 */
export function kustomizationsSweeping(root: string, target: string, all: FluxKustomization[]): FluxKustomization[] {
  return all.filter(
    (k) =>
      isWithin(target, k.path) &&
      (k.path === target ||
        (kustomizationAbove(root, k.path, target) === undefined &&
          !isSourceIgnored(root, target, true, k.sourceIgnore))),
  );
}

/**
 * The Kustomizations whose path is in this repository. Its own source is the GitRepository most
 * of them read (`flux bootstrap`'s flux-system); an ExternalArtifact's path maps back to it. One
 * that reads another source applies no folder of this one: an OCIRepository, a Bucket, or a
 * GitRepository the repository defines with another URL or ref than its own (a tenant's). A file naming no
 * source is a patch of a Kustomization, not one. With no GitRepository read at all, every one counts.
 */
export function readingThisRepository(
  all: FluxKustomization[],
  gitRepositories: FluxGitRepository[],
): FluxKustomization[] {
  const key = (ref: FluxKustomization["sourceRef"]) => `${ref.namespace}/${ref.name}`;
  const git = all.filter((k) => k.sourceRef.kind === "GitRepository" && k.sourceRef.name !== "");
  const counts = new Map<string, number>();
  for (const k of git) counts.set(key(k.sourceRef), (counts.get(key(k.sourceRef)) ?? 0) + 1);
  const [own] = [...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  if (!own) return all;
  const spec = (ref: string) => {
    const found = gitRepositories.find((g) => `${g.namespace}/${g.name}` === ref);
    return found?.url === undefined ? undefined : JSON.stringify([found.url, found.ref ?? {}]);
  };
  const ownSpec = spec(own[0]);
  // A source the repository does not define is taken for its own; one it defines must be the same.
  const same = (k: FluxKustomization) => {
    const other = spec(key(k.sourceRef));
    return key(k.sourceRef) === own[0] || other === undefined || other === ownSpec;
  };
  return all.filter((k) => k.sourceRef.kind === "ExternalArtifact" || (git.includes(k) && same(k)));
}

/**
 * Whether Flux takes in the folder's files one by one: the kustomization it generates for one of
 * these Kustomizations' paths walks into it. The tool's own files there then need a .sourceignore.
 */
export function takesInFilesOf(root: string, folderInRepo: string, kustomizations: FluxKustomization[]): boolean {
  if (hasKustomization(path.join(root, folderInRepo))) return false;
  return kustomizations.some(
    (k) =>
      isWithin(folderInRepo, k.path) &&
      kustomizationAbove(root, k.path, folderInRepo) === undefined &&
      !isSourceIgnored(root, folderInRepo, true, k.sourceIgnore),
  );
}

/**
 * Which kustomization.yaml decides whether Flux's build of `fluxPath` takes in `target`, a
 * directory below it: the first one on the way down, `target` excluded. Undefined when there is
 * none: the kustomization Flux generates then takes `target` in, whole.
 */
export function kustomizationAbove(root: string, fluxPath: string, target: string): string | undefined {
  let dir = fluxPath;
  const rest = target === fluxPath ? [] : target.slice(fluxPath === "" ? 0 : fluxPath.length + 1).split("/");
  for (const part of rest) {
    if (hasKustomization(path.join(root, dir))) return dir;
    dir = dir === "" ? part : `${dir}/${part}`;
  }
  return undefined;
}

export interface FluxVariable {
  name: string;
  /** Undefined for a variable from a Secret: its value stays out of generated files. */
  value?: string;
  secret: boolean;
  /** `substitute`, `ConfigMap/name` or `Secret/name`. */
  source: string;
}

/** Flux variables for one Kustomization: substituteFrom in order, then substitute on top. */
export function resolveVariables(
  kustomization: FluxKustomization,
  objects: RepoObject[],
): { variables: FluxVariable[]; unresolved: string[] } {
  const byName = new Map<string, FluxVariable>();
  const unresolved: string[] = [];
  for (const ref of kustomization.postBuild?.substituteFrom ?? []) {
    const source = `${ref.kind}/${ref.name}`;
    const found = objects.find(
      ({ object }) =>
        object.kind === ref.kind &&
        object.apiVersion === "v1" &&
        object.metadata.name === ref.name &&
        (object.metadata.namespace ?? kustomization.namespace) === kustomization.namespace,
    );
    if (!found) {
      if (!ref.optional) unresolved.push(source);
      continue;
    }
    const object = found.object;
    const keys =
      ref.kind === "Secret" ? Object.keys({ ...stringValues(object.data), ...stringValues(object.stringData) }) : [];
    if (ref.kind === "Secret") for (const name of keys) byName.set(name, { name, secret: true, source });
    else
      for (const [name, value] of Object.entries(stringValues(object.data)))
        byName.set(name, { name, value, secret: false, source });
  }
  for (const [name, value] of Object.entries(kustomization.postBuild?.substitute ?? {})) {
    byName.set(name, { name, value, secret: false, source: "substitute" });
  }
  return { variables: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)), unresolved };
}

function stringValues(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, String(v)]));
}

/**
 * Names of variables that a manifest stream references and that neither `variables` nor an
 * inline default (`${VAR:=x}`, `${VAR:-x}`) provides. `$${VAR}` is an escape, not a reference.
 */
export function missingVariables(text: string, known: Set<string>): string[] {
  const missing = new Set<string>();
  for (const match of text.matchAll(/(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)(:=[^}]*|:-[^}]*|=[^}]*)?\}/g)) {
    const [, escape, name, fallback] = match;
    if (escape || fallback || known.has(name!)) continue;
    missing.add(name!);
  }
  return [...missing].sort();
}

export function fluxPathExists(root: string, kustomization: FluxKustomization): boolean {
  return existsSync(path.join(root, kustomization.path));
}

/**
 * Flux's postBuild substitution, as tilt_lib.star's flux_substitute applies it at `tilt up`:
 * used here only so that the model names objects as the cluster will ($${VAR} → ${VAR}, "$$" →
 * "$", unset → empty, `:=`/`:-`/`=` defaults, which may hold a variable: ${CLAIM:-${APP}}).
 * The same scan as tilt_lib's; the real-tool tests hold both to `flux envsubst`. What neither
 * evaluates (Flux's functions, ${VAR^^} and the like) and what Flux refuses (an unterminated
 * ${) both refuse, so the generator never writes a Tiltfile that fails to load.
 */
export function substituteVariables(text: string, variables: Record<string, string>): string {
  // The ${...} still open, innermost last: an inner one is expanded before the one holding it.
  const stack: string[][] = [[]];
  let i = 0;
  for (;;) {
    const dollar = text.indexOf("$", i);
    const close = stack.length > 1 ? text.indexOf("}", i) : -1;
    const j = close >= 0 && (dollar < 0 || close < dollar) ? close : dollar;
    if (j < 0) {
      stack.at(-1)!.push(text.slice(i));
      break;
    }
    stack.at(-1)!.push(text.slice(i, j));
    if (text[j] === "}") {
      const expression = stack.pop()!.join("");
      stack.at(-1)!.push(expand(expression, variables));
      i = j + 1;
    } else if (text[j + 1] === "$") {
      stack.at(-1)!.push("$");
      i = j + 2;
    } else if (text[j + 1] === "{") {
      stack.push([]);
      i = j + 2;
    } else {
      stack.at(-1)!.push("$");
      i = j + 1;
    }
  }
  if (stack.length > 1)
    throw new UserError(`unterminated \${ (Flux fails on it too) in "${stack[1]!.join("").slice(0, 40)}"`);
  return stack[0]!.join("");
}

function expand(expression: string, variables: Record<string, string>): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:=|:-|=)([\s\S]*))?$/.exec(expression);
  if (!match)
    throw new UserError(
      `\${${expression}} uses a Flux substitution function that tilt_lib does not evaluate; use \${VAR}, \${VAR:=default} or \${VAR:-default}`,
    );
  const [, name, operator, fallback] = match;
  const value = variables[name!];
  return operator ? value || fallback! : (value ?? "");
}

/** kustomize-controller substitutes no object annotated so; tilt_lib.star's flux_substitute has the same rule. */
export const SUBSTITUTE_DISABLED = "kustomize.toolkit.fluxcd.io/substitute: disabled";

/** A build as Flux applies it, with the variables whose values are known here (not a Secret's). */
export function substituteKnown(text: string, substitutes: boolean, variables: FluxVariable[], label: string): string {
  if (!substitutes) return text;
  const values = Object.fromEntries(variables.filter((v) => !v.secret).map((v) => [v.name, v.value!]));
  try {
    return text
      .split("\n---\n")
      .map((document) => (document.includes(SUBSTITUTE_DISABLED) ? document : substituteVariables(document, values)))
      .join("\n---\n");
  } catch (error) {
    throw error instanceof UserError ? new UserError(`${label}: ${error.message}`) : error;
  }
}
