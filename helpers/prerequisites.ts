// The external tools the run and the files it generates use, and what is lost without each:
// what `doctor` lists, one line a tool.
import { execa } from "execa";

export interface Tool {
  name: string;
  /** Arguments that make it print its version. */
  versionArgs: string[];
  /** What does not work without it. */
  without: string;
  /** The run itself cannot do without it. */
  runNeedsIt: boolean;
}

export interface ToolCheck extends Tool {
  /** Its version, when it was found. */
  version?: string;
}

/** With KUSTOMIZE_BIN the run builds with that kustomize, and kubectl is the generated files' alone. */
export function prerequisites(env: NodeJS.ProcessEnv = process.env): Tool[] {
  const kustomize = env.KUSTOMIZE_BIN;
  return [
    ...(kustomize
      ? [
          {
            name: kustomize,
            versionArgs: ["version"],
            without: "the run cannot build what Flux applies (KUSTOMIZE_BIN names this kustomize for it)",
            runNeedsIt: true,
          },
        ]
      : []),
    {
      name: "kubectl",
      versionArgs: ["version", "--client"],
      without: `${kustomize ? "" : "the run cannot build what Flux applies (kubectl kustomize); "}Tilt, dashboard.sh and deploy.sh cannot reach the cluster`,
      runNeedsIt: !kustomize,
    },
    {
      name: "git",
      versionArgs: ["--version"],
      without: "the run cannot find the repository and its files; deploy.sh cannot commit or push",
      runNeedsIt: true,
    },
    {
      name: "helm",
      versionArgs: ["version", "--short"],
      without:
        "HelmReleases' charts are not rendered (no forwards or pods from them; a run then rewrites no file there without --force), and tilt up on a local cluster installs none",
      runNeedsIt: false,
    },
    {
      name: "flux",
      versionArgs: ["version", "--client"],
      without:
        "tilt up cannot suspend Flux nor its buttons run; deploy.sh cannot substitute postBuild variables nor diff",
      runNeedsIt: false,
    },
    { name: "tilt", versionArgs: ["version"], without: "the generated Tiltfiles do not run", runNeedsIt: false },
    { name: "jq", versionArgs: ["--version"], without: "dashboard.sh and deploy.sh do not run", runNeedsIt: false },
    {
      name: "bash",
      versionArgs: ["--version"],
      without: "dashboard.sh, deploy.sh and Tilt's Flux commands do not run",
      runNeedsIt: false,
    },
  ];
}

/** Runs each tool for its version; a tool that cannot be started is not found. */
export async function checkTools(tools: Tool[], env: NodeJS.ProcessEnv = process.env): Promise<ToolCheck[]> {
  return Promise.all(
    tools.map(async (tool) => {
      const run = await execa(tool.name, tool.versionArgs, { env, reject: false, timeout: 10_000 });
      if (run.failed && run.exitCode === undefined) return tool;
      return {
        ...tool,
        version: /v?\d+\.\d+(?:\.\d+)?/.exec(`${run.stdout}\n${run.stderr}`)?.[0] ?? "(version unknown)",
      };
    }),
  );
}

/** One line a tool: its name, its version or "not found", and what is lost without it. */
export function formatChecks(checks: ToolCheck[]): string[] {
  const nameWidth = Math.max(...checks.map((c) => c.name.length));
  const versionWidth = Math.max(...checks.map((c) => (c.version ?? "not found").length));
  return checks.map(
    (c) => `${c.name.padEnd(nameWidth)}  ${(c.version ?? "not found").padEnd(versionWidth)}  without it: ${c.without}`,
  );
}
