// The one typed model of a namespace folder. Templates see this and nothing else.
import type { FluxImage, FluxKustomization, FluxVariable } from "../repository/flux.ts";
import type { WorkloadPatch } from "./dev-patches.ts";
import type { Exclusion } from "../live-cluster/exclusions.ts";
import type { PortForward, SkippedPort } from "./ports.ts";
import type { ScriptFacts } from "./script-facts-model.ts";
import type { ArgoApplication } from "../repository/argocd.ts";

export interface TiltResource {
  /** Tilt's resource name (the workload's, or a group's). */
  name: string;
  /** Set for a workload resource; groups and Helm releases use `new_name` + `objects`. */
  workload?: string;
  /** kubectl references of the live objects observe mode attaches to, e.g. `deployment/jellyfin`. */
  attach: string[];
  objects: string[];
  /** Flux's objects (HelmRelease, HelmRepository, …), applied only on the cluster Flux manages. */
  fluxObjects?: string[];
  /** A HelmRelease's resource: on a cluster without Flux it holds what its chart renders. */
  release?: boolean;
  /** The pods behind one Service of a release's chart, with its forwards: it applies nothing. */
  servicePods?: { service: string; release: string };
  /** The claims this resource holds, and the dev claim Tilt applies for each on the Flux cluster. */
  claims: { name: string; devName: string }[];
  /** The resource exists only with local-path storage: on the Flux cluster Flux keeps all of it. */
  localPathOnly: boolean;
  portForwards: PortForward[];
  /** Pods Tilt did not create, e.g. those of a HelmRelease, found by label. */
  extraPodSelectors: Record<string, string>[];
  /** Resources Tilt must apply first (the one holding the Namespace object). */
  resourceDeps: string[];
  /** Resources it waits for only on the cluster Flux manages (groups of Flux's objects). */
  fluxResourceDeps?: string[];
  /** "ignore" for a workload that runs no pod (replicas: 0): Tilt would wait for one forever. */
  podReadiness?: "ignore";
  notes: string[];
}

export interface ReleasePatch {
  /** kustomize's target for the HelmRelease (its name before Flux substitution, exact). */
  target: string;
  /** JSON pointer where the post-renderer goes: appended, or the first. */
  path: "/spec/postRenderers/-" | "/spec/postRenderers";
  /** The value added there, as JSON. */
  value: string;
}

/** One dev overlay: what it builds on, and how it differs. Paths are relative to the overlay. */
export interface DevBuild {
  /** Namespace-relative directory of the overlay, and of the Flux build it builds on. */
  dir: string;
  fluxPath: string;
  /** The Kustomization's targetNamespace, which the overlay sets as Flux does. */
  namespace?: string;
  /** The Flux path, or the resources of the kustomization Flux generates for a path without one. */
  resources: string[];
  generated: boolean;
  components: string[];
  /**
   * What the Kustomization adds to its build, first, as Flux does: its `spec.patches` and
   * `spec.commonMetadata` as patches (the text's lines, the target as JSON, the field), its `spec.images`.
   */
  fluxPatches: { lines: string[]; target?: string; from: string }[];
  images: FluxImage[];
  /** Objects of Flux's build left out: `name` before Flux substitution, `target` kustomize's. */
  deletes: { apiVersion: string; kind: string; name: string; target: string }[];
  /** Annotate every object `tilt.dev/down-policy: keep`, so `tilt down` leaves it to Flux. */
  keepOnDown: boolean;
  patches: WorkloadPatch[];
  /**
   * The dev caps of a HelmRelease's chart: the same patches, which helm-controller applies to what
   * the chart renders as a post-renderer added to the release (after any it has).
   */
  releasePatches: ReleasePatch[];
  /** The build has claims of its own: Flux's renamed `<claim>-dev`, on the dev storage class. */
  ownClaims: boolean;
  devClaims: { target: string; rawDevName: string; bound: boolean }[];
  hasPatches: boolean;
}

/** One Flux build of the folder: what Flux substitutes in it, and its dev overlays. */
export interface FluxBuild {
  name: string;
  /** Namespace-relative directory Flux builds, e.g. `overlays/prod`, and its Flux-level components. */
  path: string;
  components: string[];
  /** `namespace/name` of the Kustomizations that apply it. */
  kustomizations: string[];
  /** Flux applies postBuild substitution, so Tilt must too. */
  substitutes: boolean;
  variables: FluxVariable[];
  missingVariables: string[];
  unresolvedSources: string[];
  live: DevBuild;
  localPath: DevBuild;
  devClaims: DevBuild;
}

