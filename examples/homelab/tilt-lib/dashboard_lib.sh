# shellcheck shell=bash disable=SC2153,SC2154
# dashboard_lib.sh: what every namespace's dashboard.sh shows, shipped once per repository
# beside tilt_lib.star by tilt-flux-scaffold. A namespace's dashboard.sh defines its facts
# (NAMESPACE, FOLDER_IN_REPO, DEFAULT_CONTEXT, FACTS, CRD_KINDS, UPDATE_COMMAND), sources this
# file and calls dashboard_main with the library version it was generated for. (SC2153 and
# SC2154 are off: the facts are assigned by the calling script, with which ShellCheck also
# checks this file.) Not to be edited here: `tilt-flux-scaffold namespace` (any folder) or
# `tilt-flux-scaffold tilt-lib` rewrites it from the package's copy.
#
# What the namespace is doing: pods, workloads, Services with Tilt's local ports, ingress URLs,
# claims, its Flux Kustomization(s) and HelmReleases. Two kubectl calls at most, side by side,
# rendered by jq (started with them, so a frame costs about one kubectl call):
#   1. the namespace's pods, workloads, Services, claims and Ingresses;
#   2. the Flux Kustomizations, Argo CD Applications, HelmReleases and route kinds (IngressRoute, HTTPRoute) this
#      folder uses, if any.
# FACTS is what the generator found in git: the folder's Flux Kustomizations and Tilt's
# port-forwards. CRD_KINDS are listed cluster-wide by call 2: only kinds the folder uses, as
# kubectl fails a whole call on a kind the cluster does not serve, and asking which kinds it
# serves would cost another call.
# Needs bash, kubectl and jq.

readonly DASHBOARD_LIB_VERSION="1.3.0"
readonly CALL_TIMEOUT_SECONDS=15
readonly NAMESPACE_KINDS="pods,deployments.apps,statefulsets.apps,daemonsets.apps,jobs.batch,services,persistentvolumeclaims,ingresses.networking.k8s.io"

