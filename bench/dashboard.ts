// dashboard.sh for media against a real API server holding 50 pods, compared with one plain
// `kubectl get pods` of the same namespace.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { haveTools, kwokNodeName, startTestCluster } from "../test/support/cluster.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const MEDIA = path.join(ROOT, "examples", "homelab", "applications", "media");
const PODS = 50;

type Alternate = (a: () => Promise<unknown>, b: () => Promise<unknown>) => Promise<[number, number]>;

function pod(index: number): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    // A label no workload selects: the real ReplicaSet controller would adopt and delete them.
    metadata: { name: `sonarr-${index}`, namespace: "media", labels: { "app.kubernetes.io/name": "bench" } },
    spec: { nodeName: kwokNodeName, containers: [{ name: "sonarr", image: "lscr.io/linuxserver/sonarr:4.0.11" }] },
  });
}

export async function dashboardBenchmarks(alternate: Alternate) {
  if (!haveTools({ controllers: true }))
    throw new Error("no kube-apiserver or kwok in .tools/bin: run `npm run tools`");
  const cluster = await startTestCluster({ controllers: true });
  try {
    await cluster.kubectl(["create", "namespace", "flux-system"]);
    await cluster.kubectl(["apply", "-f", path.join(ROOT, "examples/homelab/clusters/homelab/apps.yaml")]);
    const built = await execa("kubectl", ["kustomize", path.join(MEDIA, "overlays/dev")]);
    await cluster.kubectl(["apply", "-f", "-"], { input: built.stdout });
    await cluster.kubectl(["apply", "-f", "-"], { input: Array.from({ length: PODS }, (_, i) => pod(i)).join("\n") });
    // kwok's node runs them: Running and Ready, as a kubelet reports.
    await cluster.kubectl([
      "wait",
      "--for=condition=Ready",
      "pod",
      "-l",
      "app.kubernetes.io/name=bench",
      "-n",
      "media",
      "--timeout=120s",
    ]);
    const env = { KUBECONFIG: cluster.kubeconfig, NO_COLOR: "1" };
    const [ours, baseline] = await alternate(
      () => execa(path.join(MEDIA, "dashboard.sh"), [], { env }),
      () => execa("kubectl", ["get", "pods", "-n", "media"], { env }),
    );
    return [
      { name: `dashboard.sh, ${PODS} pods`, ours, baseline, baselineName: "kubectl get pods -n media", goal: 1.3 },
    ];
  } finally {
    await cluster.stop();
  }
}
