# shellcheck shell=bash
# deploy_lib.sh: what every namespace's deploy.sh does, shipped once per repository beside
# tilt_lib.star by tilt-flux-scaffold. A namespace's deploy.sh holds its facts as one JSON
# document (FACTS), sources this file and calls deploy_main with the library version it was
# generated for and that document. Not to be edited here: `tilt-flux-scaffold namespace` (any
# folder) or `tilt-flux-scaffold tilt-lib` rewrites it from the package's copy.
# Ships this folder through Flux: validate, commit only this folder, push, reconcile this
# namespace's own Kustomization, wait for it and for the rollouts, and revert on failure.
# Needs bash 4.4+, git, kubectl and jq, and flux for a build with postBuild variables; flux is
# used when installed. The steps are in the files beside this one:
#   deploy_validate.sh  1. validate the builds against the cluster
#   deploy_git.sh       2. commit and push, and the rollback
#   deploy_wait.sh      3. and 4. reconcile, wait for Flux, the HelmReleases and the rollouts
#   argocd_lib.sh       3. for a folder Argo CD deploys
#   script_common.sh    errors, colour, the facts, the version check

readonly SCRIPT_NAME="deploy.sh"
readonly DEPLOY_LIB_VERSION="2.0.0"
readonly KUSTOMIZATIONS_RESOURCE="kustomizations.kustomize.toolkit.fluxcd.io"
readonly HELMRELEASES_RESOURCE="helmreleases.helm.toolkit.fluxcd.io"
# The namespace folder is the calling script's; the repository root holds this file's folder.
FOLDER="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd -P)"
readonly FOLDER
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
readonly REPO_ROOT
LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
readonly LIB_DIR

# Options, set by parse_args.
MESSAGE=""
DRY_RUN=false
OFFLINE=false
CONTEXT=""
CONTEXT_ARGS=() # `--context NAME` for kubectl and flux, or nothing for the current context
TIMEOUT_SECONDS=300
BRANCH_OK=false
ROLLBACK=true
# State, set by the steps.
FLUX=""             # the flux CLI, when installed
WORK_DIR=""         # temp files, removed on exit
ACTIVE=()           # Kustomizations of RECONCILED that exist in the cluster: the ones to wait for
GIT_TOP=""          # git work tree, branch, its upstream and the upstream's tip before the push
BRANCH=""
REMOTE=""
REMOTE_BRANCH=""
REMOTE_SHA=""
CHANGES=""          # `git status --porcelain` of this folder
UNPUSHED=0          # commits on the branch not on the upstream (all inside this folder)
PUSHED_SHA=""
FAILURE=""          # why step 3 or 4 failed

# shellcheck source=SCRIPTDIR/script_common.sh
source "${LIB_DIR}/script_common.sh"
# shellcheck source=SCRIPTDIR/deploy_validate.sh
source "${LIB_DIR}/deploy_validate.sh"
# shellcheck source=SCRIPTDIR/deploy_git.sh
source "${LIB_DIR}/deploy_git.sh"
# shellcheck source=SCRIPTDIR/deploy_wait.sh
source "${LIB_DIR}/deploy_wait.sh"
# shellcheck source=SCRIPTDIR/argocd_lib.sh
source "${LIB_DIR}/argocd_lib.sh"

# The facts the steps read often (script_common.sh's read_facts; the rest through `fact`).
# RECONCILED holds `namespace/name` of each Kustomization to wait for, APPLICATIONS those of the
# Argo CD Applications that deploy the folder instead of Flux, BUILD_DIRS the namespace-relative
# directory of each build.
load_facts() {
  read_facts "$1" .branch .engine
  FLUX_BRANCH="${MORE_FACTS[0]}"
  ENGINE="${MORE_FACTS[1]}"
  mapfile -t RECONCILED < <(fact '.reconciled[].ref')
  mapfile -t APPLICATIONS < <(fact '.applications[]')
  mapfile -t BUILD_DIRS < <(fact '.builds[].dir')
  mapfile -t INVALID_VARIABLES < <(fact '.invalidVariables[]')
  MESSAGE="${NAMESPACE}: deploy ${FOLDER_IN_REPO}"
  CONTEXT="${DEFAULT_CONTEXT}"
}

# build_fact INDEX FILTER: FILTER of build INDEX (of BUILD_DIRS) in the facts.
build_fact() {
  fact ".builds[$1]$2"
}

# reconciled_fact REF FILTER: FILTER of the Kustomization REF (`namespace/name`) of RECONCILED.
reconciled_fact() {
  jq -r --arg ref "$1" ".reconciled[] | select(.ref == \$ref) | $2" <<<"${FACTS_JSON}"
}

usage() {
  local waits="${RECONCILED[*]}"
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

step() { printf '\n%s\n' "$(paint 1 "==> $*")"; }
info() { printf '    %s\n' "$*"; }
ok() { printf '    %s %s\n' "$(paint 32 "✓")" "$*"; }
warn() { printf '    %s %s\n' "$(paint 33 "!")" "$*" >&2; }
# Indents a command's output under the current step.
indent() {
  local line
  while IFS= read -r line || [[ -n "${line}" ]]; do printf '      %s\n' "${line}"; done
}

# ---- arguments and tools ----------------------------------------------------------------------

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
    info "not wait for Flux: ${RECONCILED[*]} is not in the cluster yet"
    return
  fi
  info "reconcile ${ACTIVE[*]} --with-source and wait up to ${TIMEOUT_SECONDS}s until Ready at the pushed commit"
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
    step "Done: ${RECONCILED[*]} is not in the cluster yet; Flux creates it when its parent Kustomization reconciles"
    return 0
  fi
  step "Wait for Flux to apply ${PUSHED_SHA:0:12} (up to ${TIMEOUT_SECONDS}s)"
  wait_for_flux "${PUSHED_SHA}" || rollback
  wait_for_releases || rollback
  wait_for_rollouts || rollback
  step "Deployed ${PUSHED_SHA:0:12} to ${NAMESPACE}"
}

# deploy_main VERSION FACTS ARGS...: VERSION (MAJOR.MINOR.PATCH) is the library the calling
# deploy.sh was generated for, FACTS its JSON document.
deploy_main() {
  check_library_version "${DEPLOY_LIB_VERSION}" "$1" "${BASH_SOURCE[0]}" "${2:-}"
  # The facts are read with jq: the tools are checked first.
  require_tools
  load_facts "$2"
  shift 2
  main "$@"
}
