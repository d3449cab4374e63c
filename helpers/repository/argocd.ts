// Argo CD Applications in the repository: the folder each deploys from this repository, and
// whether its automated sync is on, so that a folder Argo CD deploys gets the tooling a folder
// Flux applies gets, with Argo CD's sync paused instead of Flux suspended.
import type { RepoObject } from "./files.ts";
import { normaliseRepoPath } from "./files.ts";
import { UserError } from "../errors.ts";

export interface ArgoApplication {
  name: string;
  namespace: string;
  /** Repository-relative file that defines it. */
  file: string;
  /** Repository-relative path of its source in this repository. */
  path: string;
  targetRevision?: string;
  /** Where Argo CD puts the objects that name no namespace. */
  destinationNamespace?: string;
  /** Its automated sync is on (in git): Tilt pauses it while it runs. */
  automated: boolean;
  /** Why Tilt cannot build what Argo CD builds of the source, if it cannot. */
  unsupported?: string;
}

interface ApplicationSource {
  repoURL?: string;
  path?: string;
  targetRevision?: string;
  chart?: string;
  helm?: unknown;
  plugin?: unknown;
  kustomize?: Record<string, unknown>;
  directory?: { recurse?: boolean; include?: string; exclude?: string; jsonnet?: unknown };
}

/**
 * The git remote URLs as one spelling: `ssh://git@host/org/repo.git`, `git@host:org/repo` and
 * `https://host/org/repo` are the same repository.
 */
export function sameRepository(a: string, b: string): boolean {
  const key = (url: string) =>
    url
      .trim()
      .replace(/^[a-z+]+:\/\//i, "")
      .replace(/^[^@/]+@/, "")
      .replace(/^([^/:]+):(?!\d)/, "$1/")
      .replace(/:\d+\//, "/")
      .replace(/\/+$/, "")
      .replace(/\.git$/, "")
      .toLowerCase();
  return key(a) === key(b);
}

/** Applications whose source (or one of `sources`) is a path of this repository, one per such source. */
export function findApplications(objects: RepoObject[], remotes: string[]): ArgoApplication[] {
  return objects
    .filter(({ object }) => object.kind === "Application" && object.apiVersion.startsWith("argoproj.io/"))
    .flatMap(({ object, file }) => {
      const spec = (object.spec ?? {}) as {
        source?: ApplicationSource;
        sources?: ApplicationSource[];
        destination?: { namespace?: string };
        syncPolicy?: { automated?: { enabled?: boolean } };
      };
      const sources = spec.sources ?? (spec.source ? [spec.source] : []);
      const automated =
        spec.syncPolicy?.automated !== undefined &&
        spec.syncPolicy.automated !== null &&
        spec.syncPolicy.automated.enabled !== false;
      return sources
        .filter(
          (source) =>
            source.path !== undefined &&
            source.repoURL !== undefined &&
            remotes.some((remote) => sameRepository(remote, source.repoURL!)),
        )
        .map((source) => ({
          name: object.metadata.name,
          namespace: object.metadata.namespace ?? "argocd",
          file,
          path: normaliseRepoPath(source.path!),
          ...(source.targetRevision !== undefined && { targetRevision: String(source.targetRevision) }),
          ...(spec.destination?.namespace && { destinationNamespace: spec.destination.namespace }),
          automated,
          ...(unsupported(source, sources.length) && { unsupported: unsupported(source, sources.length) }),
        }));
    });
}

/**
 * The Application `--argocd-app NS/NAME` names: it lives in another repository (a platform's) and
 * deploys `folderInRepo` of this one. Its sync policy is read on the cluster when Tilt pauses it.
 */
export function namedArgoApplication(answer: string, folderInRepo: string): ArgoApplication {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(answer);
  if (!match)
    throw new UserError(`--argocd-app ${answer}: name the Application as NAMESPACE/NAME, e.g. argocd/catalyst-ui`);
  return { name: match[3]!, namespace: match[1]!, file: `--argocd-app ${answer}`, path: folderInRepo, automated: true };
}

/** What of a source Tilt would not build as Argo CD does: the tooling refuses it rather than apply something else. */
function unsupported(source: ApplicationSource, count: number): string | undefined {
  if (count > 1) return "it has several sources, which Argo CD renders together";
  if (source.chart !== undefined || source.helm !== undefined)
    return "its source is a Helm chart with Argo CD's helm values";
  if (source.plugin !== undefined) return "its source is rendered by a config management plugin";
  if (
    source.directory?.jsonnet !== undefined ||
    source.directory?.include !== undefined ||
    source.directory?.exclude !== undefined
  )
    return "its source is a directory with jsonnet or include/exclude patterns";
  if (source.kustomize !== undefined && Object.keys(source.kustomize).length > 0)
    return `its source sets kustomize options (${Object.keys(source.kustomize).sort().join(", ")}) that Argo CD adds to the build`;
  return undefined;
}
