// The user's kube contexts, read through @kubernetes/client-node.
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UserError } from "../errors.ts";

export interface KubeContexts {
  names: string[];
  current?: string;
}

/** Kubeconfig files kubectl would read: $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = env.KUBECONFIG
    ? env.KUBECONFIG.split(path.delimiter).filter(Boolean)
    : [path.join(os.homedir(), ".kube", "config")];
  return list.filter((file) => existsSync(file));
}

/**
 * Contexts of the user's kubeconfig. No kubeconfig at all is fine (a fresh machine, CI);
 * one that exists but cannot be read is the user's error. client-node is imported only
 * when there is a file to read: it is the slowest module we load.
 */
export async function readKubeContexts(env: NodeJS.ProcessEnv = process.env): Promise<KubeContexts> {
  const files = kubeconfigFiles(env);
  if (files.length === 0) return { names: [] };
  const { KubeConfig } = await import("@kubernetes/client-node/dist/config.js");
  const config = new KubeConfig();
  try {
    if (files.length === 1) config.loadFromFile(files[0]!);
    else config.loadFromDefault();
  } catch (error) {
    throw new UserError(`cannot read kubeconfig ${files.join(path.delimiter)}: ${(error as Error).message}`);
  }
  const names = config.getContexts().map((context) => context.name);
  const current = config.getCurrentContext() || undefined;
  return { names, current: current && names.includes(current) ? current : undefined };
}
