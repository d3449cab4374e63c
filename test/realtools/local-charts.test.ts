// A monitoring namespace on a fresh local cluster that has no Flux (no CRD at all, a kwok node):
// the real Tilt applies what each HelmRelease's chart renders with the real helm, with the
// release's values, valuesFrom, Flux's variables, the dev caps and the chart's CRDs; a chart
// nobody can reach is one line and the rest comes up; `tilt down` deletes what Tilt applied.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { freePort, startTestCluster, toolPath, type TestCluster } from "../support/cluster.ts";
import { APP_TEMPLATE, haveFixtures, packagedKubePrometheusStack } from "../support/fixtures.ts";
import { asLocalCluster } from "../support/flux-state.ts";
import { startChartServer, type ChartServer } from "../support/chart-server.ts";
import { monitoringRepository } from "../support/monitoring-repo.ts";
import { startOciRegistry, type OciRegistry } from "../support/oci-registry.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { until } from "../support/until.ts";

const ready = requireRealTools("local charts suite", [
  "tilt",
  "helm",
  "registry",
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
]);

describe.runIf(ready && haveFixtures())("HelmReleases on a local cluster without Flux", { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let charts: ChartServer;
  let registry: OciRegistry;
  let folder: string;
  let kubeconfig: string;
  const home = mkdtempSync(path.join(os.tmpdir(), "tilt-home-"));

  beforeAll(async () => {
    [cluster, charts, registry] = await Promise.all([
      startTestCluster({ controllers: true, crds: false }),
      startChartServer([packagedKubePrometheusStack()]),
      startOciRegistry([{ dir: APP_TEMPLATE, version: "4.1.1" }]),
    ]);
    const root = await monitoringRepository(charts.url, registry.host);
    folder = path.join(root, "monitoring");
    // The cluster Flux manages is named; the current context is a local one.
    await scaffold({ folders: [folder], cwd: root, context: "tilt-test", env: { KUBECONFIG: "/nonexistent" } });
    kubeconfig = asLocalCluster(cluster, path.join(mkdtempSync(path.join(os.tmpdir(), "kind-")), "config"));
  }, 240_000);
  afterAll(async () => {
    await Promise.all([cluster?.stop(), charts?.stop(), registry?.stop()]);
  });

  function tilt(args: string[]) {
    return execa(toolPath("tilt"), args, {
      all: true,
      cwd: folder,
      reject: false,
      env: { KUBECONFIG: kubeconfig, HOME: home },
    });
  }

  async function tiltResources(port: number): Promise<Record<string, string>> {
    const { stdout, exitCode } = await tilt(["get", "uiresources", "-o", "json", "--port", String(port)]);
    if (exitCode !== 0) return {};
    const items = (
      JSON.parse(stdout) as {
        items: { metadata: { name: string }; status: { runtimeStatus?: string; updateStatus?: string } }[];
      }
    ).items;
    return Object.fromEntries(
      items.map((r) => [r.metadata.name, `${r.status.updateStatus}/${r.status.runtimeStatus}`]),
    );
  }

  const get = async (args: string[]) => (await cluster.kubectl(["get", ...args], { reject: false })).stdout;

  it("tilt up applies each chart's objects under its release's resource; tilt down deletes them", async () => {
    const port = await freePort();
    const up = tilt(["up", "--stream", "--port", String(port)]);
    let last: Record<string, string> = {};
    const resources = await until(
      "Tilt to report the releases' workloads ok",
      async () => {
        last = await tiltResources(port);
        if (last["(Tiltfile)"]?.startsWith("error")) throw new Error("the Tiltfile failed to load");
        return last["whoami"] === "ok/ok" &&
          last["kube-prometheus-stack"] === "ok/ok" &&
          last["kube-prometheus-stack-operator"] === "ok/ok"
          ? last
          : undefined;
      },
      180,
    ).catch(async (error: Error) => {
      up.kill("SIGINT");
      throw new Error(`${error.message}: ${JSON.stringify(last)}\n${String((await up).all).slice(-6000)}`);
    });
    // The release's resource holds its CRDs and config and finds its pods; its operator has a
    // resource of its own too; app-template's Deployment is named like its release, and is it.
    // Its chart runs the operator's pods and the Prometheus the operator would make: the forwards
    // of each Service are a resource of their own, finding only that Service's pods.
    expect(Object.keys(resources).sort()).toEqual([
      "(Tiltfile)",
      "kube-prometheus-stack",
      "kube-prometheus-stack-operator",
      "kube-prometheus-stack-operator-forward",
      "kube-prometheus-stack-prometheus-forward",
      "monitoring-flux",
      "monitoring-namespace",
      "whoami",
    ]);
    // The chart's CRDs and custom resources, with the ConfigMap's values as Flux substitutes them.
    expect(
      await get([
        "prometheus",
        "kube-prometheus-stack-prometheus",
        "-n",
        "monitoring",
        "-o",
        "jsonpath={.spec.retention}",
      ]),
    ).toBe("3d");
    // The dev caps reach what the chart renders: one replica, memory capped.
    expect(
      await get([
        "deployment",
        "whoami",
        "-n",
        "monitoring",
        "-o",
        "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].resources.limits.memory}",
      ]),
    ).toBe("1 1Gi");
    expect(
      await get([
        "deployment",
        "kube-prometheus-stack-operator",
        "-n",
        "monitoring",
        "-o",
        "jsonpath={.status.readyReplicas}",
      ]),
    ).toBe("1");
    // No Flux here: nothing of Flux's was applied, and no Flux command failed.
    expect((await cluster.kubectl(["api-resources", "-o", "name"])).stdout).not.toContain("fluxcd.io");
    const { stdout: forwards } = await tilt(["get", "portforwards", "-o", "json", "--port", String(port)]);
    expect(forwards).toContain('"localPort": 10080');
    const operator = await get([
      "pods",
      "-n",
      "monitoring",
      "-l",
      "app=kube-prometheus-stack-operator",
      "-o",
      "jsonpath={.items[0].metadata.name}",
    ]);
    const pointed = (JSON.parse(forwards) as { items: { metadata: { name: string }; spec: { podName: string } }[] })
      .items;
    expect(
      pointed.filter((f) => f.metadata.name.startsWith("kube-prometheus-stack-")).map((f) => f.spec.podName),
    ).toEqual([operator]);
    up.kill("SIGINT");
    const log = String((await up).all);
    expect(log).toContain("HelmRelease unreachable: helm could not render its chart");
    expect(log).toContain("Flux does not manage this cluster");

    const down = await tilt(["down"]);
    expect(down.exitCode, down.all).toBe(0);
    expect(await get(["deployments", "-n", "monitoring", "-o", "name"])).toBe("");
  });
});
