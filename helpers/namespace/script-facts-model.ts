// The shape of the model's `scripts`, apart from how script-facts.ts derives them, so that the
// model can name it without importing its own derivation. deploy.sh and dashboard.sh each embed
// one of these documents as JSON; their libraries read it with jq.

/** A Flux Kustomization deploy.sh reconciles and waits for. */
export interface DeployKustomization {
  /** `namespace/name`. */
  ref: string;
  /** Repository-relative spec.path and the file that defines it, for `flux diff`. */
  path: string;
  file: string;
  /** The source `flux reconcile --with-source` reconciles first: its namespace and `resource/name` for kubectl. */
  sourceNamespace: string;
  sourceResource: string;
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
  /** postBuild values from `substitute` and ConfigMaps in git, by name. */
  variables: Record<string, string>;
  /** Names whose values come from Secrets: read from the environment at deploy time. */
  secrets: string[];
  /** Names used but defined nowhere: Flux substitutes them as empty, so deploy.sh does too. */
  undefined: string[];
}

/** What deploy_lib.sh reads: every decision about this folder, made by the generator. */
export interface DeployFacts {
  namespace: string;
  /** The folder inside the repository, e.g. `applications/media`. */
  folder: string;
  /** The kube context of Flux's cluster; empty for the current one. */
  context: string;
  /** The branch the Flux source (or the Argo CD Application) tracks; empty when unknown. */
  branch: string;
  /** The command that regenerates deploy.sh, named when the library is too old for it. */
  updateCommand: string;
  /** What applies a push: Argo CD when Applications deploy the folder, else Flux. */
  engine: "Flux" | "Argo CD";
  /** The Kustomizations to reconcile and wait for: all but those suspended in git. */
  reconciled: DeployKustomization[];
  /** `namespace/name` of the Argo CD Applications deploy.sh syncs instead of Flux. */
  applications: string[];
  builds: ScriptBuild[];
  /** Variable names Flux would reject, with their source: deploy.sh fails validation on them. */
  invalidVariables: string[];
}

export interface ScriptForward {
  service: string;
  localPort: number;
  containerPort: number;
}

/** What dashboard_lib.sh and its jq program read. */
export interface DashboardFacts {
  namespace: string;
  folder: string;
  context: string;
  updateCommand: string;
  kustomizations: { namespace: string; name: string; file: string; suspendedInGit: boolean }[];
  /** Kustomizations whose path is an ancestor of the folder, `namespace/name`: applied through them. */
  ancestors: string[];
  forwards: ScriptForward[];
  applications: { namespace: string; name: string }[];
  /** CRD-backed kinds the second kubectl call lists (see dashboardKinds). */
  crdKinds: string[];
}

export interface ScriptFacts {
  /** The folder inside the repository, e.g. `applications/media`. */
  folder: string;
  /** From the namespace folder up to the repository root, e.g. `../..`. */
  repoRootFromFolder: string;
  /** The oldest tilt-lib/*_lib.sh that reads these facts: the scripts ask for it. */
  libraryVersion: string;
  /** The Flux source that tracks the branch, `namespace/name`. */
  source?: string;
  deploy: DeployFacts;
  dashboard: DashboardFacts;
  /** The two documents as JSON, single-quoted for bash by shellQuote. */
  deployJson: string;
  dashboardJson: string;
}