usage() {
  cat <<EOF
Usage: ./dashboard.sh [--watch [SECONDS]] [--context NAME]

Shows namespace ${NAMESPACE}: pods, workloads, Services and the local ports \`tilt up\` forwards,
ingress URLs, persistent volume claims, the Flux Kustomization(s) of ${FOLDER_IN_REPO}, with a
warning when one is suspended, and its HelmReleases: Ready, chart, revision, last failure.

  --watch [SECONDS]  redraw every SECONDS (default 2) until Ctrl-C
  --context NAME     kube context (default: ${DEFAULT_CONTEXT:-the current context})
  -h, --help         this help

Colour only on a terminal; NO_COLOR=1 turns it off.
EOF
}

die() {
  printf 'dashboard.sh: %s\n' "$*" >&2
  exit 1
}

# Globals set by parse_args.
CONTEXT="${DEFAULT_CONTEXT}"
WATCH_SECONDS=""

parse_args() {
  while (($# > 0)); do
    case "$1" in
      --watch)
        WATCH_SECONDS=2
        if [[ "${2:-}" =~ ^[0-9]+$ ]]; then
          WATCH_SECONDS="$2"
          shift
        fi
        ;;
      --watch=*) WATCH_SECONDS="${1#--watch=}" ;;
      --context)
        [[ $# -ge 2 ]] || die "--context needs a name"
        CONTEXT="$2"
        shift
        ;;
      --context=*) CONTEXT="${1#--context=}" ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
  done
  if [[ -n "${WATCH_SECONDS}" && ! "${WATCH_SECONDS}" =~ ^[1-9][0-9]*$ ]]; then
    die "--watch takes a whole number of seconds, not ${WATCH_SECONDS}"
  fi
}

require_tools() {
  local tool
  for tool in kubectl jq; do
    command -v "${tool}" >/dev/null 2>&1 || die "${tool} is not installed (dashboard.sh needs bash, kubectl and jq)"
  done
}

use_colour() {
  [[ -t 1 && -z "${NO_COLOR:-}" && "${TERM:-}" != "dumb" ]]
}

# kubectl against the chosen context; stdout is JSON, stderr goes to the file named by $1.
# --request-timeout bounds each request, not kubectl's retries of discovery against a server
# that accepts and never answers: `timeout`, where there is one, bounds the whole call.
kube_json() {
  local err_file="$1" rc=0
  shift
  local -a bound=() args=(--request-timeout=10s)
  if command -v timeout >/dev/null 2>&1; then
    bound=(timeout --kill-after=2 "${CALL_TIMEOUT_SECONDS}")
  fi
  if [[ -n "${CONTEXT}" ]]; then
    args+=(--context "${CONTEXT}")
  fi
  ${bound[@]+"${bound[@]}"} kubectl "${args[@]}" "$@" -o json 2>"${err_file}" || rc=$?
  if ((rc == 124 || rc == 137)) && ((${#bound[@]} > 0)); then
    printf 'the API server did not answer within %ss\n' "${CALL_TIMEOUT_SECONDS}" >>"${err_file}"
  fi
  return "${rc}"
}

# The last non-blank line of a file: kubectl's own one-line reason.
last_line() {
  local line last=""
  while IFS= read -r line || [[ -n "${line}" ]]; do
    if [[ -n "${line//[[:space:]]/}" ]]; then last="${line}"; fi
  done <"$1"
  printf '%s' "${last}"
}

# The jq program that draws the dashboard from call 1 ($ns) and call 2 ($opt).
# (read, not cat: the script forks as little as it can, see bench/.)
read -r -d '' RENDER_JQ <<'JQ' || true
input as $ns | input as $opt |
def paint($code): if $colour then "\u001b[\($code)m\(.)\u001b[0m" else . end;
def pad($width): tostring | if length < $width then . + (" " * ($width - length)) else . end;
def mark: {ok: ("●" | paint("32")), wait: ("◐" | paint("33")), bad: ("✖" | paint("31")), done: ("✔" | paint("90"))}[.];
def heading: "\n" + (. | paint("1"));
def age: (now - (sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601)) | floor
  | if . < 120 then "\(.)s" elif . < 7200 then "\(. / 60 | floor)m" elif . < 172800 then "\(. / 3600 | floor)h" else "\(. / 86400 | floor)d" end;
# Rows of [health, cell, ...] under a header: aligned columns, the health mark first.
def table($header):
  . as $rows | ([$header] + [$rows[] | .[1:]]) as $all
  | [range(0; $header | length) as $i | [$all[] | .[$i] | tostring | length] | max] as $widths
  | def line: [to_entries[] | .key as $i | .value | pad($widths[$i])] | join("  ") | sub(" +$"; "");
    ("  " + ($header | line) | paint("2")), ($rows[] | (.[0] | mark) + " " + (.[1:] | line));
def section($title; $header; $rows; $none): ($title | heading), (if ($rows | length) == 0 then "  \($none)" else ($rows | table($header)) end);
def of($kind): [$ns.items[] | select(.kind == $kind)];
def optional($kind): [($opt.items // [])[] | select(.kind == $kind and .metadata.namespace == $facts.namespace)];
# kubectl names the kind a cluster does not serve: "the server doesn't have a resource type "x"".
def unserved($resource): ($opt.error // "") | test("resource type \"\($resource)\"");

def pod_status:
  if .metadata.deletionTimestamp then "Terminating"
  else ([(.status.initContainerStatuses // [])[] | (.state.waiting.reason // .state.terminated.reason // empty)
          | select(. != "PodInitializing" and . != "Completed") | "Init:" + .]
        + [(.status.containerStatuses // [])[] | .state.waiting.reason // .state.terminated.reason // empty]) as $reasons
    | ([$reasons[] | select(test("BackOff|Err|Error|OOMKilled|Invalid"))] | first)
      // $reasons[0]
      // (if .status.phase == "Pending" then [.status.conditions[]? | select(.type == "PodScheduled" and .status == "False") | .reason] | first else null end)
      // .status.reason // .status.phase // "Unknown"
  end;
def pod_row:
  [(.status.containerStatuses // [])[] | select(.ready)] as $ready
  | ((.spec.containers // []) | length) as $total | pod_status as $status
  | [ (if $status | test("BackOff|Err|Error|OOMKilled|Invalid|Failed") then "bad"
       elif $status == "Completed" or .status.phase == "Succeeded" then "done"
       elif $status == "Running" and ($ready | length) == $total then "ok" else "wait" end),
      .metadata.name, "\($ready | length)/\($total)", $status,
      ([(.status.containerStatuses // [])[] | .restartCount] | add // 0), (.metadata.creationTimestamp | age) ];
def workload_row:
  (if .kind == "DaemonSet" then [.status.numberReady, .status.desiredNumberScheduled]
   elif .kind == "Job" then [.status.succeeded, .spec.completions // 1]
   else [.status.readyReplicas, .spec.replicas // 1] end) as [$ready, $want]
  | [(if ($ready // 0) >= ($want // 0) then "ok" else "wait" end), .kind, .metadata.name, "\($ready // 0)/\($want // 0)"];
def service_row:
  .metadata.name as $name
  | [ "ok", $name, .spec.type, (.spec.clusterIP // "-"),
      ([.spec.ports[]? | "\(.port)/\(.protocol // "TCP")"] | join(",")),
      ([$facts.forwards[] | select(.service == $name) | "localhost:\(.localPort)"] | join(", ") | if . == "" then "-" else . end) ];
def pvc_row:
  [ ({Bound: "ok", Lost: "bad"}[.status.phase // ""] // "wait"), .metadata.name, (.status.phase // "-"),
    (.status.capacity.storage // ((.spec.resources.requests.storage // "?") + " requested")), (.spec.storageClassName // "-") ];
def url($tls; $host; $path): "\(if $tls then "https" else "http" end)://\($host)\($path)";
def ingress_rows:
  (of("Ingress")[] | . as $i | [.spec.tls[]?.hosts[]?] as $tls | .spec.rules[]? | . as $rule
    | (.http.paths // [{path: "/"}])[] | ["ok", url($tls | index($rule.host // ""); $rule.host // "*"; .path // "/"), "Ingress \($i.metadata.name)"]),
  (optional("IngressRoute")[] | . as $r | .spec.routes[]? | .match as $match
    | ([$match | scan("PathPrefix\\(`([^`]*)`") | .[0]] | first // "/") as $path
    | [$match | scan("Host\\(([^)]*)\\)") | .[0] | scan("`([^`]+)`") | .[0]][]
    | ["ok", url($r.spec.tls != null or ([$r.spec.entryPoints[]? | test("websecure|https|tls"; "i")] | any); .; $path), "IngressRoute \($r.metadata.name)"]),
  (optional("HTTPRoute")[] | . as $r | ([.spec.parentRefs[]?.sectionName // "" | test("https|tls|secure")] | any) as $tls
    | ([.spec.rules[]?.matches[]?.path.value] | first // "/") as $path
    | .spec.hostnames[]? | ["ok", url($tls; .; $path), "HTTPRoute \($r.metadata.name)"]);

# The command names the kube context shown, so it resumes Flux on this cluster, not the current one.
def resume($k): (if $have_flux then "flux resume kustomization \($k.name) -n \($k.namespace)"
  else "kubectl patch kustomizations.kustomize.toolkit.fluxcd.io \($k.name) -n \($k.namespace) --type=merge -p '{\"spec\":{\"suspend\":false}}'" end)
  + (if $kube_context == "" then "" elif ($kube_context | test("^[A-Za-z0-9._@:/-]+$")) then " --context \($kube_context)" else " --context \($kube_context | @sh)" end);
def banner($lines): ("!" * 78 | paint("1;31")), ($lines[] | ("!! " + .) | paint("1;31")), ("!" * 78 | paint("1;31"));
def flux_section:
  if ($facts.kustomizations | length) == 0 and ($facts.applications // [] | length) > 0 then empty else
  "Flux" | heading,
  if ($facts.kustomizations | length) == 0 then
    "  No Flux Kustomization has its path in \($facts.folder)"
    + (if ($facts.ancestors | length) > 0 then "; it is applied through \($facts.ancestors | join(", "))." else "." end)
  elif unserved("kustomizations") then "  Flux is not installed in this cluster (it serves no Kustomization kind)."
  elif $opt.error then "  \("✖" | paint("31")) cannot read Flux Kustomizations: \($opt.error)"
  else $facts.kustomizations[] as $k
    | ([($opt.items // [])[] | select(.kind == "Kustomization" and .metadata.name == $k.name and .metadata.namespace == $k.namespace)] | first) as $live
    | ([$live.status.conditions[]? | select(.type == "Ready")] | first) as $ready
    | if $live == null then "\("wait" | mark) \($k.namespace)/\($k.name)  not in the cluster yet"
      else
        "\(if $live.spec.suspend then "bad" elif $ready.status == "True" then "ok" elif $ready.status == "False" then "bad" else "wait" end | mark) "
        + "\($k.namespace)/\($k.name)  Ready=\($ready.status // "Unknown")  \($live.status.lastAppliedRevision // "(nothing applied yet)")"
        + (if $ready.status != "True" and $ready.message then "\n    \($ready.message)" else "" end),
        (if $live.spec.suspend and $k.suspendedInGit then
           banner(["\($k.namespace)/\($k.name) is SUSPENDED in git (spec.suspend: true in \($k.file)).",
                   "Flux applies nothing from \($facts.folder) until that line is removed and pushed."])
         elif $live.spec.suspend then
           banner(["\($k.namespace)/\($k.name) is SUSPENDED: Flux is not applying \($facts.folder).",
                   "`tilt up` suspends it while Tilt runs. If Tilt is not running (it crashed, or",
                   "was stopped without `tilt down`), resume it:",
                   "    " + resume($k)])
         else empty end)
      end
  end end;

# HelmReleases as helm-controller (API v2) reports them: the chart and helm revision of the
# latest release in status.history, the chart version it last tried, the Ready message.
def release_chart: (.status.history // [])[0] as $last
  | if $last then "\($last.chartName)@\($last.chartVersion)"
    elif .spec.chart.spec then "\(.spec.chart.spec.chart)@\(.spec.chart.spec.version // "*") (not installed)"
    elif .spec.chartRef then "\(.spec.chartRef.kind)/\(.spec.chartRef.name) (not installed)"
    else "-" end;
def release_row:
  ([.status.conditions[]? | select(.type == "Ready")] | first) as $ready | (.status.history // [])[0] as $last
  | [ (if .spec.suspend then "wait" elif $ready.status == "True" then "ok" elif $ready.status == "False" then "bad" else "wait" end),
      .metadata.name, ($ready.status // "Unknown") + (if .spec.suspend then " (suspended)" else "" end), release_chart,
      (if $last then "\($last.version) (\($last.status))" else "-" end),
      (.status.lastAttemptedRevision // "-") ];
def releases_section:
  if ($crd_kinds | split(",") | index("helmreleases.helm.toolkit.fluxcd.io")) == null then empty
  else ("HelmReleases" | heading),
    if unserved("helmreleases") then "  this cluster serves no HelmReleases (Flux's helm-controller is not installed)"
    elif $opt.error then "  \("✖" | paint("31")) cannot read HelmReleases: \($opt.error)"
    else optional("HelmRelease") as $releases
      | if ($releases | length) == 0 then "  no HelmRelease in the cluster yet"
        else ($releases | map(release_row) | table(["NAME", "READY", "CHART", "REVISION", "LAST ATTEMPTED"])),
          ($releases[] | ([.status.conditions[]? | select(.type == "Ready" and .status != "True")] | first) as $failed
            | select($failed.message) | "    \(.metadata.name): \($failed.message | gsub("\\s*\n\\s*"; " "))")
        end
    end
  end;

# Argo CD Applications (read from every namespace: they live in Argo CD's): sync and health,
# the revision synced, and the last operation; a banner while Tilt has the automated sync paused.
def unpause($a; $was): "kubectl patch applications.argoproj.io \($a.name) -n \($a.namespace) --type=merge -p '"
  + ({metadata: {annotations: {"tilt.dev/paused-automated-sync": null}}, spec: {syncPolicy: {automated: {enabled: (if $was == "true" then true else null end)}}}} | tojson) + "'"
  + (if $kube_context == "" then "" else " --context \($kube_context | @sh)" end);
def argocd_section:
  if ($facts.applications // [] | length) == 0 then empty
  else ("Argo CD" | heading),
    if unserved("applications") then "  Argo CD is not installed in this cluster (it serves no Application kind)."
    elif $opt.error then "  \("✖" | paint("31")) cannot read Argo CD Applications: \($opt.error)"
    else $facts.applications[] as $a
      | ([($opt.items // [])[] | select(.kind == "Application" and .metadata.name == $a.name and .metadata.namespace == $a.namespace)] | first) as $live
      | if $live == null then "\("wait" | mark) \($a.namespace)/\($a.name)  not in the cluster yet"
        else ($live.metadata.annotations["tilt.dev/paused-automated-sync"] // null) as $paused
          | ($live.status.operationState // {}) as $op
          | "\(if $live.status.health.status == "Degraded" or ($op.phase // "" | test("Failed|Error")) then "bad"
                elif $live.status.sync.status == "Synced" and $live.status.health.status == "Healthy" then "ok" else "wait" end | mark) "
            + "\($a.namespace)/\($a.name)  \($live.status.sync.status // "Unknown")  \($live.status.health.status // "Unknown")  "
            + "\(($live.status.sync.revision // "(not synced yet)")[0:12])"
            + (if $op.phase and $op.phase != "Succeeded" then "\n    last sync \($op.phase): \($op.message // "")" else "" end),
            (if $paused then
               banner(["\($a.namespace)/\($a.name): automated sync PAUSED by Tilt: Argo CD is not syncing \($facts.folder).",
                       "`tilt up` pauses it while Tilt runs. If Tilt is not running (it crashed, or",
                       "was stopped without `tilt down`), restore it:",
                       "    " + unpause($a; $paused)])
             else empty end)
        end
    end
  end;

[of("Pod")[] | pod_row] as $pods |
"\($facts.namespace | paint("1"))  \($facts.folder)  context \($context)  \(now | strflocaltime("%H:%M:%S"))",
flux_section,
argocd_section,
releases_section,
section("Pods"; ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]; $pods; "no pods"),
section("Workloads"; ["KIND", "NAME", "READY"]; [(of("Deployment"), of("StatefulSet"), of("DaemonSet"), of("Job"))[] | workload_row]; "no workloads"),
section("Services"; ["NAME", "TYPE", "CLUSTER-IP", "PORTS", "LOCAL (tilt up)"]; [of("Service")[] | service_row]; "no Services"),
section("Ingress"; ["URL", "FROM"]; [ingress_rows]; "no Ingress, IngressRoute or HTTPRoute"),
(["ingressroutes", "httproutes"][] | select(unserved(.)) | "  \("!" | paint("33")) this cluster serves no \(.), which \($facts.folder) uses"),
section("Storage"; ["CLAIM", "STATUS", "CAPACITY", "CLASS"]; [of("PersistentVolumeClaim")[] | pvc_row]; "no persistent volume claims"),
("Quick commands" | heading),
([ ["cd \($facts.folder) && tilt up", "dev overlay, port-forwards, Flux suspended"],
   ["tilt down", "delete what Tilt applied, resume Flux"],
   ["tilt logs -f", "logs of everything Tilt runs"],
   ([$pods[] | select(.[0] == "bad") | .[1]] | first
     | if . then ["kubectl logs -n \($facts.namespace) \(.) --previous", "why \(.) crashed"] else empty end),
   ([$pods[] | select(.[3] == "Unschedulable") | .[1]] | first
     | if . then ["kubectl describe pod -n \($facts.namespace) \(.)", "why no node takes \(.)"] else empty end),
   ["./deploy.sh -m \"message\"", "validate, commit this folder, push, reconcile, health-check"],
   ["./dashboard.sh --watch", "this view, redrawn every 2s"] ]
 | ([.[][0] | length] | max) as $width | .[] | "  " + (.[0] | pad($width)) + "  " + (.[1] | paint("2")))
JQ
readonly RENDER_JQ

# Runs the kubectl calls side by side and prints their output for jq: the namespace's objects,
# then the optional kinds (or why they could not be read). When call 1 fails it prints nothing
# and leaves no ns.ok in the folder $1, whose ns.err holds kubectl's reason.
fetch() {
  local tmp="$1" ns_pid opt_pid=""
  kube_json "${tmp}/ns.err" get "${NAMESPACE_KINDS}" -n "${NAMESPACE}" >"${tmp}/ns.json" &
  ns_pid=$!
  if [[ -n "${CRD_KINDS}" ]]; then
    kube_json "${tmp}/crd.err" get "${CRD_KINDS}" --all-namespaces >"${tmp}/crd.json" &
    opt_pid=$!
  fi
  if ! wait "${ns_pid}"; then
    if [[ -n "${opt_pid}" ]]; then kill "${opt_pid}" 2>/dev/null || true; wait "${opt_pid}" 2>/dev/null || true; fi
    return 0
  fi
  if [[ -z "${opt_pid}" ]]; then
    cat "${tmp}/ns.json" - <<<'{"items": []}'
  elif wait "${opt_pid}"; then
    cat "${tmp}/ns.json" "${tmp}/crd.json"
  else
    # Not fatal: the namespace is still worth showing, with the reason.
    cat "${tmp}/ns.json"
    last_line "${tmp}/crd.err" | jq -Rs '{error: .}'
  fi
  : >"${tmp}/ns.ok"
}

# One frame: jq starts with the kubectl calls (it compiles its program while they run) and draws
# what they fetched. Fails with one line on stderr.
render() {
  local tmp context_label have_flux=false colour=false rc=0 reason
  tmp="$(mktemp -d)"
  context_label="${CONTEXT:-(current)}"
  if command -v flux >/dev/null 2>&1; then have_flux=true; fi
  if use_colour; then colour=true; fi
  fetch "${tmp}" | jq -nr \
    --argjson facts "${FACTS}" --argjson colour "${colour}" --argjson have_flux "${have_flux}" \
    --arg context "${context_label}" --arg kube_context "${CONTEXT}" --arg crd_kinds "${CRD_KINDS}" \
    "${RENDER_JQ}" 2>"${tmp}/jq.err" || rc=$?
  if [[ ! -e "${tmp}/ns.ok" ]]; then
    reason="$(last_line "${tmp}/ns.err")"
    rm -rf "${tmp}"
    die "cannot read namespace ${NAMESPACE} (context ${CONTEXT:-current}): ${reason:-kubectl failed}"
  fi
  # jq had input: what it says is its own (nothing when the reader went away).
  cat "${tmp}/jq.err" >&2
  rm -rf "${tmp}"
  return "${rc}"
}

watch_loop() {
  local frame
  while true; do
    # A failed frame (cluster unreachable for a moment) is shown, and the next one tried.
    frame="$(render 2>&1)" || true
    if [[ -t 1 ]]; then printf '\033[H\033[2J'; fi
    printf '%s\n' "${frame}"
    sleep "${WATCH_SECONDS}"
  done
}

main() {
  parse_args "$@"
  require_tools
  if [[ -n "${WATCH_SECONDS}" ]]; then
    watch_loop
  else
    render
  fi
}

# dashboard_main VERSION ARGS...: VERSION (MAJOR.MINOR.PATCH) is the library the calling dashboard.sh
# was generated for; this one must have its major and be at least as new.
dashboard_main() {
  local wanted="$1"
  local -a have needed
  IFS=. read -ra have <<<"${DASHBOARD_LIB_VERSION}"
  IFS=. read -ra needed <<<"$1"
  shift
  if ! ((have[0] == needed[0] && (have[1] > needed[1] || (have[1] == needed[1] && have[2] >= needed[2])))); then
    die "${BASH_SOURCE[0]} is version ${DASHBOARD_LIB_VERSION}, this dashboard.sh needs ${needed[0]}.x from ${wanted}: run \`${UPDATE_COMMAND}\`"
  fi
  main "$@"
}
