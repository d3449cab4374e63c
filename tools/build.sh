#!/usr/bin/env bash
#
# Builds the real tools that the test suites use as oracles, from the Go
# module proxy, into .tools/ at the repository root:
#   .tools/bin/    tilt, flux, etcd, kube-apiserver, kube-controller-manager,
#                  kube-scheduler, kwok, source-controller, kustomize-controller,
#                  helm-controller (from ../shared/sources: the proxy refuses it),
#                  argocd with argocd-application-controller and
#                  argocd-repo-server linked to it (from ../shared/sources too)
#   .tools/crds/   Flux, Traefik and Argo CD CustomResourceDefinitions
#   .tools/argocd/ what Argo CD's image has beside the binary: bin/ for its
#                  repo server's PATH (kustomize, git-verify-wrapper.sh), crds/
#                  for clusters that run it (AppProject)
#   .tools/kwok/   kwok's default stages (node and pod lifecycles)
# Versions come from tools/versions.env. A tool whose binary exists and whose
# stamp in .tools/stamps/ matches its version is skipped, so a second run takes
# seconds. A tool that the proxy refuses to serve is recorded in
# .tools/unavailable/NAME (the tests read it) instead of failing the run.
#
# Usage: bash tools/build.sh   (or: npm run tools)

set -Eeuo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly ROOT_DIR="${SCRIPT_DIR%/*}"
readonly TOOLS_DIR="${ROOT_DIR}/.tools"
readonly BIN_DIR="${TOOLS_DIR}/bin"
readonly CRD_DIR="${TOOLS_DIR}/crds"
readonly ARGOCD_FILES_DIR="${TOOLS_DIR}/argocd"
readonly SRC_DIR="${TOOLS_DIR}/src"
readonly STAMP_DIR="${TOOLS_DIR}/stamps"
readonly KWOK_STAGE_DIR="${TOOLS_DIR}/kwok"
readonly LOG_DIR="${TOOLS_DIR}/logs"
readonly UNAVAILABLE_DIR="${TOOLS_DIR}/unavailable"
readonly LDFLAGS_BASE='-s -w'
# The proxy does not serve github.com/fluxcd/helm-controller: its source is
# kept beside the repository, with a .source file naming the tag.
readonly HELM_CONTROLLER_SOURCE="${ROOT_DIR}/../shared/sources/helm-controller"
# Nor Argo CD's nested gitops-engine module, which its go.mod replaces with
# ./gitops-engine: that source, with the gitops-engine folder, is kept there too.
readonly ARGOCD_SOURCE="${ROOT_DIR}/../shared/sources/argo-cd"
# The Argo CD programs the tests run: one binary picks its role from its name.
readonly ARGOCD_ROLES='argocd-application-controller argocd-repo-server'

GO=''
# Set by a build function that could not build its tool (see build_tilt).
SKIPPED=''

log() {
  printf 'tools: %s\n' "$*" >&2
}

die() {
  log "error: $*"
  exit 1
}

# Prints the tail of a build log, then the one-line reason, and exits.
fail_build() {
  local name="$1" logfile="$2"
  if [[ -f "${logfile}" ]]; then
    tail -n 20 "${logfile}" | sed 's/^/  | /' >&2
  fi
  die "building ${name} failed; full log: ${logfile#"${ROOT_DIR}"/}"
}

find_go() {
  if command -v go >/dev/null 2>&1; then
    GO="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO=/usr/local/go/bin/go
  else
    die "no Go toolchain found (need go >= 1.26 on PATH or at /usr/local/go/bin/go)"
  fi
}

# stamp_matches NAME WANT [FILE]: true when FILE (if given) exists and the
# recorded stamp for NAME equals WANT.
stamp_matches() {
  local name="$1" want="$2" file="${3:-}"
  [[ -z "${file}" || -e "${file}" ]] || return 1
  [[ -f "${STAMP_DIR}/${name}" ]] || return 1
  [[ "$(<"${STAMP_DIR}/${name}")" == "${want}" ]]
}

write_stamp() {
  printf '%s\n' "$2" >"${STAMP_DIR}/$1"
}

