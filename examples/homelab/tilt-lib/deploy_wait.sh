# shellcheck shell=bash
# deploy_wait.sh: steps 3 and 4 of deploy.sh, sourced by deploy_lib.sh: ask Flux to reconcile,
# wait until it applied the pushed commit, then for the HelmReleases and the rollouts. Each wait
# sets FAILURE and fails, and deploy_lib.sh rolls back.

# Reads, from deploy_lib.sh: the fact NAMESPACE; the options CONTEXT_ARGS, TIMEOUT_SECONDS; the
# state FLUX, WORK_DIR, ACTIVE, FAILURE; the constants KUSTOMIZATIONS_RESOURCE, HELMRELEASES_RESOURCE.
: "${NAMESPACE+}" "${CONTEXT_ARGS+}" "${TIMEOUT_SECONDS+}" "${FLUX+}" "${WORK_DIR+}" "${ACTIVE+}" \
  "${FAILURE+}" "${KUSTOMIZATIONS_RESOURCE+}" "${HELMRELEASES_RESOURCE+}"

RECONCILE_PIDS=()   # background `flux reconcile` processes
RECONCILE_LOG=""
RECONCILE_SHOWN=0   # lines of RECONCILE_LOG already printed
POLL_FAILURE=""     # what wait_until_ready saw fail: "REF: why"

# Asks Flux to fetch the source and apply our Kustomizations now. `flux reconcile` runs in the
# background: it waits for the controller, and would wait out its timeout on a Kustomization
# that stays Ready=False, which wait_for_flux judges by itself. Without flux, sets the
# annotation `flux reconcile` sets.
start_reconcile() {
  local ref source now
  RECONCILE_LOG="$(mktemp "${WORK_DIR}/reconcile.XXXXXX")"
  printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1
  for ref in "${ACTIVE[@]}"; do
    source="$(reconciled_fact "${ref}" '"\(.sourceNamespace)/\(.sourceResource)"')"
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
  wait_until_ready kustomization_state "${sha}" show_reconcile_log "${ACTIVE[@]}" || status=$?
  stop_reconcile
  case "${status}" in
    0) ok "Flux applied ${sha:0:12}" ;;
    1) FAILURE="Flux could not apply ${POLL_FAILURE}" ;;
    *) FAILURE="Flux did not apply ${sha:0:12} within ${TIMEOUT_SECONDS}s" ;;
  esac
  ((status == 0))
}

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
