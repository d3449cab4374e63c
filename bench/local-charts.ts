// A chart namespace on a cluster without Flux: the generated Tiltfile builds the dev overlay and
// renders each HelmRelease's chart with helm (values from the release, its post-renderers through
// kustomize), against the least a Tiltfile can do for the same result: kustomize() of the overlay
// and Tilt's helm() of the same chart.
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parseDocument } from "yaml";
import { scaffold } from "../helpers/scaffold.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const TILT = path.join(ROOT, ".tools", "bin", "tilt");

type Alternate = (a: () => Promise<unknown>, b: () => Promise<unknown>) => Promise<[number, number]>;

/** infrastructure/monitoring of a copy of the example with only its repository's own chart (echo-server), scaffolded. */
export async function monitoringWithLocalChart(): Promise<string> {
  const repo = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-charts-")), "homelab");
  cpSync(path.join(ROOT, "examples", "homelab"), repo, { recursive: true });
  const folder = path.join(repo, "infrastructure", "monitoring");
  writeFileSync(
    path.join(folder, "base", "kustomization.yaml"),
    "namespace: monitoring\nresources: [namespace.yaml, echo-server/helmrelease.yaml]\n",
  );
  // Its remembered --forward answers name kube-prometheus-stack, which is gone.
  const answers = parseDocument(readFileSync(path.join(folder, ".tilt-scaffold.yaml"), "utf8"));
  answers.deleteIn(["answers", "forwards"]);
  writeFileSync(path.join(folder, ".tilt-scaffold.yaml"), String(answers));
  await execa("git", ["init", "-q", repo]);
  await scaffold({ folders: [folder], cwd: repo, env: { KUBECONFIG: "/nonexistent" } });
  return folder;
}

export async function localChartBenchmarks(alternate: Alternate) {
  if (!existsSync(TILT)) throw new Error("no .tools/bin/tilt: run `npm run tools`");
  const folder = await monitoringWithLocalChart();
  const env = {
    KUBECONFIG: "/nonexistent",
    PATH: `${path.join(ROOT, ".tools", "bin")}${path.delimiter}${process.env.PATH}`,
  };
  const load = (tiltfile: string) => () =>
    execa(TILT, ["alpha", "tiltfile-result", "-f", tiltfile], { cwd: folder, env });
  const minimal = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-tiltfile-")), "Tiltfile");
  writeFileSync(
    minimal,
    [
      `k8s_yaml(kustomize("${folder}/overlays/dev/local-path"))`,
      `k8s_yaml(helm("${folder}/../../charts/echo-server", name = "echo-server", namespace = "monitoring"))`,
      "",
    ].join("\n"),
  );
  const [ours, bare] = await alternate(load("Tiltfile"), load(minimal));
  return [
    {
      name: "chart namespace Tiltfile load, no Flux",
      ours,
      baseline: bare,
      baselineName: "minimal Tiltfile: kustomize() + helm()",
      goal: 1.2,
    },
  ];
}
