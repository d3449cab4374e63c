// The user's kube contexts, read through @kubernetes/client-node.
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { load } from "js-yaml";
import { newClusters, newContexts, newUsers } from "@kubernetes/client-node/dist/config_types.js";
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
 * one that exists but cannot be read is the user's error. One file, the usual case, is read the
 * way client-node's KubeConfig.loadFromString reads it, with its own config_types: importing
 * KubeConfig itself loads all of client-node's API (~0.4 s, most of a run). Several files are
 * merged by KubeConfig, as before.
 */
export async function readKubeContexts(env: NodeJS.ProcessEnv = process.env): Promise<KubeContexts> {
  const files = kubeconfigFiles(env);
  if (files.length === 0) return { names: [] };
  let names: string[];
  let current: string | undefined;
  try {
    if (files.length === 1) {
      const config = (load(readFileSync(files[0]!, "utf8")) ?? {}) as Record<string, unknown>;
      // Clusters and users are checked as KubeConfig checks them (a broken entry is an error); only contexts are kept.
      newClusters(config.clusters);
      newUsers(config.users);
      names = newContexts(config.contexts).map((context) => context.name);
      current = typeof config["current-context"] === "string" ? config["current-context"] : undefined;
    } else {
      const { KubeConfig } = await import("@kubernetes/client-node/dist/config.js");
      const config = new KubeConfig();
      config.loadFromDefault();
      names = config.getContexts().map((context) => context.name);
      current = config.getCurrentContext() || undefined;
    }
  } catch (error) {
    throw new UserError(`cannot read kubeconfig ${files.join(path.delimiter)}: ${(error as Error).message}`);
  }
  return { names, current: current && names.includes(current) ? current : undefined };
}
