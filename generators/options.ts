// The one table of command-line options: the parser, each generator's --help and the option
// reference, docs/options.md, are all made from it.
import { FIXED_DEFAULTS } from "../helpers/tilt-lib/answers.ts";

export type GeneratorName = "namespace" | "tilt-lib" | "doctor";

export interface Option {
  name: string;
  /** What the value stands for, e.g. NAME; none for a flag. */
  value?: string;
  multiple?: boolean;
  default?: string;
  description: string;
  generators: GeneratorName[];
}

const BOTH: GeneratorName[] = ["namespace", "tilt-lib"];
const list = (items: string[]) => (items.length === 0 ? "none" : items.join(","));

export const OPTIONS: Option[] = [
  {
    name: "folder",
    value: "FOLDER",
    description:
      "namespace folder, relative to where you are, or all: every folder scaffolded before (same as the first argument)",
    generators: ["namespace"],
  },
  {
    name: "context",
    value: "NAME",
    default: "remembered, else asked on a terminal, else none",
    description: "kube context of the cluster Flux manages; none: no cluster is Flux's",
    generators: ["namespace"],
  },
  {
    name: "forward",
    value: "RESOURCE:PORT[:NAME]",
    multiple: true,
    description: "also forward this container port of a Tilt resource (repeatable, or comma-separated)",
    generators: ["namespace"],
  },
  {
    name: "argocd-app",
    value: "NS/NAME",
    default: "remembered, else the Applications in this repository",
    description:
      "Argo CD Application that deploys the folder from this repository while it lives in another (a platform repository): Tilt pauses its sync",
    generators: ["namespace"],
  },
  {
    name: "tilt",
    value: "MODE",
    default: "develop",
    description: "Tiltfile mode: develop (apply the dev build, suspend Flux) or observe (attach to what Flux runs)",
    generators: ["namespace"],
  },
  {
    name: "dir",
    value: "FOLDER",
    default: "<repository root>/tilt-lib",
    description: "package folder, relative to where you are (same as the first argument)",
    generators: ["tilt-lib"],
  },
  {
    name: "namespaces",
    value: "NS[,NS]",
    default: list(FIXED_DEFAULTS.namespaces),
    description: "workspace namespaces that get the ConfigMaps",
    generators: ["tilt-lib"],
  },
  {
    name: "repo-url",
    value: "URL",
    default: "the Flux GitRepository's URL, else the origin remote",
    description: "git repository ArgoCD syncs the package from",
    generators: ["tilt-lib"],
  },
  {
    name: "path",
    value: "PATH",
    default: "the package folder in the repository",
    description: "path of the package in that repository",
    generators: ["tilt-lib"],
  },
  {
    name: "revision",
    value: "REF",
    default: "the Flux GitRepository's branch, else HEAD",
    description: "git branch, tag or commit ArgoCD syncs",
    generators: ["tilt-lib"],
  },
  {
    name: "project",
    value: "NAME",
    default: FIXED_DEFAULTS.project,
    description: "ArgoCD project of the Application",
    generators: ["tilt-lib"],
  },
  {
    name: "argocd-namespace",
    value: "NS",
    default: FIXED_DEFAULTS.argocdNamespace,
    description: "namespace of the ArgoCD Application",
    generators: ["tilt-lib"],
  },
  {
    name: "platform-group",
    value: "GROUP",
    default: FIXED_DEFAULTS.platformGroup,
    description: "group that may change the ConfigMaps",
    generators: ["tilt-lib"],
  },
  {
    name: "developer-group",
    value: "GROUP",
    default: FIXED_DEFAULTS.developerGroup,
    description: "group that may read the ConfigMaps",
    generators: ["tilt-lib"],
  },
  {
    name: "pin",
    value: "vN[,vN]",
    default: list(FIXED_DEFAULTS.pins),
    description: "also ship a frozen copy of these majors, e.g. v1",
    generators: ["tilt-lib"],
  },
  {
    name: "container",
    value: "NAME",
    default: FIXED_DEFAULTS.container,
    description: "container of the workspace Pod that gets the mounts",
    generators: ["tilt-lib"],
  },
  {
    name: "workspace-label",
    value: "KEY=VALUE",
    default: FIXED_DEFAULTS.workspaceLabel,
    description: "label that selects workspace Deployments and Pods",
    generators: ["tilt-lib"],
  },
  {
    name: "mode",
    value: "MODE",
    default: "write",
    description: "write; dry-run: show what would change; check: exit 1 when files are stale (CI)",
    generators: BOTH,
  },
  {
    name: "quiet",
    description: "no progress lines on stderr, and no unchanged files in the report on stdout",
    generators: ["namespace"],
  },
  {
    name: "json",
    description:
      "print the report on stdout as JSON, each file with its state, for CI; progress and warnings stay on stderr",
    generators: BOTH,
  },
  {
    name: "force",
    description:
      "overwrite files edited by hand instead of writing <file>.new beside them; namespace: also rewrite files when helm is not installed",
    generators: BOTH,
  },
  { name: "help", description: "print these options and exit", generators: [...BOTH, "doctor"] },
];

export function optionsOf(generator: GeneratorName): Option[] {
  return OPTIONS.filter((option) => option.generators.includes(generator));
}

/** `--name VALUE`, as help and docs/options.md spell it. */
export function spelling(option: Option): string {
  return option.value ? `--${option.name} ${option.value}` : `--${option.name}`;
}

/** node:util parseArgs' configuration for a generator's options. */
export function parseArgsOptions(
  generator: GeneratorName,
): Record<string, { type: "string" | "boolean"; multiple?: boolean }> {
  return Object.fromEntries(
    optionsOf(generator).map((o) => [
      o.name,
      { type: o.value ? "string" : "boolean", ...(o.multiple ? { multiple: true } : {}) },
    ]),
  );
}

/** `<generator> --help`: every option of the generator, one line each. */
export function generatorHelp(
  generator: { name: GeneratorName; usage: string; description: string },
  command: string,
): string {
  const options = optionsOf(generator.name);
  const width = Math.max(...options.map((o) => spelling(o).length));
  return [
    `Usage: ${command} ${generator.name} ${generator.usage ? `${generator.usage} ` : ""}[options]`,
    `${generator.description}.`,
    "",
    "Options, anywhere after the generator's name (before or after --):",
    ...options.map(
      (o) => `  ${spelling(o).padEnd(width)}  ${o.description}${o.default ? ` (default: ${o.default})` : ""}`,
    ),
  ].join("\n");
}

/** The option reference of docs/options.md: a markdown table. */
export function optionsMarkdown(): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;");
  return [
    "| Option | Generators | Default | What it does |",
    "| --- | --- | --- | --- |",
    ...OPTIONS.map(
      (o) =>
        `| \`${cell(spelling(o))}\` | ${o.generators.join(", ")} | ${cell(o.default ?? "")} | ${cell(o.description)} |`,
    ),
  ].join("\n");
}
