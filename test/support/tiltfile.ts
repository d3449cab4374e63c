// Loading a Tiltfile in the real Tilt without a cluster: `tilt alpha tiltfile-result` prints
// the manifests Tilt would run, and a kubeconfig whose servers never answer is all it needs.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { toolPath } from "./cluster.ts";

export interface TiltManifest {
  Name: string;
  DeployTarget?: {
    yaml?: string;
    applyCmd?: { args: string[] };
    deleteCmd?: { args: string[] };
    portForwardTemplateSpec?: { forwards: { localPort: number; containerPort: number; name: string }[] };
    ServeCmd?: { Argv?: string[] };
  };
}

export async function tiltfileResult(dir: string, env: Record<string, string> = {}, args: string[] = []) {
  const run = await execa(
    toolPath("tilt"),
    ["alpha", "tiltfile-result", "--verbose", "-f", "Tiltfile", ...(args.length ? ["--", ...args] : [])],
    {
      cwd: dir,
      reject: false,
      env: { KUBECONFIG: "/nonexistent", ...env },
    },
  );
  const json =
    run.exitCode === 0 ? (JSON.parse(run.stdout) as { Manifests: TiltManifest[]; ConfigFiles?: string[] }) : undefined;
  // ConfigFiles: what the Tiltfile read, the files whose change makes Tilt load it again.
  return { run, manifests: json?.Manifests ?? [], configFiles: json?.ConfigFiles ?? [], log: run.stderr };
}

/**
 * A kubeconfig naming the cluster Flux manages (`homelab`) and a local kind cluster, with
 * `current` as its current context. Loading a Tiltfile reads it and never calls the server.
 */
export function kubeconfig(current: "homelab" | "kind-dev"): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "kubeconfig-")), "config");
  const cluster = (name: string) => ({ name, cluster: { server: "https://127.0.0.1:1" } });
  const context = (name: string) => ({ name, context: { cluster: name, user: "dev" } });
  const config = {
    apiVersion: "v1",
    kind: "Config",
    "current-context": current,
    clusters: [cluster("homelab"), cluster("kind-dev")],
    contexts: [context("homelab"), context("kind-dev")],
    users: [{ name: "dev", user: { token: "t" } }],
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}