# module_dir MODULE@VERSION LOGFILE: downloads a module (checksums verified
# against go.sum / the checksum database) and prints its directory in the
# module cache. Returns 3 when the proxy refuses to serve it.
module_dir() {
  local modver="$1" logfile="$2" out
  if ! out="$("${GO}" mod download -json "${modver}" 2>>"${logfile}")"; then
    printf '%s\n' "${out}" >>"${logfile}"
    if grep -qE '403 Forbidden|404 Not Found|not available|unknown revision' \
      <<<"${out}"; then
      return 3
    fi
    return 1
  fi
  sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p' <<<"${out}"
}

# copy_module MODULE@VERSION DEST LOGFILE: a writable copy of a module (the
# module cache is read-only), for builds that need files added.
copy_module() {
  local modver="$1" dest="$2" logfile="$3" dir rc=0
  dir="$(module_dir "${modver}" "${logfile}")" || rc=$?
  ((rc == 0)) || return "${rc}"
  rm -rf "${dest}"
  mkdir -p "${dest%/*}"
  cp -R "${dir}" "${dest}"
  chmod -R u+w "${dest}"
}

# go_build DIR OUTPUT PACKAGES LDFLAGS LOGFILE: builds PACKAGES (one, or
# several separated by spaces, into the directory OUTPUT/) inside module DIR. Files that a //go:embed pattern needs but the module zip lacks
# (generated web assets, bundled manifests) get an empty placeholder, since
# the tests only use the CLI paths that do not read them.
go_build() {
  local dir="$1" output="$2" pkg="$3" ldflags="$4" logfile="$5"
  local attempt missing file pattern target
  local -a pkgs
  read -ra pkgs <<<"${pkg}"
  for attempt in 1 2 3 4 5 6; do
    if (cd "${dir}" && CGO_ENABLED="${CGO:-0}" "${GO}" build -trimpath \
      -ldflags="${ldflags}" -o "${output}" "${pkgs[@]}") >>"${logfile}" 2>&1; then
      return 0
    fi
    # e.g. "cmd/flux/manifests.embed.go:27:12: pattern manifests/*.yaml:
    # no matching files found"
    missing="$(grep -oE '[^ ]+\.go:[0-9]+:[0-9]+: pattern [^:]+: no matching files found' \
      "${logfile}" | tail -n 1)" || return 1
    file="${missing%%:*}"
    pattern="${missing#*: pattern }"
    pattern="${pattern%%: no matching*}"
    pattern="${pattern#all:}"
    target="${dir}/$(dirname "${file}")/${pattern//\*/placeholder}"
    if [[ "${target##*/}" != *.* ]]; then
      target="${target}/placeholder.txt" # a directory pattern
    fi
    [[ ! -e "${target}" ]] || return 1
    log "  (attempt ${attempt}) placeholder for //go:embed ${pattern}"
    mkdir -p "$(dirname "${target}")"
    printf '# placeholder: not part of the Go module zip\n' >"${target}"
  done
  return 1
}

# wrapper_module DIR MODULE@VERSION TOOLPKGS LOGFILE [REPLACE...]: a module
# that requires MODULE and declares each of TOOLPKGS (space-separated) a tool, tidied so go.sum
# holds verified checksums. Used where a module's own go.mod points at local
# paths that are not in its zip (etcd, kubernetes).
wrapper_module() {
  local dir="$1" modver="$2" toolpkgs="$3" logfile="$4" pkg
  local -a tools=()
  shift 4
  for pkg in ${toolpkgs}; do tools+=("-tool=${pkg}"); done
  rm -rf "${dir}"
  mkdir -p "${dir}"
  (
    cd "${dir}"
    "${GO}" mod init "local.invalid/tools/${dir##*/}"
    "${GO}" mod edit -require="${modver}" "${tools[@]}" "$@"
    "${GO}" mod tidy
  ) >>"${logfile}" 2>&1
}

build_etcd() {
  local logfile="${LOG_DIR}/etcd.log" dir="${SRC_DIR}/etcd"
  : >"${logfile}"
  wrapper_module "${dir}" "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" \
    go.etcd.io/etcd/server/v3 "${logfile}" || fail_build etcd "${logfile}"
  go_build "${dir}" "${BIN_DIR}/etcd" go.etcd.io/etcd/server/v3 \
    "${LDFLAGS_BASE}" "${logfile}" || fail_build etcd "${logfile}"
}

