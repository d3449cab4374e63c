// What a namespace Tiltfile says, decided from the model: its comments, and the arguments of
// each lib[...] call. templates/namespace/Tiltfile.hbs only writes these out.
import type { FluxBuild, NamespaceModel, TiltResource } from "./model.ts";
import { keyword, positional, starlark, starlarkList, type StarlarkArg } from "./starlark.ts";
import { deployerNotes, liveNotes, skippedPortNotes, statusComments, tiltfileUsage } from "./tiltfile-header.ts";

/** A call written on one line, e.g. `lib["suspend_flux"](["flux-system/media"], enabled = suspend)`. */
export interface StarlarkCall {
  function: string;
  args: StarlarkArg[];
}

/** One Tilt resource: comment lines, the call's first line, then one argument a line. */
export interface ResourceView {
  notes: string[];
  comments: string[];
  opening: string;
  args: StarlarkArg[];
}

export interface BuildView extends FluxBuild {
  comments: string[];
  /** Each `variables = {` entry: `"NAME": value,` and, for a Secret's, where to export it from. */
  variableEntries: string[];
}

export interface TiltfileView {
  usage: string[];
  storageModeArgs: StarlarkArg[];
  deployerNotes: string[];
  /** The call that suspends Flux (or pauses Argo CD) while Tilt runs; null: nothing to suspend. */
  suspend: StarlarkCall | null;
  /** Each HelmRelease's chart: its `helm template` arguments, or why it is not rendered. */
  charts: { name: string; value: string }[];
  builds: BuildView[];
  /** Arguments apply_build takes after the build: the charts, when there are any. */
  chartArgs: string;
  liveNotes: string[];
  resources: ResourceView[];
  skippedPortNotes: string[];
  status: { comments: string[]; variable: string; names: string; call: StarlarkCall; buttons: StarlarkCall };
}

export function tiltfileView(model: NamespaceModel): TiltfileView {
  const argocd = model.argocd.toPause.length > 0;
  return {
    usage: tiltfileUsage(model),
    storageModeArgs: [
      positional("storage"),
      keyword("flux_context", "FLUX_CONTEXT"),
      keyword("kustomizations", starlarkList(model.flux.toSuspend)),
      ...(argocd ? [keyword("applications", starlarkList(model.argocd.toPause))] : []),
    ],
    deployerNotes: deployerNotes(model),
    suspend: suspendCall(model),
    charts: model.charts.map((chart) => ({
      name: chart.name,
      value: chart.reason ? starlark(chart.reason) : starlarkList(chart.args),
    })),
    builds: model.builds.map(buildView),
    chartArgs: model.charts.length > 0 ? ", CHARTS, RELEASES" : "",
    liveNotes: liveNotes(model),
    resources: model.resources.map((resource) => resourceView(model, resource)),
    skippedPortNotes: skippedPortNotes(model),
    status: statusView(model, argocd),
  };
}

const contextArg = (model: NamespaceModel) => (model.context ? [keyword("context", starlark(model.context))] : []);

function suspendCall(model: NamespaceModel): StarlarkCall | null {
  const { argocd, flux } = model;
  if (argocd.toPause.length > 0) return holdCall("pause_argocd", argocd.toPause, argocd.pauseResource, model);
  if (flux.toSuspend.length === 0) return null;
  const devReleases = flux.devReleases.length > 0 ? [keyword("dev_releases", starlarkList(flux.devReleases))] : [];
  return holdCall("suspend_flux", flux.toSuspend, model.suspendResource, model, devReleases);
}

/** The call that holds Flux (or Argo CD) off `objects` while Tilt runs, in the resource `name`. */
function holdCall(fn: string, objects: string[], name: string, model: NamespaceModel, extra: StarlarkArg[] = []) {
  const args = [positional(starlarkList(objects)), ...contextArg(model), keyword("enabled", "suspend")];
  return { function: `lib[${starlark(fn)}]`, args: [...args, keyword("name", starlark(name)), ...extra] };
}

function buildView(build: FluxBuild): BuildView {
  const comments = [
    ...(build.kustomizations.length > 0 ? [`# ${build.path}, built by ${build.kustomizations.join(", ")}`] : []),
    ...build.missingVariables.map(
      (name) => `# Defined nowhere in the repository, so Flux substitutes it as empty: ${name}`,
    ),
    ...build.unresolvedSources.map((source) => `# substituteFrom ${source} was not found in the repository.`),
  ];
  const variableEntries = build.variables.map(({ name, value, secret, source }) =>
    secret
      ? `${starlark(name)}: os.getenv(${starlark(name)}),  # from ${source}: export it to set it`
      : `${starlark(name)}: ${starlark(value)},`,
  );
  return { ...build, comments, variableEntries };
}

/** The call that makes a resource: what it holds decides which lib function, in this order. */
function resourceOpening(model: NamespaceModel, resource: TiltResource): { comments: string[]; opening: string } {
  if (model.observe) return { comments: [], opening: `lib["attach"](` };
  if (resource.servicePods) {
    const { service, release } = resource.servicePods;
    const releases = model.charts.length > 0 ? "RELEASES" : "{}";
    return {
      comments: [`# The pods behind Service ${service} of ${release}: Tilt forwards a resource's ports to one pod.`],
      opening: `lib["service_pods"](STORAGE, ${releases}, ${starlark(release)}, ${starlark(service)}, ${starlark(resource.name)},`,
    };
  }
  if (resource.release) return { comments: [], opening: `lib["release_resource"](STORAGE, RELEASES,` };
  if (resource.localPathOnly)
    return {
      comments: ["# On a local cluster only: on the Flux cluster, Flux keeps what this resource holds."],
      opening: `lib["local_path_only"](STORAGE,`,
    };
  if (resource.workload || resource.objects.length > 0) return { comments: [], opening: "k8s_resource(" };
  return {
    comments: ["# Only claims: with live storage Flux's stay and this resource holds nothing."],
    opening: `lib["group"](`,
  };
}

