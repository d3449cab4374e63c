# shellcheck shell=bash
# dashboard_lib.sh: what every namespace's dashboard.sh shows, shipped once per repository
# beside tilt_lib.star by tilt-flux-scaffold. A namespace's dashboard.sh holds its facts as one
# JSON document (FACTS), sources this file and calls dashboard_main with the library version it
# was generated for and that document. Not to be edited here: `tilt-flux-scaffold namespace`
# (any folder) or `tilt-flux-scaffold tilt-lib` rewrites it from the package's copy.
#
# What the namespace is doing: pods, workloads, Services with Tilt's local ports, ingress URLs,
# claims, its Flux Kustomization(s) and HelmReleases. Two kubectl calls at most, side by side,
# rendered by jq (started with them, so a frame costs about one kubectl call):
#   1. the namespace's pods, workloads, Services, claims and Ingresses;
#   2. the Flux Kustomizations, Argo CD Applications, HelmReleases and route kinds (IngressRoute, HTTPRoute) this
#      folder uses, if any.
# The facts are what the generator found in git: the folder's Flux Kustomizations and Tilt's
# port-forwards, and the kinds call 2 lists cluster-wide (CRD_KINDS): only kinds the folder uses,
# as kubectl fails a whole call on a kind the cluster does not serve, and asking which kinds it
# serves would cost another call. dashboard.jq, beside this file, draws them.
# Needs bash, kubectl and jq.

readonly SCRIPT_NAME="dashboard.sh"
readonly DASHBOARD_LIB_VERSION="2.0.0"
# This file's folder, without forking dirname (dashboard.sh sources it by a path with a slash).
readonly LIB_DIR="${BASH_SOURCE[0]%/*}"
readonly RENDER_JQ="${LIB_DIR}/dashboard.jq"

# shellcheck source=SCRIPTDIR/script_common.sh
source "${LIB_DIR}/script_common.sh"

readonly CALL_TIMEOUT_SECONDS=15
# Ingress with its version: kubectl reads a name with two dots as resource.version.group first,
# and when that fails fetches the server's discovery again before it tries resource.group.
readonly NAMESPACE_KINDS="pods,deployments.apps,statefulsets.apps,daemonsets.apps,jobs.batch,services,persistentvolumeclaims,ingresses.v1.networking.k8s.io"

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

# Set by parse_args.
CONTEXT=""
WATCH_SECONDS=""

# The facts the shell reads (script_common.sh's read_facts); dashboard.jq reads the rest.
load_facts() {
  read_facts "$1" '(.crdKinds | join(","))'
  CRD_KINDS="${MORE_FACTS[0]}"
  CONTEXT="${DEFAULT_CONTEXT}"
}

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
    --argjson facts "${FACTS_JSON}" --argjson colour "${colour}" --argjson have_flux "${have_flux}" \
    --arg context "${context_label}" --arg kube_context "${CONTEXT}" \
    -f "${RENDER_JQ}" 2>"${tmp}/jq.err" || rc=$?
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
  if [[ -n "${WATCH_SECONDS}" ]]; then
    watch_loop
  else
    render
  fi
}

# dashboard_main VERSION FACTS ARGS...: VERSION (MAJOR.MINOR.PATCH) is the library the calling
# dashboard.sh was generated for, FACTS its JSON document.
dashboard_main() {
  check_library_version "${DASHBOARD_LIB_VERSION}" "$1" "${BASH_SOURCE[0]}" "${2:-}"
  # The facts are read with jq: the tools are checked first.
  require_tools
  load_facts "$2"
  shift 2
  main "$@"
}