export interface NamespaceModel {
  /** Each HelmRelease's `helm template` arguments (or why it is not rendered) for a cluster without Flux. */
  charts: { name: string; args: string[]; reason?: string }[];
  generatorVersion: string;
  /** What runs the generators where the user is (`npx plop`, `npx tilt-flux-scaffold`): the files name it. */
  generatorCommand: string;
  /** Kubernetes namespace the folder deploys to. */
  namespace: string;
  /** Absolute path of the namespace folder, and its path inside the repository. */
  folder: string;
  folderInRepo: string;
  repoRoot: string;
  /** Kube context of the cluster Flux manages; undefined leaves Tilt's own guard (local clusters only). */
  context?: string;
  /** How that context was given: what the Tiltfile's header says about it. */
  contextSource: string;
  /** Observe mode: the Tiltfile attaches to what Flux runs, applies nothing, suspends nothing. */
  observe: boolean;
  flux: {
    /** Kustomizations that apply this folder: Tilt suspends these. */
    kustomizations: FluxKustomization[];
    /** `namespace/name` of those Tilt suspends: all but the ones already suspended in git. */
    toSuspend: string[];
    alreadySuspended: FluxKustomization[];
    /** Kustomizations whose path is an ancestor of the folder: they apply other namespaces too. */
    ancestors: FluxKustomization[];
    branch?: string;
    /** `namespace/name` of HelmReleases whose post-renderers only the dev overlay adds: removed before Flux resumes. */
    devReleases: string[];
  };
  /** The GitOps engine that deploys the folder, as the files name it in prose. */
  engine: { name: "Flux" | "Argo CD"; deployer: "Flux Kustomization" | "Argo CD Application" };
  /** For a folder Argo CD deploys (then `flux` names no Kustomization): what Tilt pauses instead. */
  argocd: {
    applications: ArgoApplication[];
    /** `namespace/name` of each Application, paused while Tilt runs and restored after. */
    toPause: string[];
    /** What a user should know: an Application applied by Flux or by another Application, one with no automated sync. */
    notes: string[];
    /** The local_resource that keeps the sync paused, and the one with Argo CD's state and buttons. */
    pauseResource: string;
    resource: string;
  };
  /**
   * The folder's Flux builds, each as Flux builds it (one for most folders; one per app when a
   * folder's apps have Kustomizations of their own), and the dev overlays Tilt chooses from at
   * `tilt up`: `live` on the Flux cluster (its claims stay, `tilt down` keeps what Flux applies),
   * `localPath` on any other (claims on local-path), and `devClaims` for local-path storage on
   * the Flux cluster (live, with claims of its own).
   */
  builds: FluxBuild[];
  devPolicy: {
    storageClass: string;
    limits: { cpu: string; memory: string };
    requests: { cpu: string; memory: string };
  };
  /** What Flux applies that Tilt leaves alone on the Flux cluster, with why. */
  liveExclusions: Exclusion[];
  /** StatefulSets whose volumeClaimTemplates stay as Flux has them on the Flux cluster. */
  liveClaimTemplates: string[];
  /** SOPS-encrypted Secrets: never applied by Tilt, the live decrypted ones stay. */
  sopsSecrets: string[];
  /** For a folder Flux applies without a kustomization.yaml: what its .sourceignore leaves out of Flux's build. */
  sourceIgnore: string[];
  storage: {
    classes: string[];
    overlays: { name: string; dir: string; isComponent: boolean }[];
    usedByFlux: string[];
    /** Set when the generator owns overlays/storage/local-path. */
    localPath?: {
      statefulSetTemplates: { name: string; index: number; template: string }[];
      boundClaims: string[];
      staticVolumes: string[];
    };
  };
  resources: TiltResource[];
  /** The folder's name in the root Tiltfile: its one Flux build's Kustomization, else the namespace. */
  name: string;
  /** Name of the local_resource that keeps Flux suspended: unique across the repository's folders. */
  suspendResource: string;
  /** Name of the local_resource that shows Flux's state and holds the namespace's buttons. */
  fluxResource: string;
  skippedPorts: SkippedPort[];
  /** Where the Tiltfile looks for tilt_lib.star first: a local copy, then the repository's. */
  tiltLibPaths: string[];
  /** Where the platform mounts it (TILT_LIB_DIR overrides it at `tilt up`). */
  tiltLibMount: string;
  tiltLibVersion: string;
  /** What dashboard.sh and deploy.sh carry: derived from the rest, shell-safe (script-facts.ts). */
  scripts: ScriptFacts;
}
