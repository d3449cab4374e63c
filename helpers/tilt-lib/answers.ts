// The answers of `plop tilt-lib`: defaults, validation, and what the package's answers file keeps.
import { ANSWERS_FILE, readAnswers, renderAnswers, type SavedAnswers } from "../plan/answers-file.ts";
import { UserError } from "../errors.ts";
import { GENERATOR_VERSION } from "../version.ts";

export interface TiltLibAnswers {
  /** ArgoCD AppProject of the Application. */
  project: string;
  repoUrl: string;
  /** Path of the package inside the git repository ArgoCD reads. */
  path: string;
  revision: string;
  /** Workspace namespaces: each gets the ConfigMaps, as a Pod mounts only those of its namespace. */
  namespaces: string[];
  platformGroup: string;
  developerGroup: string;
  /** Pinned majors shipped beside the current library, e.g. ["v1"]. */
  pins: string[];
  argocdNamespace: string;
  /** Container of the workspace Pod that gets the mounts (Coder's templates call it "dev"). */
  container: string;
  /** `key=value` label that selects workspace Deployments and Pods for the patch. */
  workspaceLabel: string;
}

/** Defaults that do not depend on the repository. */
export const FIXED_DEFAULTS: Omit<TiltLibAnswers, "repoUrl" | "path" | "revision"> = {
  project: "default",
  namespaces: ["coder"],
  platformGroup: "platform-team",
  developerGroup: "developers",
  pins: [],
  argocdNamespace: "argocd",
  container: "dev",
  workspaceLabel: "app.kubernetes.io/name=coder-workspace",
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const PIN = /^v[0-9]+$/;
// user@host:path, the scp-like form git and ArgoCD accept for SSH.
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$/;
const URL_PROTOCOLS = new Set(["https:", "http:", "ssh:", "git:"]);

/** "a, b,,c" → ["a", "b", "c"], without duplicates. */
export function parseList(answer: string): string[] {
  return [
    ...new Set(
      answer
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== ""),
    ),
  ];
}

export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

function isLabel(answer: string): boolean {
  const [key = "", value, ...rest] = answer.split("=");
  if (value === undefined || rest.length > 0) return false;
  const [prefix, name] = key.includes("/") ? key.split("/", 2) : [undefined, key];
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return false;
  return (
    name !== undefined &&
    name.length <= 63 &&
    LABEL_NAME.test(name) &&
    value.length <= 63 &&
    (value === "" || LABEL_NAME.test(value))
  );
}

export function isRepoUrl(answer: string): boolean {
  if (SCP_LIKE.test(answer)) return true;
  try {
    const url = new URL(answer);
    return URL_PROTOCOLS.has(url.protocol) && url.hostname !== "";
  } catch {
    return false;
  }
}

// Git's ref rules, simplified: no spaces, no "..", none of ~^:?*[\ and no leading "-" or "/".
function isRevision(answer: string): boolean {
  return /^[A-Za-z0-9._][A-Za-z0-9._/+-]*$/.test(answer) && !answer.includes("..") && !answer.endsWith("/");
}

function isRepoPath(answer: string): boolean {
  return (
    answer !== "" &&
    !answer.startsWith("/") &&
    !answer.split("/").some((part) => part === ".." || part === "") &&
    !/\s/.test(answer)
  );
}

function isGroup(answer: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^\S(.*\S)?$/.test(answer) && !/[\u0000-\u001f\u007f]/.test(answer);
}

/** Checks every answer; the first bad one is a one-line UserError naming the option. */
export function validateAnswers(answers: TiltLibAnswers): TiltLibAnswers {
  const bad = (option: string, value: string, expected: string): never => {
    throw new UserError(`--${option} ${JSON.stringify(value)}: ${expected}`);
  };
  if (answers.namespaces.length === 0) bad("namespaces", "", "name at least one workspace namespace");
  for (const ns of answers.namespaces) {
    if (!isDnsLabel(ns))
      bad("namespaces", ns, "not a namespace name (lowercase letters, digits and '-', at most 63, RFC 1123)");
  }
  for (const pin of answers.pins)
    if (!PIN.test(pin)) bad("pin", pin, "invalid version: pin a major version as v<major>, e.g. v1");
  if (!isDnsSubdomain(answers.project))
    bad("project", answers.project, "not an ArgoCD project name (RFC 1123 subdomain)");
  if (answers.repoUrl === "")
    bad(
      "repo-url",
      "",
      "no default, as the repository has neither a Flux GitRepository with a URL nor a git remote origin: answer it",
    );
  if (!isRepoUrl(answers.repoUrl))
    bad("repo-url", answers.repoUrl, "not a repository URL: use https://…, ssh://… or git@host:org/repo.git");
  if (!isRevision(answers.revision)) bad("revision", answers.revision, "not a git branch, tag or commit");
  if (!isRepoPath(answers.path)) bad("path", answers.path, "not a relative path inside the git repository");
  if (!isGroup(answers.platformGroup)) bad("platform-group", answers.platformGroup, "not a group name");
  if (!isGroup(answers.developerGroup)) bad("developer-group", answers.developerGroup, "not a group name");
  if (!isDnsLabel(answers.argocdNamespace))
    bad("argocd-namespace", answers.argocdNamespace, "not a namespace name (RFC 1123 label)");
  if (!isDnsLabel(answers.container)) bad("container", answers.container, "not a container name (RFC 1123 label)");
  if (!isLabel(answers.workspaceLabel))
    bad(
      "workspace-label",
      answers.workspaceLabel,
      "not a label: use key=value, e.g. app.kubernetes.io/name=coder-workspace",
    );
  return answers;
}

/** Answers kept by the last run, as far as they have the right shape (validateAnswers checks the rest). */
export function readSavedAnswers(
  dir: string,
): { answers: Partial<TiltLibAnswers>; files: Record<string, string> } | undefined {
  const saved = readAnswers(dir);
  if (!saved) return undefined;
  // answers-file.ts types `answers` for the namespace generator; here it holds TiltLibAnswers.
  const raw = saved.answers as Record<string, unknown>;
  const answers: Partial<TiltLibAnswers> = {};
  for (const key of Object.keys(FIXED_DEFAULTS).concat("repoUrl", "path", "revision") as (keyof TiltLibAnswers)[]) {
    const value = raw[key];
    if (typeof value === "string" || (Array.isArray(value) && value.every((item) => typeof item === "string"))) {
      (answers as Record<string, unknown>)[key] = value;
    }
  }
  return { answers, files: saved.files };
}

export function renderSavedAnswers(answers: TiltLibAnswers, files: Record<string, string>): string {
  const saved: SavedAnswers = {
    generator: GENERATOR_VERSION,
    answers: answers as SavedAnswers["answers"],
    ports: {},
    files,
  };
  return renderAnswers(saved);
}

export { ANSWERS_FILE };