/** What names the resource: attach's name and objects, the workload, or new_name. */
function resourceName(model: NamespaceModel, resource: TiltResource): StarlarkArg[] {
  if (model.observe) {
    return [
      positional(starlark(resource.name)),
      positional(starlarkList(resource.attach)),
      keyword("namespace", starlark(model.namespace)),
      keyword("context", "KUBE_CONTEXT"),
    ];
  }
  if (resource.workload) return [positional(starlark(resource.workload))];
  if (resource.servicePods)
    return [keyword("namespace", starlark(model.namespace)), keyword("context", "KUBE_CONTEXT")];
  return [keyword("new_name", starlark(resource.name))];
}

function objectsValue(resource: TiltResource): string | undefined {
  const parts: string[] = [];
  if (resource.objects.length > 0)
    parts.push(`[\n${resource.objects.map((o) => `        ${starlark(o)},\n`).join("")}    ]`);
  if (resource.fluxObjects?.length) parts.push(`lib["with_flux"](STORAGE, ${starlarkList(resource.fluxObjects)})`);
  if (resource.claims.length > 0)
    parts.push(
      `lib["claims"](STORAGE, [${resource.claims.map((c) => `(${starlark(c.name)}, ${starlark(c.devName)})`).join(", ")}])`,
    );
  return parts.length > 0 ? parts.join(" + ") : undefined;
}

function resourceView(model: NamespaceModel, resource: TiltResource): ResourceView {
  const args = resourceName(model, resource);
  if (resource.portForwards.length > 0) {
    const forwards = resource.portForwards.map(
      (f) =>
        `        (${f.localPort}, ${f.containerPort}, ${starlark(f.name)}),  # ${f.container ? `${f.service} → ${f.container}:${f.containerPort}` : "given with --forward"}\n`,
    );
    args.push(keyword("port_forwards", `lib["forwards"]([\n${forwards.join("")}    ])`));
  }
  const objects = objectsValue(resource);
  if (objects) args.push(keyword("objects", objects));
  // A chart's pods with no Service to forward: say how to forward one, below the selectors.
  const forwardHint =
    resource.extraPodSelectors.length > 0 && resource.portForwards.length === 0
      ? [
          "No Service of its chart to forward: forward a pod port with",
          `\`${model.generatorCommand} namespace ${model.folderInRepo} -- --forward ${resource.name}:CONTAINER_PORT:NAME\`.`,
        ]
      : [];
  if (resource.extraPodSelectors.length > 0)
    args.push(keyword("extra_pod_selectors", starlarkList(resource.extraPodSelectors)));
  const deps = [
    ...(resource.fluxResourceDeps?.length
      ? [
          keyword(
            "resource_deps",
            `${starlarkList(resource.resourceDeps)} + lib["with_flux"](STORAGE, ${starlarkList(resource.fluxResourceDeps)})`,
          ),
        ]
      : []),
    ...(!resource.fluxResourceDeps?.length && resource.resourceDeps.length > 0
      ? [keyword("resource_deps", starlarkList(resource.resourceDeps))]
      : []),
  ];
  const rest = [
    ...deps,
    ...(resource.podReadiness ? [keyword("pod_readiness", starlark(resource.podReadiness))] : []),
    keyword("labels", "LABELS"),
  ];
  rest[0]!.comments = forwardHint;
  return { notes: resource.notes, ...resourceOpening(model, resource), args: [...args, ...rest] };
}

function statusView(model: NamespaceModel, argocd: boolean): TiltfileView["status"] {
  const develop = !model.observe;
  const [variable, names, resource, engine] = argocd
    ? ["ARGOCD_APPLICATIONS", model.argocd.toPause, model.argocd.resource, "argocd"]
    : ["FLUX_KUSTOMIZATIONS", model.flux.toSuspend, model.fluxResource, "flux"];
  const onCluster = develop ? [keyword(engine, "ON_FLUX_CLUSTER")] : [];
  const stopResource = argocd
    ? [keyword("pause_resource", `${starlark(model.argocd.pauseResource)} if suspend else ""`)]
    : model.flux.toSuspend.length > 0
      ? [keyword("suspend_resource", `${starlark(model.suspendResource)} if suspend else ""`)]
      : [];
  return {
    comments: statusComments(model, argocd),
    variable,
    names: starlarkList(names),
    call: {
      function: `lib["${engine}_status"]`,
      args: [positional(starlark(resource)), positional(variable), keyword("context", "KUBE_CONTEXT"), ...onCluster],
    },
    buttons: {
      function: `lib["${engine}_buttons"]`,
      args: [
        positional(starlark(resource)),
        positional(variable),
        keyword("context", "KUBE_CONTEXT"),
        keyword("dir", "os.getcwd()"),
        ...onCluster,
        ...(develop ? stopResource : []),
      ],
    },
  };
}
