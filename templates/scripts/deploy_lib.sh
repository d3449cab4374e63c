# shellcheck shell=bash disable=SC2153,SC2154
# deploy_lib.sh: what every namespace's deploy.sh does, shipped once per repository beside
# tilt_lib.star by tilt-flux-scaffold. A namespace's deploy.sh defines its facts (NAMESPACE,
# FOLDER_IN_REPO, DEFAULT_CONTEXT, FLUX_BRANCH, RECONCILED, BUILD_* and INVALID_VARIABLES, below),
# sources this file and calls deploy_main with the library version it was generated for.
# Not to be edited here: `tilt-flux-scaffold namespace` (any folder) or `tilt-flux-scaffold tilt-lib`
# rewrites it from the package's copy.
# Ships this folder through Flux: validate, commit only this folder, push, reconcile this
# namespace's own Kustomization, wait for it and for the rollouts, and revert on failure.
# Needs bash 4.4+, git, kubectl and jq, and flux for a build with postBuild variables; flux is
# used when installed. (SC2153 and SC2154 are off: the facts are assigned by the calling
# script, with which ShellCheck also checks this file.)

readonly DEPLOY_LIB_VERSION="1.3.0"
readonly KUSTOMIZATIONS_RESOURCE="kustomizations.kustomize.toolkit.fluxcd.io"
readonly HELMRELEASES_RESOURCE="helmreleases.helm.toolkit.fluxcd.io"
# The namespace folder is the calling script's; the repository root holds this file's folder.
FOLDER="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd -P)"
readonly FOLDER
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
readonly REPO_ROOT
# The Argo CD Applications that deploy the folder instead of Flux: a deploy.sh defines them only then.
if ! declare -p APPLICATIONS >/dev/null 2>&1; then APPLICATIONS=(); fi
# shellcheck source=SCRIPTDIR/argocd_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/argocd_lib.sh"

# The facts of a build, by its index in BUILD_DIRS:
#   BUILD_KUSTOMIZATIONS  the Flux Kustomization(s) building it, space-separated `namespace/name`
#   BUILD_COMPONENTS      its Flux-level spec.components, namespace-relative, space-separated
#   BUILD_SUBSTITUTES     true when Flux runs postBuild substitution on it
#   BUILD_VARIABLES       "INDEX NAME=VALUE": values from `substitute` and ConfigMaps in git
#   BUILD_SECRETS         "INDEX NAME": values from Secrets, read from your environment
#   BUILD_UNDEFINED       "INDEX NAME": defined nowhere, so empty, as Flux makes them
# RECONCILED holds "namespace/name spec.path file source" of each Kustomization to wait for.

