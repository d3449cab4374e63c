// The one optional network call of a run: when the chosen kube context answers, the Flux
// Kustomizations found in git are looked up in the cluster, so a name that differs there
// (renamed, applied from another branch, never bootstrapped) is reported before `tilt up`.
import { setTimeout as sleep } from "node:timers/promises";
import { kubeconfigFiles } from "./kubeconfig.ts";

/** How long the cluster may take to answer before the check is given up. */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * `namespace/name` of the Kustomizations the cluster does not have, or undefined when no
 * kubeconfig, context or answer was there to check against.
 */
export async function kustomizationsMissingInCluster(
  refs: string[],
  context: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[] | undefined> {
  const files = kubeconfigFiles(env);
  if (refs.length === 0 || !context || files.length === 0) return undefined;
  const { KubeConfig, CustomObjectsApi } = await import("@kubernetes/client-node");
  const config = new KubeConfig();
  config.loadFromFile(files[0]!);
  if (!config.getContexts().some((c) => c.name === context)) return undefined;
  config.setCurrentContext(context);
  const api = config.makeApiClient(CustomObjectsApi);
  const namespaces = [...new Set(refs.map((ref) => ref.split("/")[0]!))];
  const lookup = Promise.all(
    namespaces.map((namespace) =>
      api.listNamespacedCustomObject({
        group: "kustomize.toolkit.fluxcd.io",
        version: "v1",
        namespace,
        plural: "kustomizations",
      }),
    ),
  ).then(
    (lists) =>
      new Set(
        lists.flatMap((list, i) =>
          ((list as { items: { metadata: { name: string } }[] }).items ?? []).map(
            (k) => `${namespaces[i]}/${k.metadata.name}`,
          ),
        ),
      ),
  );
  const timeout = sleep(CHECK_TIMEOUT_MS, undefined, { ref: false });
  const found = await Promise.race([lookup.catch(() => undefined), timeout]);
  return found && refs.filter((ref) => !found.has(ref));
}
