// The shape of the model's `scripts`, apart from how script-facts.ts derives them, so that the
// model can name it without importing its own derivation.

export interface ScriptKustomization {
  name: string;
  namespace: string;
  /** Repository-relative file that defines it, and its spec.path (repository-relative). */
  file: string;
  path: string;
  /** `spec.suspend: true` in git: Flux does not apply it, so deploy.sh does not wait for it. */
  suspendedInGit: boolean;
  /** The source `flux reconcile --with-source` reconciles first, as `resource/name` for kubectl. */
  sourceResource: string;
  sourceNamespace: string;
}

export interface ScriptBuild {
  /** Namespace-relative directory Flux builds (`.` for the folder itself). */
  dir: string;
  /** Flux-level spec.components, namespace-relative. */
  components: string[];
  /** Flux Kustomization(s) building it, `namespace/name`; empty when none does. */
  kustomizations: string[];
  /** Whether Flux runs postBuild substitution on it. */
  substitutes: boolean;
  /** `INDEX NAME=VALUE`, shell-quoted: values from `substitute` and ConfigMaps (INDEX: this build's). */
  assignments: string[];
  /** `INDEX NAME` of names whose values come from Secrets: read from the environment at deploy time. */
  secrets: string[];
  /** `INDEX NAME` of names used but defined nowhere: Flux substitutes them as empty, so deploy.sh does too. */
  empty: string[];
}

export interface ScriptForward {
  service: string;
  localPort: number;
  containerPort: number;
}

export interface ScriptFacts {
  /** The folder inside the repository, e.g. `applications/media`. */
  folder: string;
  /** The kube context, shell-quoted, or `''` for the current one. */
  context: string;
  /** From the namespace folder up to the repository root, e.g. `../..`. */
  repoRootFromFolder: string;
  kustomizations: ScriptKustomization[];
  /** The ones deploy.sh reconciles and waits for: all but those suspended in git. */
  reconciled: ScriptKustomization[];
  /** Kustomizations whose path is an ancestor of the folder, `namespace/name`: applied through them. */
  ancestors: string[];
  builds: ScriptBuild[];
  /** `namespace/name` of the Argo CD Applications deploy.sh syncs instead of Flux. */
  applications: string[];
  /** Every build's assignments, secrets and undefined names, for deploy_lib.sh's arrays. */
  variables: string[];
  secrets: string[];
  undefinedVariables: string[];
  /** The oldest tilt-lib/*_lib.sh that reads these facts: the scripts ask for it. */
  libraryVersion: string;
  /** Variable names Flux would reject, with their source: deploy.sh fails validation on them. */
  invalidVariables: string[];
  /** The branch the Flux source tracks, quoted for bash; `''` when the model does not know it. */
  branch: string;
  /** The Flux source that tracks it, `namespace/name`. */
  source?: string;
  forwards: ScriptForward[];
  /** CRD-backed kinds dashboard.sh's second kubectl call lists, comma-separated (see dashboardKinds). */
  dashboardKinds: string;
  /** What dashboard.sh's jq program knows from git, as JSON that fits in single quotes. */
  dashboardJson: string;
}
