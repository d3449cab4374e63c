# shellcheck shell=bash
# deploy_git.sh: step 2 of deploy.sh and its rollback, sourced by deploy_lib.sh: check the
# branch, commit only this folder, push; on a failed deploy, revert what was pushed and push that.

# Reads, from deploy_lib.sh: the facts FOLDER, FOLDER_IN_REPO, FLUX_BRANCH, ENGINE; the options
# MESSAGE, BRANCH_OK, ROLLBACK, TIMEOUT_SECONDS; the state WORK_DIR, FAILURE and the git state it sets.
: "${FOLDER+}" "${FOLDER_IN_REPO+}" "${FLUX_BRANCH+}" "${ENGINE+}" "${MESSAGE+}" "${BRANCH_OK+}" \
  "${ROLLBACK+}" "${TIMEOUT_SECONDS+}" "${WORK_DIR+}" "${FAILURE+}" "${GIT_TOP+}" "${BRANCH+}" \
  "${REMOTE+}" "${REMOTE_BRANCH+}" "${REMOTE_SHA+}" "${CHANGES+}" "${UNPUSHED+}" "${PUSHED_SHA+}"

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
