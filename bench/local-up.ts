// `tilt ci` of a chart namespace on a local cluster without Flux (kwok node), from start to every
// resource ready, against the least that brings up the same chart: `helm template | kubectl apply`
// and a wait for its Deployments, and `tilt ci` of a minimal Tiltfile calling helm() on it (Tilt's
// own start-up). Each run starts from the namespace without the chart's objects.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { parse } from "yaml";
import { freePort, haveTools, startTestCluster, toolPath } from "../test/support/cluster.ts";
import { asLocalCluster } from "../test/support/flux-state.ts";
import { monitoringWithLocalChart } from "./local-charts.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NS = "monitoring";

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

export async function localUpBenchmarks() {
  if (!haveTools({ controllers: true }) || !["tilt", "helm"].every((tool) => existsSync(toolPath(tool))))
    throw new Error("no kube-apiserver, kwok, tilt or helm in .tools/bin: run `npm run tools`");
  const folder = await monitoringWithLocalChart();
  const cluster = await startTestCluster({ controllers: true, crds: false });
  try {
    const kubeconfig = asLocalCluster(cluster, path.join(mkdtempSync(path.join(os.tmpdir(), "bench-kind-")), "config"));
    const env = {
      KUBECONFIG: kubeconfig,
      HOME: mkdtempSync(path.join(os.tmpdir(), "bench-tilt-home-")),
      PATH: `${path.dirname(toolPath("tilt"))}${path.delimiter}${process.env.PATH}`,
    };
    const kubectl = (args: string[], input?: string) => execa("kubectl", args, { env, input });
    const tilt = (args: string[], tiltfile = "Tiltfile") =>
      execa(toolPath("tilt"), [...args, "--file", tiltfile], { cwd: folder, env });
    const release = parse(readFileSync(path.join(folder, "base", "echo-server", "helmrelease.yaml"), "utf8")) as {
      spec: { values: unknown };
    };
    const chart = path.join(folder, "..", "..", "charts", "echo-server");
    const template = () =>
      execa(toolPath("helm"), ["template", "echo-server", chart, "--namespace", NS, "--values", "-"], {
        input: JSON.stringify(release.spec.values),
      });
    const gone = () => kubectl(["wait", "--for=delete", "pod", "--all", "--namespace", NS, "--timeout=120s"]);

    const values = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-values-")), "values.json");
    writeFileSync(values, JSON.stringify(release.spec.values));
    const minimal = path.join(path.dirname(values), "Tiltfile");
    writeFileSync(
      minimal,
      `k8s_yaml(helm("${chart}", name = "echo-server", namespace = "${NS}", values = ["${values}"]))\n`,
    );
    const up = (tiltfile: string) => async () => {
      const start = performance.now();
      await tilt(["ci", "--timeout", "120s", "--port", String(await freePort())], tiltfile);
      const took = performance.now() - start;
      await tilt(["down"], tiltfile);
      await gone();
      return took;
    };
    const ours = up("Tiltfile");
    const bare = up(minimal);
    const baseline = async () => {
      const start = performance.now();
      const { stdout } = await template();
      await kubectl(["apply", "--namespace", NS, "--filename", "-"], stdout);
      await kubectl(["wait", "--for=condition=Available", "deployment", "--all", "--namespace", NS, "--timeout=120s"]);
      const took = performance.now() - start;
      await kubectl(["delete", "--namespace", NS, "--filename", "-", "--wait"], stdout);
      await gone();
      return took;
    };
    // The namespace exists, as on a cluster used before; a first run of each warms caches.
    await kubectl(["create", "namespace", NS]);
    const runs = [ours, bare, baseline];
    for (const run of runs) await run();
    const times: number[][] = runs.map(() => []);
    for (let i = 0; i < RUNS; i++) for (const [index, run] of runs.entries()) times[index]!.push(await run());
    const [a, m, b] = times.map(median);
    return [
      {
        name: "tilt ci of a chart namespace to all ready, no Flux",
        ours: a!,
        baseline: b!,
        baselineName: "helm template | kubectl apply + wait",
      },
      {
        name: "the same against Tilt's own start-up",
        ours: a!,
        baseline: m!,
        baselineName: "tilt ci of a minimal helm() Tiltfile",
      },
    ];
  } finally {
    await cluster.stop();
  }
}
