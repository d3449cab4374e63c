# shellcheck shell=bash
# deploy_validate.sh: step 1 of deploy.sh, sourced by deploy_lib.sh: build what Flux builds,
# substitute its postBuild variables as Flux does, dry-run it on the API server, check that Flux
# (or Argo CD) would apply a push, and show flux diff. Nothing is committed when this fails.

# Reads, from deploy_lib.sh: the facts FOLDER, FOLDER_IN_REPO, REPO_ROOT, BUILD_DIRS,
# INVALID_VARIABLES, RECONCILED, APPLICATIONS; the options OFFLINE, CONTEXT; the state FLUX,
# WORK_DIR, ACTIVE; the constant KUSTOMIZATIONS_RESOURCE.
: "${FOLDER+}" "${FOLDER_IN_REPO+}" "${REPO_ROOT+}" "${BUILD_DIRS+}" "${INVALID_VARIABLES+}" "${RECONCILED+}" \
  "${APPLICATIONS+}" "${OFFLINE+}" "${CONTEXT+}" "${FLUX+}" "${WORK_DIR+}" "${ACTIVE+}" "${KUSTOMIZATIONS_RESOURCE+}"

# kustomize build of build $1 into file $2, with its Flux-level components when it has some.
build_manifests() {
  local index="$1" out="$2" dir
  dir="${FOLDER}/${BUILD_DIRS[index]}"
  local -a components
  mapfile -t components < <(build_fact "${index}" '.components[]')
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
# in WORK_DIR, which only this user can read: the values from git, the names defined nowhere as
# empty (as Flux makes them), and the Secrets' values from your environment. (Called from `||`,
# where set -e is off: each failure returns explicitly.)
substitute() {
  local index="$1" file="$2" dir="${WORK_DIR}/substitute-$1" ref name
  local -a secret_names secrets=()
  ref="$(build_fact "${index}" '.kustomizations[0]')" || return 1
  mapfile -t secret_names < <(build_fact "${index}" '.secrets[]')
  for name in "${secret_names[@]}"; do
    if [[ -n "${!name+set}" ]]; then
      secrets+=("${name}=${!name}")
    else
      warn "${name} comes from a Secret and is not exported: validating with a placeholder value"
      secrets+=("${name}=placeholder-for-${name}")
    fi
  done
  mkdir -p "${dir}" && mv "${file}" "${dir}/build.yaml" || return 1
  printf 'resources:\n  - build.yaml\n' >"${dir}/kustomization.yaml"
  build_fact "${index}" '' | jq --arg name "${ref#*/}" --arg namespace "${ref%%/*}" '. as $build | {
      apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization",
      metadata: {name: $name, namespace: $namespace},
      spec: {interval: "1h", path: "./", prune: false, sourceRef: {kind: "GitRepository", name: "deploy"},
        postBuild: {substitute: ($build.variables
          + ($ARGS.positional | map(capture("^(?<k>[^=]*)=(?<v>.*)$"; "s") | {(.k): .v}) | add // {})
          + ($build.undefined | map({(.): ""}) | add // {}))}}
    }' --args "${secrets[@]}" >"${dir}.json" || return 1
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
  local ref name namespace live
  for ref in "${RECONCILED[@]}"; do
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
    ACTIVE+=("${ref}")
  done
}

# flux diff for each Kustomization: what the push would change. Exit 1 only means "changes".
flux_diff() {
  local ref path file status
  for ref in "${RECONCILED[@]}"; do
    read -r path file < <(reconciled_fact "${ref}" '"\(.path) \(.file)"')
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
  local index file online=false kustomizations
  if [[ "${OFFLINE}" == false ]]; then
    cluster_reachable || die "cannot reach the cluster (context ${CONTEXT:-current}); use --offline to validate without it and push"
    online=true
  fi
  for index in "${!BUILD_DIRS[@]}"; do
    file="${WORK_DIR}/build-${index}.yaml"
    build_manifests "${index}" "${file}" || die "kustomize build of ${BUILD_DIRS[index]} failed"
    kustomizations="$(build_fact "${index}" '.kustomizations | join(" ")')"
    ok "kustomize build ${BUILD_DIRS[index]}${kustomizations:+ (${kustomizations})}"
    if [[ "$(build_fact "${index}" '.substitutes')" == true ]]; then
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