# kube-apiserver, kube-controller-manager and kube-scheduler in one go build,
# so the packages they share compile once.
build_kubernetes() {
  local logfile="${LOG_DIR}/kubernetes.log" dir="${SRC_DIR}/kubernetes"
  local kmod="k8s.io/kubernetes@${KUBERNETES_VERSION}"
  # v1.33.13 -> v0.33.13: the version of every k8s.io/* staging module.
  local staging="v0.${KUBERNETES_VERSION#v1.}" minor gomod mod
  local cmds="k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler"
  local -a replaces=()
  minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  : >"${logfile}"
  gomod="$("${GO}" mod download -json "${kmod}" 2>>"${logfile}" |
    sed -nE 's/^[[:space:]]*"GoMod": "(.*)",?$/\1/p')" ||
    fail_build kubernetes "${logfile}"
  # kubernetes' go.mod replaces each staging module with ./staging/src/...,
  # which the module zip lacks: pin each one to its published version.
  while read -r mod; do
    replaces+=("-replace=${mod}=${mod}@${staging}")
  done < <(sed -nE 's#^[[:space:]]*(k8s\.io/[^ ]+) => \./staging/.*#\1#p' "${gomod}")
  ((${#replaces[@]} > 0)) || die "no staging replaces found in ${gomod}"
  wrapper_module "${dir}" "${kmod}" "${cmds}" "${logfile}" "${replaces[@]}" ||
    fail_build kubernetes "${logfile}"
  # Without these the servers report v0.0.0-master.
  local v='k8s.io/component-base/version'
  go_build "${dir}" "${BIN_DIR}/" "${cmds}" \
    "${LDFLAGS_BASE} -X ${v}.gitVersion=${KUBERNETES_VERSION} -X ${v}.gitMajor=1 -X ${v}.gitMinor=${minor} -X ${v}.gitTreeState=clean" \
    "${logfile}" || fail_build kubernetes "${logfile}"
}

# kwok: simulated nodes that run pods without containers. Its default stages
# (what a kubelet would report) are data files in the module; kwokctl embeds
# them, the bare kwok binary reads them from --config.
build_kwok() {
  local logfile="${LOG_DIR}/kwok.log" dir="${SRC_DIR}/kwok" stages="${KWOK_STAGE_DIR}.new"
  : >"${logfile}"
  copy_module "sigs.k8s.io/kwok@${KWOK_VERSION}" "${dir}" "${logfile}" ||
    fail_build kwok "${logfile}"
  go_build "${dir}" "${BIN_DIR}/kwok" ./cmd/kwok \
    "${LDFLAGS_BASE}" "${logfile}" ||
    fail_build kwok "${logfile}"
  rm -rf "${stages}"
  mkdir -p "${stages}"
  cp "${dir}"/kustomize/stage/node/fast/node-initialize.yaml \
    "${dir}"/kustomize/stage/node/heartbeat/node-heartbeat.yaml \
    "${dir}"/kustomize/stage/pod/fast/pod-{ready,complete,delete}.yaml "${stages}/"
  rm -rf "${KWOK_STAGE_DIR}"
  mv "${stages}" "${KWOK_STAGE_DIR}"
}

# flux_controller NAME VERSION: one of Flux's controllers. Its go.mod says
# `replace .../api => ./api`, and the module zip has no ./api: build in a
# writable copy, with the replace pointed at the published api module.
flux_controller() {
  local name="$1" version="$2"
  local logfile="${LOG_DIR}/${name}.log" dir="${SRC_DIR}/${name}"
  local module="github.com/fluxcd/${name}"
  : >"${logfile}"
  copy_module "${module}@${version}" "${dir}" "${logfile}" || fail_build "${name}" "${logfile}"
  (cd "${dir}" && "${GO}" mod edit -replace="${module}/api=${module}/api@${version}") \
    >>"${logfile}" 2>&1 || fail_build "${name}" "${logfile}"
  GOFLAGS="${GOFLAGS} -mod=mod" go_build "${dir}" "${BIN_DIR}/${name}" . \
    "${LDFLAGS_BASE}" "${logfile}" || fail_build "${name}" "${logfile}"
}

build_source_controller() {
  flux_controller source-controller "${SOURCE_CONTROLLER_VERSION}"
}

build_kustomize_controller() {
  flux_controller kustomize-controller "${KUSTOMIZE_CONTROLLER_VERSION}"
}

build_flux() {
  local logfile="${LOG_DIR}/flux.log" dir="${SRC_DIR}/flux2"
  : >"${logfile}"
  copy_module "github.com/fluxcd/flux2/v2@${FLUX_VERSION}" "${dir}" \
    "${logfile}" || fail_build flux "${logfile}"
  # cmd/flux embeds manifests/*.yaml, generated by `make` and not in the
  # module zip; go_build adds a placeholder (only `flux install` reads it).
  go_build "${dir}" "${BIN_DIR}/flux" ./cmd/flux \
    "${LDFLAGS_BASE} -X main.VERSION=${FLUX_VERSION#v}" "${logfile}" ||
    fail_build flux "${logfile}"
}

# helm: renders HelmRelease charts in the tests, as `helm template` does for
# users. Its Makefile stamps the Kubernetes version charts see (an unstamped
# build claims v1.20) from its client-go version; the same ldflags here.
build_helm() {
  local logfile="${LOG_DIR}/helm.log" dir="${SRC_DIR}/helm" client_go major minor
  : >"${logfile}"
  copy_module "helm.sh/helm/v3@${HELM_VERSION}" "${dir}" "${logfile}" ||
    fail_build helm "${logfile}"
  client_go="$(cd "${dir}" && "${GO}" list -m -f '{{.Version}}' k8s.io/client-go 2>>"${logfile}")" ||
    fail_build helm "${logfile}"
  major=1 # client-go v0.MINOR.x is Kubernetes v1.MINOR.x
  minor="$(cut -d. -f2 <<<"${client_go}")"
  go_build "${dir}" "${BIN_DIR}/helm" ./cmd/helm \
    "${LDFLAGS_BASE} -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=${major} \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${minor} \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=${major} \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${minor}" "${logfile}" ||
    fail_build helm "${logfile}"
}

# The CNCF distribution registry: serves charts over OCI in the tests, as
# ghcr.io does for OCIRepository sources.
build_registry() {
  local logfile="${LOG_DIR}/registry.log" dir="${SRC_DIR}/distribution"
  : >"${logfile}"
  copy_module "github.com/distribution/distribution/v3@${REGISTRY_VERSION}" "${dir}" \
    "${logfile}" || fail_build registry "${logfile}"
  go_build "${dir}" "${BIN_DIR}/registry" ./cmd/registry "${LDFLAGS_BASE}" "${logfile}" ||
    fail_build registry "${logfile}"
}

# helm-controller: installs HelmReleases in the tests. Its go.mod replaces
# the api module with ./api, which the source folder has; built in a
# writable copy, as the folder is read-only.
build_helm_controller() {
  local logfile="${LOG_DIR}/helm-controller.log" dir="${SRC_DIR}/helm-controller"
  : >"${logfile}"
  rm -rf "${dir}"
  cp -R "${HELM_CONTROLLER_SOURCE}" "${dir}"
  chmod -R u+w "${dir}"
  go_build "${dir}" "${BIN_DIR}/helm-controller" . "${LDFLAGS_BASE}" "${logfile}" ||
    fail_build helm-controller "${logfile}"
}

# The tag in a ../shared/sources folder's .source file, or nothing.
source_tag() {
  if [[ -f "$1/.source" ]]; then
    sed -nE 's/^tag:[[:space:]]*([^[:space:]]+).*$/\1/p' "$1/.source"
  fi
}

# The tag in the helm-controller source's .source file, or nothing.
helm_controller_version() {
  source_tag "${HELM_CONTROLLER_SOURCE}"
}

# Argo CD: the application controller and repo server in the tests. One
# binary, as Argo CD's own images ship it, with a symlink per role.
build_argocd() {
  local logfile="${LOG_DIR}/argocd.log" dir="${SRC_DIR}/argo-cd" role
  : >"${logfile}"
  rm -rf "${dir}"
  cp -R "${ARGOCD_SOURCE}" "${dir}"
  chmod -R u+w "${dir}"
  go_build "${dir}" "${BIN_DIR}/argocd" ./cmd \
    "${LDFLAGS_BASE} -X github.com/argoproj/argo-cd/v3/common.version=$(<"${dir}/VERSION")" \
    "${logfile}" || fail_build argocd "${logfile}"
  for role in ${ARGOCD_ROLES}; do
    ln -sfn argocd "${BIN_DIR}/${role}"
  done
}

build_tilt() {
  local logfile="${LOG_DIR}/tilt.log" dir="${SRC_DIR}/tilt" rc=0
  : >"${logfile}"
  copy_module "github.com/tilt-dev/tilt@${TILT_VERSION}" "${dir}" \
    "${logfile}" || rc=$?
  if ((rc == 3)); then
    SKIPPED=1
    if [[ -x "${BIN_DIR}/tilt" ]]; then
      rm -f "${UNAVAILABLE_DIR}/tilt"
      log "warning: tilt ${TILT_VERSION} is not served by the Go module proxy;" \
        "keeping the .tools/bin/tilt that was put there by other means"
      return 0
    fi
    printf 'tilt %s: the Go module proxy does not serve github.com/tilt-dev/tilt\n' \
      "${TILT_VERSION}" >"${UNAVAILABLE_DIR}/tilt"
    log "warning: tilt ${TILT_VERSION} is not served by the Go module proxy;" \
      "skipped (recorded in .tools/unavailable/tilt, tilt tests will skip)"
    return 0
  fi
  ((rc == 0)) || fail_build tilt "${logfile}"
  # The proxy serves github.com/docker/buildx v0.32.1 with a checksum other
  # than the one in tilt's go.sum (the tag moved): drop that line so Go
  # verifies what it downloads against the checksum database instead.
  sed -i '/^github.com\/docker\/buildx v0.32.1 h1:/d' "${dir}/go.sum"
  # The web UI is built with yarn and is not in the module zip; `tilt up`
  # refuses to start without an index.html, so the tests get a placeholder.
  printf '<!doctype html><title>Tilt</title><p>Web UI not built; use the terminal.\n' \
    >"${dir}/pkg/assets/build/index.html"
  # go.mod has replace directives, so build inside the copied module.
  # Tilt's Tiltfile language server needs cgo (go-tree-sitter).
  GOFLAGS="${GOFLAGS} -mod=mod" CGO=1 go_build "${dir}" "${BIN_DIR}/tilt" ./cmd/tilt \
    "${LDFLAGS_BASE} -X main.version=${TILT_VERSION#v}" "${logfile}" ||
    fail_build tilt "${logfile}"
  rm -f "${UNAVAILABLE_DIR}/tilt"
}

# The CRDs come from modules that are only read, never built: they go to a
# scratch module cache that is deleted afterwards (argo-cd alone unpacks to
# ~450 MB).
build_crds() {
  local logfile="${LOG_DIR}/crds.log" out="${SRC_DIR}/crds.new"
  local dir helm
  : >"${logfile}"
  rm -rf "${out}"
  mkdir -p "${out}"
  local -x GOMODCACHE="${SRC_DIR}/crd-modcache" GOFLAGS="${GOFLAGS} -modcacherw"

  dir="$(module_dir "github.com/fluxcd/kustomize-controller@${KUSTOMIZE_CONTROLLER_VERSION}" "${logfile}")" ||
    fail_build crds "${logfile}"
  cp "${dir}"/config/crd/bases/*.yaml "${out}/"
  dir="$(module_dir "github.com/fluxcd/source-controller@${SOURCE_CONTROLLER_VERSION}" "${logfile}")" ||
    fail_build crds "${logfile}"
  cp "${dir}"/config/crd/bases/*.yaml "${out}/"
  dir="$(module_dir "github.com/traefik/traefik/v3@${TRAEFIK_VERSION}" "${logfile}")" ||
    fail_build crds "${logfile}"
  cp "${dir}"/docs/content/reference/dynamic-configuration/traefik.io_*.yaml "${out}/"
  dir="$(module_dir "github.com/argoproj/argo-cd/v3@${ARGOCD_VERSION}" "${logfile}")" ||
    fail_build crds "${logfile}"
  cp "${dir}/manifests/crds/application-crd.yaml" "${out}/argoproj.io_applications.yaml"
  chmod -R u+w "${out}" # copies of read-only module cache files

  # HelmRelease: the CRD of the helm-controller the tests run, when its
  # source is there; else generated from its released API types, as
  # helm-controller's own `make manifests` does.
  helm="${SRC_DIR}/helm-controller-api"
  if [[ -n "$(helm_controller_version)" ]]; then
    cp "${HELM_CONTROLLER_SOURCE}"/config/crd/bases/*.yaml "${out}/"
  else
    GOBIN="${SRC_DIR}/bin" "${GO}" install -trimpath -ldflags="${LDFLAGS_BASE}" \
      "sigs.k8s.io/controller-tools/cmd/controller-gen@${CONTROLLER_TOOLS_VERSION}" \
      >>"${logfile}" 2>&1 || fail_build crds "${logfile}"
    copy_module "github.com/fluxcd/helm-controller/api@${HELM_CONTROLLER_API_VERSION}" \
      "${helm}" "${logfile}" || fail_build crds "${logfile}"
    (cd "${helm}" && "${SRC_DIR}/bin/controller-gen" crd:crdVersions=v1 \
      paths=./... output:crd:dir="${out}") >>"${logfile}" 2>&1 ||
      fail_build crds "${logfile}"
  fi

  rm -rf "${GOMODCACHE}" "${helm}" "${CRD_DIR}"
  mv "${out}" "${CRD_DIR}"
}

# What Argo CD's image has beside the binary, taken from the release's module
# (the source folder lacks manifests/ and hack/):
#   crds/: the AppProject CRD, which its controller watches (every Application
#     names a project), kept apart so that clusters without Argo CD lack it;
#   bin/: for its repo server's PATH only (Tilt and the generator keep theirs):
#     git-verify-wrapper.sh, which it runs on every commit it reads, and the
#     kustomize it builds kustomize sources with, at the version the release's
#     hack/tool-versions.sh gives its image.
build_argocd_files() {
  local version logfile="${LOG_DIR}/argocd-files.log" out="${ARGOCD_FILES_DIR}.new" dir kustomize
  version="$(source_tag "${ARGOCD_SOURCE}")"
  : >"${logfile}"
  rm -rf "${out}"
  mkdir -p "${out}/bin" "${out}/crds"
  dir="$(GOMODCACHE="${SRC_DIR}/crd-modcache" GOFLAGS="${GOFLAGS} -modcacherw" \
    module_dir "github.com/argoproj/argo-cd/v3@${version}" "${logfile}")" ||
    fail_build argocd-files "${logfile}"
  cp "${dir}/manifests/crds/appproject-crd.yaml" "${out}/crds/argoproj.io_appprojects.yaml"
  install -m 0755 "${dir}/hack/git-verify-wrapper.sh" "${out}/bin/git-verify-wrapper.sh"
  kustomize="$(sed -nE 's/^kustomize5_version=([^[:space:]]+)$/\1/p' "${dir}/hack/tool-versions.sh")"
  [[ -n "${kustomize}" ]] || die "no kustomize5_version in argo-cd ${version}'s hack/tool-versions.sh"
  rm -rf "${SRC_DIR}/crd-modcache"
  GOBIN="${out}/bin" CGO_ENABLED=0 "${GO}" install -trimpath -ldflags="${LDFLAGS_BASE}" \
    "sigs.k8s.io/kustomize/kustomize/v5@v${kustomize}" >>"${logfile}" 2>&1 ||
    fail_build argocd-files "${logfile}"
  chmod -R u+w "${out}"
  rm -rf "${ARGOCD_FILES_DIR}"
  mv "${out}" "${ARGOCD_FILES_DIR}"
}

# ensure NAME VERSION OUTPUT FUNCTION: builds unless already up to date.
ensure() {
  local name="$1" version="$2" output="$3" fn="$4" start
  if stamp_matches "${name}" "${version}" "${output}"; then
    log "${name} ${version} is up to date"
    return 0
  fi
  rm -f "${STAMP_DIR}/${name}"
  start="${SECONDS}"
  log "building ${name} ${version} …"
  SKIPPED=''
  "${fn}"
  # Stamp only what this script built (tilt may have been skipped).
  if [[ -z "${SKIPPED}" && -e "${output}" ]]; then
    write_stamp "${name}" "${version}"
    log "built ${name} ${version} in $((SECONDS - start))s"
  fi
}

main() {
  local start="${SECONDS}" crd_versions helm_controller argocd
  trap 'die "unexpected failure (exit $?) at tools/build.sh:${LINENO}: ${BASH_COMMAND}"' ERR
  # shellcheck source-path=SCRIPTDIR source=versions.env
  source "${SCRIPT_DIR}/versions.env"
  find_go
  mkdir -p "${BIN_DIR}" "${SRC_DIR}" "${STAMP_DIR}" "${LOG_DIR}" "${UNAVAILABLE_DIR}"
  # Serialise concurrent runs (e.g. two terminals) on one .tools/.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"${TOOLS_DIR}/.lock"
    flock 9
  fi
  # Use the machine's Go unless told otherwise: a module needing a newer Go
  # should fail loudly rather than fetch a toolchain.
  export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
  export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
  log "using $("${GO}" version)"

  helm_controller="$(helm_controller_version)"
  if [[ -n "${helm_controller}" ]]; then
    crd_versions="kustomize-controller ${KUSTOMIZE_CONTROLLER_VERSION}, source-controller ${SOURCE_CONTROLLER_VERSION}, helm-controller ${helm_controller} (source), traefik ${TRAEFIK_VERSION}, argo-cd ${ARGOCD_VERSION}"
  else
    crd_versions="kustomize-controller ${KUSTOMIZE_CONTROLLER_VERSION}, source-controller ${SOURCE_CONTROLLER_VERSION}, helm-controller/api ${HELM_CONTROLLER_API_VERSION}, traefik ${TRAEFIK_VERSION}, argo-cd ${ARGOCD_VERSION}, controller-gen ${CONTROLLER_TOOLS_VERSION}"
  fi
  ensure crds "${crd_versions}" "${CRD_DIR}" build_crds
  ensure etcd "${ETCD_VERSION}" "${BIN_DIR}/etcd" build_etcd
  ensure flux "${FLUX_VERSION}" "${BIN_DIR}/flux" build_flux
  ensure kubernetes "${KUBERNETES_VERSION}" "${BIN_DIR}/kube-scheduler" \
    build_kubernetes
  ensure kwok "${KWOK_VERSION}" "${KWOK_STAGE_DIR}" build_kwok
  ensure source-controller "${SOURCE_CONTROLLER_VERSION}" \
    "${BIN_DIR}/source-controller" build_source_controller
  ensure kustomize-controller "${KUSTOMIZE_CONTROLLER_VERSION}" \
    "${BIN_DIR}/kustomize-controller" build_kustomize_controller
  ensure tilt "${TILT_VERSION}" "${BIN_DIR}/tilt" build_tilt
  ensure helm "${HELM_VERSION}" "${BIN_DIR}/helm" build_helm
  ensure registry "${REGISTRY_VERSION}" "${BIN_DIR}/registry" build_registry
  if [[ -n "${helm_controller}" ]]; then
    rm -f "${UNAVAILABLE_DIR}/helm-controller"
    ensure helm-controller "${helm_controller}" "${BIN_DIR}/helm-controller" \
      build_helm_controller
  else
    printf 'helm-controller: ../shared/sources/helm-controller is absent and the Go module proxy does not serve it\n' \
      >"${UNAVAILABLE_DIR}/helm-controller"
    log "warning: ${HELM_CONTROLLER_SOURCE} is absent; helm-controller skipped" \
      "(recorded in .tools/unavailable/helm-controller, its tests will skip)"
  fi
  argocd="$(source_tag "${ARGOCD_SOURCE}")"
  if [[ -n "${argocd}" ]]; then
    rm -f "${UNAVAILABLE_DIR}/argocd"
    ensure argocd "${argocd}" "${BIN_DIR}/argocd-repo-server" build_argocd
    ensure argocd-files "${argocd}" "${ARGOCD_FILES_DIR}/bin/kustomize" build_argocd_files
  else
    printf 'argocd: ../shared/sources/argo-cd is absent and the Go module proxy does not serve its gitops-engine\n' \
      >"${UNAVAILABLE_DIR}/argocd"
    log "warning: ${ARGOCD_SOURCE} is absent; argocd skipped" \
      "(recorded in .tools/unavailable/argocd, its tests will skip)"
  fi
  log "done in $((SECONDS - start))s: $(du -sh "${TOOLS_DIR}" | cut -f1) in .tools/"
}

main "$@"
