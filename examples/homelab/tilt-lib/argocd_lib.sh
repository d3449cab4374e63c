# shellcheck shell=bash
# argocd_lib.sh: deploy.sh's steps for a folder that Argo CD Applications deploy, sourced by
# deploy_lib.sh, shipped with it by tilt-flux-scaffold. After the push, each Application is asked
# to sync (as `argocd app sync` asks: an operation on the Application) and deploy.sh waits until
# it is Synced and Healthy at the pushed commit; a sync that fails at that commit is a failure,
# which deploy_lib.sh rolls back. Needs kubectl and jq only.

# shellcheck disable=SC2034 # the version a reader of the repository's tilt-lib/ sees; deploy_lib.sh checks its own
readonly ARGOCD_LIB_VERSION="2.0.0"
readonly ARGOCD_APPLICATIONS_RESOURCE="applications.argoproj.io"
readonly ARGOCD_PAUSED_ANNOTATION="tilt.dev/paused-automated-sync"

# Reads, from deploy_lib.sh: the facts APPLICATIONS, FOLDER_IN_REPO; the options CONTEXT,
# TIMEOUT_SECONDS; the state FAILURE, and POLL_FAILURE from deploy_wait.sh.
: "${APPLICATIONS+}" "${FOLDER_IN_REPO+}" "${CONTEXT+}" "${TIMEOUT_SECONDS+}" "${FAILURE+}" "${POLL_FAILURE+}"

# Fails when an Application is missing or has its sync paused by Tilt: Argo CD would not apply
# what we push.
check_argocd_state() {
  local ref live
  for ref in "${APPLICATIONS[@]}"; do
    live="$(kube get "${ARGOCD_APPLICATIONS_RESOURCE}" "${ref#*/}" -n "${ref%%/*}" --ignore-not-found -o json)" \
      || die "cannot read Argo CD Application ${ref}: is Argo CD installed in this cluster?"
    [[ -n "${live}" ]] || die "Argo CD Application ${ref} is not in the cluster (context ${CONTEXT:-current}): nothing would sync this deploy"
    if [[ -n "$(jq -r --arg a "${ARGOCD_PAUSED_ANNOTATION}" '.metadata.annotations[$a] // ""' <<<"${live}")" ]]; then
      die "Argo CD Application ${ref} has its automated sync paused by Tilt (Tilt is running, or stopped without \`tilt down\`): run \`tilt down\` in ${FOLDER_IN_REPO} first"
    fi
  done
  ok "Argo CD Application(s) ${APPLICATIONS[*]} in the cluster, not paused"
}

# Asks each Application to sync commit $1 now: a sync operation at it when none is running (what
# `argocd app sync --revision` starts), and a refresh, after which an automated sync takes it too.
request_argocd_sync() {
  local sha="$1" ref running
  for ref in "${APPLICATIONS[@]}"; do
    running="$(kube get "${ARGOCD_APPLICATIONS_RESOURCE}" "${ref#*/}" -n "${ref%%/*}" -o jsonpath='{.operation}' 2>/dev/null)" || running=""
    if [[ -z "${running}" ]]; then
      kube patch "${ARGOCD_APPLICATIONS_RESOURCE}" "${ref#*/}" -n "${ref%%/*}" --type merge \
        -p "{\"operation\":{\"initiatedBy\":{\"username\":\"deploy.sh\"},\"sync\":{\"revision\":\"${sha}\"}}}" >/dev/null || warn "could not ask ${ref} to sync"
    fi
    kube annotate --overwrite "${ARGOCD_APPLICATIONS_RESOURCE}" "${ref#*/}" -n "${ref%%/*}" argocd.argoproj.io/refresh=normal >/dev/null \
      || warn "could not ask ${ref} to refresh"
  done
}

# ready, failed or waiting, then a description, for Application $1 (namespace/name) at commit $2.
application_state() {
  local ref="$1" sha="$2" live
  live="$(kube get "${ARGOCD_APPLICATIONS_RESOURCE}" "${ref#*/}" -n "${ref%%/*}" --ignore-not-found -o json 2>/dev/null)" || live=""
  [[ -n "${live}" ]] || { printf 'waiting\tnot in the cluster'; return; }
  jq -r --arg sha "${sha}" '
    (.status.operationState // {}) as $op | (.status.sync // {}) as $sync | (.status.health.status // "Unknown") as $health
    | if ($op.syncResult.revision // "") == $sha and ($op.phase // "" | test("Failed|Error"))
        then "failed\tsync \($op.phase): \($op.message // "")"
      elif ($sync.revision // "") == $sha and $sync.status == "Synced" and $health == "Degraded"
        then "failed\tDegraded at \($sha[0:12])"
      elif ($sync.revision // "") == $sha and $sync.status == "Synced" and $health == "Healthy" and ($op.phase // "") != "Running"
        then "ready\tSynced and Healthy at \($sha[0:12])"
      else "waiting\t\($sync.status // "Unknown") \($health) at \(($sync.revision // "nothing")[0:12])\(if $op.phase then ", last sync \($op.phase)" else "" end)"
      end' <<<"${live}"
}

# Waits until every Application is Synced and Healthy at commit $1, printing each change of
# state. Sets FAILURE and fails otherwise.
wait_for_argocd() {
  local sha="$1" status=0
  request_argocd_sync "${sha}"
  wait_until_ready application_state "${sha}" : "${APPLICATIONS[@]}" || status=$?
  case "${status}" in
    0) ok "Argo CD synced ${sha:0:12}: ${APPLICATIONS[*]}" ;;
    1) FAILURE="Argo CD Application ${POLL_FAILURE}" ;;
    *) FAILURE="Argo CD did not sync ${sha:0:12} within ${TIMEOUT_SECONDS}s" ;;
  esac
  ((status == 0))
}
