// What a test reads of the state Flux leaves a namespace in, and a kubeconfig that makes the
// same API server look like a local cluster.
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import type { TestCluster } from "./cluster.ts";

export interface LiveObject {
  uid: string;
  deleting: boolean;
}

/** UID and deletion state of every object of these kinds in the namespace, by `kind/name`. */
export async function liveObjects(
  cluster: TestCluster,
  namespace: string,
  kinds: string[],
): Promise<Record<string, LiveObject>> {
  const { stdout } = await cluster.kubectl(["get", kinds.join(","), "-n", namespace, "-o", "json"]);
  const items = (
    JSON.parse(stdout) as {
      items: { kind: string; metadata: { name: string; uid: string; deletionTimestamp?: string } }[];
    }
  ).items;
  return Object.fromEntries(
    items.map((o) => [
      `${o.kind}/${o.metadata.name}`,
      { uid: o.metadata.uid, deleting: o.metadata.deletionTimestamp !== undefined },
    ]),
  );
}

/** A kubeconfig for the same API server whose cluster Tilt takes for a local one (kind). */
export function asLocalCluster(cluster: TestCluster, file: string, name = "kind-dev"): string {
  const config = parse(readFileSync(cluster.kubeconfig, "utf8")) as {
    clusters: { name: string }[];
    contexts: { name: string; context: { cluster: string } }[];
    "current-context": string;
  };
  const local = structuredClone(config);
  local.clusters[0]!.name = name;
  local.contexts[0]!.name = name;
  local.contexts[0]!.context.cluster = name;
  // Both contexts: the one named at scaffold time (the Flux cluster) and the local one, current.
  config.clusters.push(local.clusters[0]!);
  config.contexts.push(local.contexts[0]!);
  config["current-context"] = name;
  writeFileSync(file, stringify(config));
  return file;
}