# Flux-level spec.components of build $1, one per line.
build_components() {
  local -a components
  read -ra components <<<"${BUILD_COMPONENTS[$1]}"
  if ((${#components[@]} > 0)); then printf '%s\n' "${components[@]}"; fi
}

# Succeeds when Flux runs postBuild substitution on build $1.
build_substitutes() {
  [[ "${BUILD_SUBSTITUTES[$1]}" == true ]]
}

# postBuild variables of build $1 as NAME=VALUE, NUL-separated.
build_variables() {
  local entry
  for entry in "${BUILD_VARIABLES[@]}"; do
    if [[ "${entry%% *}" == "$1" ]]; then printf '%s\0' "${entry#* }"; fi
  done
  for entry in "${BUILD_SECRETS[@]}"; do
    if [[ "${entry%% *}" == "$1" ]]; then secret_variable "${entry#* }"; fi
  done
  for entry in "${BUILD_UNDEFINED[@]}"; do
    if [[ "${entry%% *}" == "$1" ]]; then printf '%s\0' "${entry#* }="; fi
  done
}

usage() {
  local waits="${RECONCILED[*]%% *}"
  cat <<EOF
Usage: ./deploy.sh [-m MESSAGE] [options]

Deploys ${FOLDER_IN_REPO} (namespace ${NAMESPACE}) through Flux, stopping at the first failure:

 1. Validate: build what Flux builds (${BUILD_DIRS[*]}) with kubectl kustomize, substitute its
    postBuild variables with flux build kustomization --dry-run --strict-substitute (a variable
    defined nowhere fails), then kubectl apply --server-side --dry-run=server against
    the cluster, and flux diff kustomization when flux is installed. Nothing is committed if
    this fails.
 2. Git: commit only ${FOLDER_IN_REPO} (other staged or modified files are left alone) and push
    to the branch's upstream. Refuses a detached HEAD, a branch behind its upstream, unpushed
    commits outside this folder, and an upstream branch other than the one Flux tracks
    (${FLUX_BRANCH:-unknown}). Never force-pushes.
 3. Flux: flux reconcile kustomization --with-source, then wait until it is Ready at the pushed
    commit (status.lastAppliedRevision), for: ${waits:-none (no Flux Kustomization applies
    this folder, so deploy.sh stops after the push)}.
 4. Health: every HelmRelease of ${NAMESPACE} Ready at its current spec (helm-controller installed
    or upgraded it; a failed install or upgrade fails the deploy), then kubectl rollout status
    for every Deployment, StatefulSet and DaemonSet of ${NAMESPACE}.
    If 3 or 4 fails or times out: git revert the pushed commit(s), push, reconcile again, wait
    for the HelmReleases again, exit 3.

Options:
  -m, --message MSG  commit message (default: "${NAMESPACE}: deploy ${FOLDER_IN_REPO}")
  --dry-run          validate, then print what steps 2-4 would do; change nothing
  --offline          no cluster: validate by building only (kubectl's client-side dry run
                     needs a server too), push, and let Flux apply at its next interval
  --context NAME     kube context (default: ${DEFAULT_CONTEXT:-the current context})
  --timeout DURATION how long each of steps 3 and 4 may take, e.g. 90s, 5m (default 5m)
  --branch-ok        push even when the upstream branch is not the one Flux tracks
  --no-rollback      on failure in step 3 or 4, leave the pushed commit in place
  -h, --help         this help

Exit status: 0 deployed (or nothing to deploy), 1 not deployed (validation, git or push
failure: nothing reached the remote), 2 usage, 3 deployed, failed and rolled back,
4 deployed and failed, not rolled back (--no-rollback, or the rollback failed).
EOF
}

# ---- output -----------------------------------------------------------------------------------

paint() {
  if [[ -t 1 && -z "${NO_COLOR:-}" && "${TERM:-}" != "dumb" ]]; then
    printf '\033[%sm%s\033[0m' "$1" "$2"
  else
    printf '%s' "$2"
  fi
}
step() { printf '\n%s\n' "$(paint 1 "==> $*")"; }
info() { printf '    %s\n' "$*"; }
ok() { printf '    %s %s\n' "$(paint 32 "✓")" "$*"; }
warn() { printf '    %s %s\n' "$(paint 33 "!")" "$*" >&2; }
# die MESSAGE [STATUS]: one line on stderr, then exit (1 by default: nothing was deployed).
die() {
  printf 'deploy.sh: %s\n' "$1" >&2
  exit "${2:-1}"
}
# Indents a command's output under the current step.
indent() {
  local line
  while IFS= read -r line || [[ -n "${line}" ]]; do printf '      %s\n' "${line}"; done
}

# ---- arguments and tools ----------------------------------------------------------------------

# Options, set by parse_args.
MESSAGE="${NAMESPACE}: deploy ${FOLDER_IN_REPO}"
DRY_RUN=false
OFFLINE=false
CONTEXT="${DEFAULT_CONTEXT}"
CONTEXT_ARGS=() # `--context NAME` for kubectl and flux, or nothing for the current context
TIMEOUT_SECONDS=300
BRANCH_OK=false
ROLLBACK=true
# State, set by the steps.
FLUX=""             # the flux CLI, when installed
WORK_DIR=""         # temp files, removed on exit
ACTIVE=()           # entries of RECONCILED that exist in the cluster: the ones to wait for
GIT_TOP=""          # git work tree, branch, its upstream and the upstream's tip before the push
BRANCH=""
REMOTE=""
REMOTE_BRANCH=""
REMOTE_SHA=""
CHANGES=""          # `git status --porcelain` of this folder
UNPUSHED=0          # commits on the branch not on the upstream (all inside this folder)
PUSHED_SHA=""
FAILURE=""          # why step 3 or 4 failed
ENGINE="Flux"       # what applies the pushed commits: Flux, or Argo CD when APPLICATIONS names some
if ((${#APPLICATIONS[@]} > 0)); then ENGINE="Argo CD"; fi
RECONCILE_PIDS=()   # background `flux reconcile` processes
RECONCILE_LOG=""
RECONCILE_SHOWN=0   # lines of RECONCILE_LOG already printed
POLL_FAILURE=""     # what wait_until_ready saw fail: "REF: why"

parse_args() {
  while (($# > 0)); do
    case "$1" in
      -m | --message) [[ $# -ge 2 ]] || die "$1 needs a message" 2; MESSAGE="$2"; shift ;;
      --message=*) MESSAGE="${1#--message=}" ;;
      --dry-run) DRY_RUN=true ;;
      --offline) OFFLINE=true ;;
      --context) [[ $# -ge 2 ]] || die "--context needs a name" 2; CONTEXT="$2"; shift ;;
      --context=*) CONTEXT="${1#--context=}" ;;
      --timeout) [[ $# -ge 2 ]] || die "--timeout needs a duration" 2; TIMEOUT_SECONDS="$(seconds "$2")"; shift ;;
      --timeout=*) TIMEOUT_SECONDS="$(seconds "${1#--timeout=}")" ;;
      --branch-ok) BRANCH_OK=true ;;
      --no-rollback) ROLLBACK=false ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown argument: $1 (see --help)" 2 ;;
    esac
    shift
  done
  [[ -n "${MESSAGE//[[:space:]]/}" ]] || die "the commit message is empty" 2
  if [[ -n "${CONTEXT}" ]]; then CONTEXT_ARGS=(--context "${CONTEXT}"); fi
}

# 90s, 5m, 1h or plain seconds → seconds.
seconds() {
  [[ "$1" =~ ^([0-9]+)(s|m|h)?$ ]] || die "not a duration: $1 (use e.g. 90s, 5m, 1h)" 2
  local unit=1
  case "${BASH_REMATCH[2]}" in
    m) unit=60 ;;
    h) unit=3600 ;;
    *) ;;
  esac
  printf '%s' "$((BASH_REMATCH[1] * unit))"
}

require_tools() {
  if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then
    die "needs bash 4.4 or newer, this is ${BASH_VERSION} (on macOS: brew install bash)"
  fi
  local tool
  for tool in git kubectl jq; do
    command -v "${tool}" >/dev/null 2>&1 || die "${tool} is not installed (deploy.sh needs git, kubectl and jq)"
  done
  FLUX="$(command -v flux || true)"
}

kube() {
  kubectl "${CONTEXT_ARGS[@]}" "$@"
}

flux_cli() {
  "${FLUX}" "$@" "${CONTEXT_ARGS[@]}"
}

# ---- step 1: validate -------------------------------------------------------------------------

# secret_variable NAME: prints NAME=VALUE from the environment, or a placeholder with a warning.
secret_variable() {
  if [[ -n "${!1+set}" ]]; then
    printf '%s\0' "$1=${!1}"
  else
    warn "$1 comes from a Secret and is not exported: validating with a placeholder value"
    printf '%s\0' "$1=placeholder-for-$1"
  fi
}

# kustomize build of build $1 into file $2, with its Flux-level components when it has some.
build_manifests() {
  local index="$1" out="$2" dir
  dir="${FOLDER}/${BUILD_DIRS[index]}"
  local -a components
  mapfile -t components < <(build_components "${index}")
  if ((${#components[@]} > 0)); then
    # Flux adds spec.components to the path's kustomization; a wrapper kustomization does the
    # same. kustomize refuses absolute paths, so the wrapper points back up from its temp dir.
    local wrapper up="" slashes d component
    wrapper="$(cd "$(mktemp -d "${WORK_DIR}/wrapper.XXXXXX")" && pwd -P)"
    slashes="${wrapper//[^\/]/}"
    for ((d = 0; d < ${#slashes}; d++)); do up+="../"; done
    {
      printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\ncomponents:\n' "${up}${dir#/}"
      for component in "${components[@]}"; do printf '  - %s\n' "${up}${FOLDER#/}/${component}"; done
    } >"${wrapper}/kustomization.yaml"
    dir="${wrapper}"
  fi
  kubectl kustomize --load-restrictor LoadRestrictionsNone "${dir}" >"${out}"
}

# Flux postBuild substitution of file $2 for build $1, in place, by `flux build kustomization`:
# kustomize-controller's own code, so objects annotated `substitute: disabled` stay as written.
# A dry run reads no ConfigMap or Secret, so the variables go inline into a Kustomization file
# in WORK_DIR, which only this user can read. (Called from `||`, where set -e is off: each
# failure returns explicitly.)
substitute() {
  local index="$1" file="$2" dir="${WORK_DIR}/substitute-$1"
  local ref="${BUILD_KUSTOMIZATIONS[index]%% *}"
  local -a variables
  mapfile -d '' -t variables < <(build_variables "${index}")
  mkdir -p "${dir}" && mv "${file}" "${dir}/build.yaml" || return 1
  printf 'resources:\n  - build.yaml\n' >"${dir}/kustomization.yaml"
  jq -n --arg name "${ref#*/}" --arg namespace "${ref%%/*}" '{
      apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization",
      metadata: {name: $name, namespace: $namespace},
      spec: {interval: "1h", path: "./", prune: false, sourceRef: {kind: "GitRepository", name: "deploy"},
        postBuild: {substitute: ($ARGS.positional | map(capture("^(?<k>[^=]*)=(?<v>.*)$"; "s") | {(.k): .v}) | add // {})}}
    }' --args "${variables[@]}" >"${dir}.json" || return 1
  "${FLUX}" build kustomization "${ref#*/}" --path "${dir}" --kustomization-file "${dir}.json" \
    --dry-run --strict-substitute >"${file}" || return 1
}

# The API server's complaints from a dry-run apply, without the accepted objects, each cut short.
rejections() {
  local line
  while IFS= read -r line || [[ -n "${line}" ]]; do
    if [[ "${line}" != *"(server dry run)" ]]; then printf '      %s\n' "${line:0:400}"; fi
  done
}

# One cheap request tells a reachable cluster from an unreachable one.
cluster_reachable() {
  kube get --raw /version --request-timeout=10s >/dev/null 2>&1
}

# Fails when one of ours is suspended in the cluster: Flux would not apply what we push. Sets
# ACTIVE to those in the cluster; a new one appears when its parent Kustomization applies it.
check_flux_state() {
  local entry ref name namespace live
  for entry in "${RECONCILED[@]}"; do
    ref="${entry%% *}"
    namespace="${ref%%/*}"
    name="${ref#*/}"
    live="$(kube get "${KUSTOMIZATIONS_RESOURCE}" "${name}" -n "${namespace}" --ignore-not-found -o json)" \
      || die "cannot read Flux Kustomization ${namespace}/${name}: is Flux installed in this cluster?"
    if [[ -z "${live}" ]]; then
      warn "${namespace}/${name} is not in the cluster yet: its parent Kustomization creates it, so deploy.sh will not wait for it"
      continue
    elif [[ "$(jq -r '.spec.suspend // false' <<<"${live}")" == "true" ]]; then
      die "${namespace}/${name} is suspended in the cluster (Tilt is running, or stopped without \`tilt down\`), so Flux would not apply this deploy: run \`tilt down\`, or resume it with \`flux resume kustomization ${name} -n ${namespace}${CONTEXT:+ --context ${CONTEXT}}\`"
    fi
    ACTIVE+=("${entry}")
  done
}

# flux diff for each Kustomization: what the push would change. Exit 1 only means "changes".
flux_diff() {
  local entry ref path file status
  for entry in "${RECONCILED[@]}"; do
    read -r ref path file _ <<<"${entry}"
    info "flux diff kustomization ${ref}:"
    status=0
    flux_cli diff kustomization "${ref#*/}" -n "${ref%%/*}" --path "${REPO_ROOT}/${path}" \
      --kustomization-file "${REPO_ROOT}/${file}" --ignore-not-found --progress-bar=false 2>&1 | indent || status=$?
    ((status <= 1)) || die "flux diff kustomization ${ref} failed (exit ${status})"
  done
}

validate() {
  step "Validate ${FOLDER_IN_REPO}"
  local name
  for name in "${INVALID_VARIABLES[@]}"; do
    die "Flux rejects the postBuild variable ${name}: names must match ^[_[:alpha:]][_[:alpha:][:digit:]]*\$"
  done
  local index file online=false
  if [[ "${OFFLINE}" == false ]]; then
    cluster_reachable || die "cannot reach the cluster (context ${CONTEXT:-current}); use --offline to validate without it and push"
    online=true
  fi
  for index in "${!BUILD_DIRS[@]}"; do
    file="${WORK_DIR}/build-${index}.yaml"
    build_manifests "${index}" "${file}" || die "kustomize build of ${BUILD_DIRS[index]} failed"
    ok "kustomize build ${BUILD_DIRS[index]}${BUILD_KUSTOMIZATIONS[index]:+ (${BUILD_KUSTOMIZATIONS[index]})}"
    if build_substitutes "${index}"; then
      [[ -n "${FLUX}" ]] || die "flux is not installed: it substitutes the postBuild variables of ${BUILD_DIRS[index]} as Flux does (https://fluxcd.io/flux/installation/#install-the-flux-cli)"
      substitute "${index}" "${file}" || die "postBuild substitution of ${BUILD_DIRS[index]} failed"
      ok "postBuild substitution (flux build kustomization --dry-run --strict-substitute)"
    fi
    if [[ "${online}" == true ]]; then
      # Server-side apply as kustomize-controller does, so the API server validates every field.
      kube apply --server-side --force-conflicts --field-manager=kustomize-controller --dry-run=server \
        -f "${file}" >"${file}.out" 2>&1 || { rejections <"${file}.out" >&2; die "the API server rejects ${BUILD_DIRS[index]}"; }
      local -a applied
      mapfile -t applied <"${file}.out"
      ok "kubectl apply --server-side --dry-run=server (${#applied[@]} objects)"
    else
      # kubectl's client-side dry run needs API discovery from a server. kustomize and flux
      # build parse what they emit, so the build above is the whole offline check.
      info "offline: no server-side dry run"
    fi
  done
  if [[ "${online}" == true && ${#APPLICATIONS[@]} -gt 0 ]]; then check_argocd_state; fi
  if [[ "${online}" == true && ${#RECONCILED[@]} -gt 0 ]]; then
    check_flux_state
    if [[ -n "${FLUX}" ]]; then flux_diff; else info "flux is not installed: no flux diff"; fi
  fi
}

# ---- step 2: git ------------------------------------------------------------------------------

g() { git -C "${GIT_TOP}" "$@"; }

# Read-only checks; sets the globals above. Refuses (exit 1) what deploy.sh must not push.
inspect_git() {
  step "Check git"
  GIT_TOP="$(git -C "${FOLDER}" rev-parse --show-toplevel 2>/dev/null)" || die "${FOLDER} is not in a git work tree"
  BRANCH="$(g symbolic-ref --quiet --short HEAD)" || die "HEAD is detached: check out ${FLUX_BRANCH:-the branch Flux tracks} first"
  REMOTE="$(g config --get "branch.${BRANCH}.remote")" || die "branch ${BRANCH} has no upstream: push it once with \`git push -u <remote> ${BRANCH}\`"
  REMOTE_BRANCH="$(g config --get "branch.${BRANCH}.merge")" || die "branch ${BRANCH} has no upstream branch"
  REMOTE_BRANCH="${REMOTE_BRANCH#refs/heads/}"
  if [[ -z "${FLUX_BRANCH}" ]]; then
    warn "the generator found no branch for Flux's source: not checking ${REMOTE}/${REMOTE_BRANCH}"
  elif [[ "${REMOTE_BRANCH}" != "${FLUX_BRANCH}" && "${BRANCH_OK}" == false ]]; then
    die "this would push to ${REMOTE}/${REMOTE_BRANCH}, but Flux tracks ${FLUX_BRANCH}: switch branch, or pass --branch-ok"
  fi
  # ls-remote reads the remote's tip without touching any ref, so a dry run changes nothing.
  REMOTE_SHA="$(g ls-remote --exit-code "${REMOTE}" "refs/heads/${REMOTE_BRANCH}")" \
    || die "cannot read ${REMOTE_BRANCH} from remote ${REMOTE} (does it exist, is the remote reachable?)"
  REMOTE_SHA="${REMOTE_SHA%%[[:space:]]*}"
  if ! g cat-file -e "${REMOTE_SHA}^{commit}" 2>/dev/null || ! g merge-base --is-ancestor "${REMOTE_SHA}" HEAD; then
    die "${BRANCH} is behind ${REMOTE}/${REMOTE_BRANCH}: \`git pull --rebase\` first"
  fi
  local prefix outside file
  prefix="$(git -C "${FOLDER}" rev-parse --show-prefix)"
  outside="$(g log --format= --name-only "${REMOTE_SHA}..HEAD" | while IFS= read -r file; do
    if [[ -n "${file}" && "${file}" != "${prefix}"* ]]; then printf '%s\n' "${file}"; fi
  done)"
  [[ -z "${outside}" ]] || die "${BRANCH} has unpushed commits outside ${FOLDER_IN_REPO} (e.g. ${outside%%$'\n'*}): push them first"
  UNPUSHED="$(g rev-list --count "${REMOTE_SHA}..HEAD")"
  CHANGES="$(g status --porcelain --untracked-files=all -- "${FOLDER}")"
  ok "on ${BRANCH}, up to date with ${REMOTE}/${REMOTE_BRANCH}$([[ "${REMOTE_BRANCH}" == "${FLUX_BRANCH}" ]] && echo ", the branch Flux tracks")"
}

commit_and_push() {
  step "Commit and push"
  if [[ -n "${CHANGES}" ]]; then
    g add --all -- "${FOLDER}"
    # --only with a pathspec: other staged changes stay staged and out of this commit.
    g commit --quiet --only -m "${MESSAGE}" -- "${FOLDER}" || die "git commit failed"
    ok "committed $(g rev-parse --short HEAD): ${MESSAGE}"
  fi
  local output
  if ! output="$(g push --porcelain "${REMOTE}" "HEAD:refs/heads/${REMOTE_BRANCH}" 2>&1)"; then
    printf '%s\n' "${output}" | indent >&2
    die "git push to ${REMOTE}/${REMOTE_BRANCH} was rejected: nothing was deployed (your commit stays local; fix and re-run)"
  fi
  PUSHED_SHA="$(g rev-parse HEAD)"
  ok "pushed ${PUSHED_SHA:0:12} to ${REMOTE}/${REMOTE_BRANCH}"
}

# ---- step 3: Flux -----------------------------------------------------------------------------

# Asks Flux to fetch the source and apply our Kustomizations now. `flux reconcile` runs in the
# background: it waits for the controller, and would wait out its timeout on a Kustomization
# that stays Ready=False, which wait_for_flux judges by itself. Without flux, sets the
# annotation `flux reconcile` sets.
start_reconcile() {
  local entry ref source now
  RECONCILE_LOG="$(mktemp "${WORK_DIR}/reconcile.XXXXXX")"
  printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1
  for entry in "${ACTIVE[@]}"; do
    read -r ref _ _ source <<<"${entry}"
    if [[ -n "${FLUX}" ]]; then
      "${FLUX}" reconcile kustomization "${ref#*/}" -n "${ref%%/*}" --with-source --timeout="${TIMEOUT_SECONDS}s" \
        "${CONTEXT_ARGS[@]}" >>"${RECONCILE_LOG}" 2>&1 &
      RECONCILE_PIDS+=("$!")
    else
      kube annotate --overwrite "${source#*/}" -n "${source%%/*}" "reconcile.fluxcd.io/requestedAt=${now}" >>"${RECONCILE_LOG}" 2>&1 || true
      kube annotate --overwrite "${KUSTOMIZATIONS_RESOURCE}/${ref#*/}" -n "${ref%%/*}" "reconcile.fluxcd.io/requestedAt=${now}" >>"${RECONCILE_LOG}" 2>&1 || true
    fi
  done
}

stop_reconcile() {
  local pid
  for pid in "${RECONCILE_PIDS[@]}"; do
    kill "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
  done
  RECONCILE_PIDS=()
}

# ready, failed or waiting, then a description, for Kustomization $1 (namespace/name) at $2.
kustomization_state() {
  local ref="$1" sha="$2" live
  live="$(kube get "${KUSTOMIZATIONS_RESOURCE}" "${ref#*/}" -n "${ref%%/*}" --ignore-not-found -o json 2>/dev/null)" || live=""
  [[ -n "${live}" ]] || { printf 'waiting\tnot in the cluster yet'; return; }
  jq -r --arg sha "${sha}" '
    ([.status.conditions[]? | select(.type == "Ready")] | first) as $ready
    | (.status.lastAppliedRevision // "") as $applied
    | if .spec.suspend then "failed\tsuspended"
      elif $ready.status == "True" and ($applied | contains($sha)) and (.status.observedGeneration // 0) >= .metadata.generation
        then "ready\tReady at \($applied)"
      elif $ready.status == "False" and ((.status.lastAttemptedRevision // "") | contains($sha)) and $ready.reason != "DependencyNotReady"
        then "failed\t\($ready.reason): \($ready.message)"
      else "waiting\t\($ready.reason // "Unknown"): \($ready.message // "no status yet") (applied: \(if $applied == "" then "nothing" else $applied end))"
      end' <<<"${live}"
}

# Polls `$1 REF $2` (ready, failed or waiting, a tab, a description) for each REF after the third
# argument until all are ready at commit $2, printing each change of state; runs $3 before each
# poll. Returns 0 when all are ready, 1 with POLL_FAILURE ("REF: why") when one failed, 2 once
# TIMEOUT_SECONDS have passed.
wait_until_ready() {
  local state_of="$1" sha="$2" each_poll="$3" deadline=$((SECONDS + TIMEOUT_SECONDS)) ref state pending
  local -A last=()
  shift 3
  while true; do
    "${each_poll}"
    pending=0
    for ref in "$@"; do
      state="$("${state_of}" "${ref}" "${sha}")"
      if [[ "${state}" != "${last[${ref}]:-}" ]]; then info "${ref}: ${state#*$'\t'}"; last[${ref}]="${state}"; fi
      case "${state%%$'\t'*}" in
        ready) ;;
        failed) POLL_FAILURE="${ref}: ${state#*$'\t'}"; return 1 ;;
        *) pending=$((pending + 1)) ;;
      esac
    done
    ((pending == 0)) && return 0
    ((SECONDS >= deadline)) && return 2
    sleep 2
  done
}

# Prints what the background `flux reconcile` runs wrote since the last call.
show_reconcile_log() {
  local -a lines
  local i
  mapfile -t lines <"${RECONCILE_LOG}"
  for ((i = RECONCILE_SHOWN; i < ${#lines[@]}; i++)); do info "${lines[i]}"; done
  RECONCILE_SHOWN=${#lines[@]}
}

# Waits until every Kustomization of ACTIVE is Ready at commit $1, printing flux's output and
# each change of state. Sets FAILURE and fails otherwise.
wait_for_flux() {
  local sha="$1" status=0
  start_reconcile
  RECONCILE_SHOWN=0
  wait_until_ready kustomization_state "${sha}" show_reconcile_log "${ACTIVE[@]%% *}" || status=$?
  stop_reconcile
  case "${status}" in
    0) ok "Flux applied ${sha:0:12}" ;;
    1) FAILURE="Flux could not apply ${POLL_FAILURE}" ;;
    *) FAILURE="Flux did not apply ${sha:0:12} within ${TIMEOUT_SECONDS}s" ;;
  esac
  ((status == 0))
}

# ---- step 4: health ---------------------------------------------------------------------------

# "name<TAB>state<TAB>description" per HelmRelease of the namespace: ready once helm-controller
# installed its current spec, failed when that install or upgrade failed (or was remediated),
# else waiting.
release_states() {
  kube get "${HELMRELEASES_RESOURCE}" -n "${NAMESPACE}" -o json | jq -r '
    .items[]
    | ([.status.conditions[]? | select(.type == "Ready")] | first) as $ready
    | ([.status.conditions[]? | select(.type == "Stalled")] | first) as $stalled
    | (.metadata.generation // 0) as $generation
    | "\(.metadata.name)\t" + (
        if .spec.suspend then "ready\tsuspended in git, not checked"
        elif $ready.status == "True" and (.status.observedGeneration // 0) >= $generation then "ready\t\($ready.message)"
        elif $ready.status == "False" and ((.status.lastAttemptedGeneration // .status.observedGeneration // 0) >= $generation)
          and ($stalled.status == "True" or ($ready.reason | test("Failed$|RollbackSucceeded|UninstallSucceeded")))
          then "failed\t\($ready.reason): \($ready.message)"
        else "waiting\t\($ready.reason // "Progressing"): \($ready.message // "not reconciled yet")"
        end)'
}

# Waits until every HelmRelease of the namespace is ready, printing each change of state. Sets
# FAILURE and fails when one fails or the time is up.
wait_for_releases() {
  local deadline=$((SECONDS + TIMEOUT_SECONDS)) states name state description pending
  local -A last=()
  states="$(release_states)" || { FAILURE="cannot read the HelmReleases of ${NAMESPACE}"; return 1; }
  [[ -n "${states}" ]] || return 0
  step "Wait for the HelmReleases in ${NAMESPACE} (up to ${TIMEOUT_SECONDS}s)"
  while true; do
    pending=0
    while IFS=$'\t' read -r name state description; do
      if [[ "${state}: ${description}" != "${last[${name}]:-}" ]]; then info "${name}: ${description}"; last[${name}]="${state}: ${description}"; fi
      case "${state}" in
        ready) ;;
        failed) FAILURE="HelmRelease ${name} failed: ${description}"; return 1 ;;
        *) pending=$((pending + 1)) ;;
      esac
    done <<<"${states}"
    if ((pending == 0)); then ok "every HelmRelease is ready"; return 0; fi
    if ((SECONDS >= deadline)); then FAILURE="HelmReleases of ${NAMESPACE} not ready within ${TIMEOUT_SECONDS}s"; return 1; fi
    sleep 2
    states="$(release_states)" || { FAILURE="cannot read the HelmReleases of ${NAMESPACE}"; return 1; }
  done
}

# Deployments, StatefulSets and DaemonSets of the namespace; OnDelete ones never "roll out".
list_workloads() {
  kube get deployments.apps,statefulsets.apps,daemonsets.apps -n "${NAMESPACE}" -o json \
    | jq -r '.items[] | select(.spec.updateStrategy.type != "OnDelete") | "\(.kind | ascii_downcase)/\(.metadata.name)"'
}

wait_for_rollouts() {
  step "Wait for the rollouts in ${NAMESPACE} (up to ${TIMEOUT_SECONDS}s)"
  local deadline=$((SECONDS + TIMEOUT_SECONDS)) workload remaining
  local listed
  listed="$(list_workloads)" || { FAILURE="cannot list the workloads of ${NAMESPACE}"; return 1; }
  local -a workloads=()
  if [[ -n "${listed}" ]]; then mapfile -t workloads <<<"${listed}"; fi
  ((${#workloads[@]} > 0)) || { info "no Deployment, StatefulSet or DaemonSet in ${NAMESPACE}"; return 0; }
  for workload in "${workloads[@]}"; do
    remaining=$((deadline - SECONDS))
    if ((remaining <= 0)) || ! kube rollout status "${workload}" -n "${NAMESPACE}" --timeout="${remaining}s" 2>&1 | indent; then
      FAILURE="${workload} did not roll out within ${TIMEOUT_SECONDS}s"
      return 1
    fi
  done
  ok "${#workloads[@]} workload(s) rolled out"
}

# Reverts what this run pushed (REMOTE_SHA..PUSHED_SHA), pushes the revert and reconciles.
rollback() {
  step "Roll back: ${FAILURE}"
  [[ "${ROLLBACK}" == true ]] || die "deployed ${PUSHED_SHA:0:12}, but ${FAILURE}; not rolled back (--no-rollback)" 4
  # Revert through a throwaway index: `git revert` refuses while other changes are staged, and
  # those are the user's. Only this folder's paths differ, so only they are reset afterwards.
  local index_file
  index_file="$(mktemp "${WORK_DIR}/index.XXXXXX")"
  GIT_INDEX_FILE="${index_file}" g read-tree HEAD || die "deployed ${PUSHED_SHA:0:12}, but ${FAILURE}; git read-tree failed, nothing rolled back" 4
  if ! GIT_INDEX_FILE="${index_file}" g revert --no-edit "${REMOTE_SHA}..${PUSHED_SHA}" 2>&1 | indent; then
    GIT_INDEX_FILE="${index_file}" g revert --abort >/dev/null 2>&1 || true
    rm -f "${index_file}"
    die "deployed ${PUSHED_SHA:0:12}, but ${FAILURE}; git revert failed, nothing rolled back" 4
  fi
  rm -f "${index_file}"
  g reset --quiet -- "${FOLDER}" || warn "could not reset the index of ${FOLDER_IN_REPO}: check \`git status\`"
  local revert_sha output
  revert_sha="$(g rev-parse HEAD)"
  if ! output="$(g push --porcelain "${REMOTE}" "HEAD:refs/heads/${REMOTE_BRANCH}" 2>&1)"; then
    printf '%s\n' "${output}" | indent >&2
    die "deployed ${PUSHED_SHA:0:12}, but ${FAILURE}; the revert ${revert_sha:0:12} could not be pushed: push it yourself" 4
  fi
  ok "pushed revert ${revert_sha:0:12} to ${REMOTE}/${REMOTE_BRANCH}"
  local reason="${FAILURE}" applied
  step "Wait for ${ENGINE} to apply the revert ${revert_sha:0:12} (up to ${TIMEOUT_SECONDS}s)"
  if ! wait_for_engine "${revert_sha}"; then
    applied="but ${FAILURE}"
  elif ! wait_for_releases; then
    # helm upgrades from the last deployed revision, so what a failed upgrade changed stays on
    # the live objects when the revert's values equal that revision's.
    applied="${ENGINE} applied it, but ${FAILURE} (for a revert to restore a release, give it spec.upgrade.remediation.remediateLastFailure or spec.upgrade.force)"
  else
    applied="${ENGINE} applied it"
  fi
  die "${reason}. Rolled back: pushed ${revert_sha:0:12}, which reverts ${PUSHED_SHA:0:12}; ${applied}" 3
}

# ---- main -------------------------------------------------------------------------------------

# Waits for whichever engine deploys the folder to apply commit $1.
wait_for_engine() {
  if ((${#APPLICATIONS[@]} > 0)); then wait_for_argocd "$1"; else wait_for_flux "$1"; fi
}

print_plan() {
  step "Dry run: nothing was changed. A deploy would:"
  if [[ -n "${CHANGES}" ]]; then
    info "commit ${FOLDER_IN_REPO} (\"${MESSAGE}\"):"
    printf '%s\n' "${CHANGES}" | indent
  fi
  info "push ${BRANCH} to ${REMOTE}/${REMOTE_BRANCH} ($((UNPUSHED + (${#CHANGES} > 0 ? 1 : 0))) commit(s))"
  if ((${#APPLICATIONS[@]} > 0)); then
    info "ask Argo CD to sync ${APPLICATIONS[*]} at the pushed commit and wait up to ${TIMEOUT_SECONDS}s until Synced and Healthy there"
    if [[ "${ROLLBACK}" == true ]]; then info "on failure: git revert the pushed commit(s), push the revert, sync it, exit 3"; fi
    return
  fi
  if ((${#RECONCILED[@]} == 0)); then
    info "not reconcile anything: no Flux Kustomization applies ${FOLDER_IN_REPO}"
    return
  fi
  if [[ "${OFFLINE}" == true ]]; then
    info "not reconcile (--offline): Flux applies the push at its next interval"
    return
  fi
  if ((${#ACTIVE[@]} == 0)); then
    info "not wait for Flux: ${RECONCILED[*]%% *} is not in the cluster yet"
    return
  fi
  info "reconcile ${ACTIVE[*]%% *} --with-source and wait up to ${TIMEOUT_SECONDS}s until Ready at the pushed commit"
  local -a workloads
  mapfile -t workloads < <(list_workloads 2>/dev/null || true)
  info "wait up to ${TIMEOUT_SECONDS}s for the rollout of: ${workloads[*]:-the Deployments, StatefulSets and DaemonSets in ${NAMESPACE}}"
  if [[ "${ROLLBACK}" == true ]]; then info "on failure: git revert the pushed commit(s), push the revert, reconcile, exit 3"; fi
}

cleanup() {
  stop_reconcile
  if [[ -n "${WORK_DIR}" ]]; then rm -rf "${WORK_DIR}"; fi
}

main() {
  parse_args "$@"
  require_tools
  WORK_DIR="$(mktemp -d)"
  trap cleanup EXIT
  printf 'deploy %s (namespace %s), context %s\n' "${FOLDER_IN_REPO}" "${NAMESPACE}" "${CONTEXT:-$(kubectl config current-context 2>/dev/null || echo "(none)")}"
  validate
  inspect_git
  if [[ -z "${CHANGES}" && "${UNPUSHED}" -eq 0 ]]; then
    step "Nothing to deploy: ${FOLDER_IN_REPO} has no changes and ${BRANCH} is on ${REMOTE}/${REMOTE_BRANCH}"
    return 0
  fi
  if [[ "${DRY_RUN}" == true ]]; then
    print_plan
    return 0
  fi
  commit_and_push
  if ((${#APPLICATIONS[@]} > 0)) && [[ "${OFFLINE}" == false ]]; then
    step "Wait for Argo CD to sync ${PUSHED_SHA:0:12} (up to ${TIMEOUT_SECONDS}s)"
    wait_for_argocd "${PUSHED_SHA}" || rollback
    wait_for_rollouts || rollback
    step "Deployed ${PUSHED_SHA:0:12} to ${NAMESPACE}"
    return 0
  fi
  if ((${#APPLICATIONS[@]} > 0)); then
    step "Done (--offline): Argo CD syncs ${PUSHED_SHA:0:12} at its next poll of git; watch it with ./dashboard.sh"
    return 0
  fi
  if ((${#RECONCILED[@]} == 0)); then
    step "Done: no Flux Kustomization applies ${FOLDER_IN_REPO}, so there is nothing to reconcile"
    return 0
  fi
  if [[ "${OFFLINE}" == true ]]; then
    step "Done (--offline): Flux applies ${PUSHED_SHA:0:12} at its next interval; watch it with ./dashboard.sh"
    return 0
  fi
  if ((${#ACTIVE[@]} == 0)); then
    step "Done: ${RECONCILED[*]%% *} is not in the cluster yet; Flux creates it when its parent Kustomization reconciles"
    return 0
  fi
  step "Wait for Flux to apply ${PUSHED_SHA:0:12} (up to ${TIMEOUT_SECONDS}s)"
  wait_for_flux "${PUSHED_SHA}" || rollback
  wait_for_releases || rollback
  wait_for_rollouts || rollback
  step "Deployed ${PUSHED_SHA:0:12} to ${NAMESPACE}"
}

# deploy_main VERSION ARGS...: VERSION (MAJOR.MINOR.PATCH) is the library the calling deploy.sh
# was generated for; this one must have its major and be at least as new.
deploy_main() {
  local wanted="$1"
  local -a have needed
  IFS=. read -ra have <<<"${DEPLOY_LIB_VERSION}"
  IFS=. read -ra needed <<<"$1"
  shift
  if ! ((have[0] == needed[0] && (have[1] > needed[1] || (have[1] == needed[1] && have[2] >= needed[2])))); then
    die "${BASH_SOURCE[0]} is version ${DEPLOY_LIB_VERSION}, this deploy.sh needs ${needed[0]}.x from ${wanted}: run \`${UPDATE_COMMAND}\`"
  fi
  main "$@"
}
