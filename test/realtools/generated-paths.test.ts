// Flux paths without kustomization.yaml, in Flux's monitoring layout: each is a folder the picker
// offers, gets dev overlays beside it that build on what Flux's generated kustomization takes
// in, and keeps Flux's own build (the real `flux build`) as it was before the tool wrote anything.
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { scaffold } from "../../helpers/scaffold.ts";
import { scanRepository } from "../../helpers/repository/scan.ts";
import { toolPath } from "../support/cluster.ts";
import { fluxMonitoringLayout } from "../support/flux-monitoring-layout.ts";
import { liveOverlayDifferences } from "../support/flux-build.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { kubeconfig, tiltfileResult } from "../support/tiltfile.ts";

const ready = requireRealTools("Flux paths without kustomization.yaml", ["tilt", "flux"]);

/** What the real `flux build` makes of ./monitoring/<name>, as kind/name. */
async function fluxBuild(root: string, name: "controllers" | "configs"): Promise<string[]> {
  const args = [
    "build",
    "kustomization",
    `monitoring-${name}`,
    "--path",
    `./monitoring/${name}`,
    "--kustomization-file",
    "clusters/test/monitoring.yaml",
    "--dry-run",
  ];
  const built = await execa(toolPath("flux"), args, { cwd: root, env: { KUBECONFIG: "/nonexistent" } });
  return parseAllDocuments(built.stdout)
    .map((d) => d.toJS())
    .filter(Boolean)
    .map((o) => `${o.kind}/${o.metadata.name}`)
    .sort();
}

describe.runIf(ready)("Flux's monitoring layout: paths Flux generates a kustomization for", () => {
  const env = { KUBECONFIG: kubeconfig("homelab") };

  it("offers both paths and their kustomized folders, gives monitoring/controllers overlays beside it over each chart's folder, keeps Flux's build, and Tilt loads it", async () => {
    const root = await fluxMonitoringLayout();
    expect((await scanRepository(root, root)).namespaceFolders).toEqual([
      "monitoring/configs",
      "monitoring/configs/dashboards",
      "monitoring/controllers",
      "monitoring/controllers/kube-prometheus-stack",
      "monitoring/controllers/whoami",
    ]);
    const before = await fluxBuild(root, "controllers");
    expect(before).toEqual([
      "Deployment/whoami",
      "HelmRelease/kube-prometheus-stack",
      "HelmRepository/prometheus-community",
      "Namespace/monitoring",
      "Service/whoami",
    ]);

    const { models } = await scaffold({
      folders: [path.join(root, "monitoring/controllers")],
      cwd: root,
      context: "homelab",
      env,
    });
    const [model] = models;
    expect(model!.builds.map((b) => [b.live.dir, b.live.resources, b.localPath.resources])).toEqual([
      [
        "../controllers-dev",
        ["../controllers/kube-prometheus-stack", "../controllers/whoami"],
        ["../../controllers/kube-prometheus-stack", "../../controllers/whoami"],
      ],
    ]);
    // Flux takes in every YAML file below the path: the .sourceignore written keeps the tool's own out.
    expect(await fluxBuild(root, "controllers")).toEqual(before);
    expect(await liveOverlayDifferences(model!, model!.builds[0]!)).toEqual([]);
    const { run, manifests } = await tiltfileResult(model!.folder, env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(manifests.map((m) => m.Name).sort()).toEqual([
      "controllers-flux",
      "controllers-flux-suspend",
      "controllers-namespace",
      "kube-prometheus-stack",
      "whoami",
    ]);

    rmSync(path.join(model!.folder, ".sourceignore"));
    await expect(fluxBuild(root, "controllers")).rejects.toThrow(/\.tilt-scaffold\.yaml/);
  });

  it("builds a loose manifest and a kustomized folder of monitoring/configs, and a manifest added there makes --mode check fail", async () => {
    const root = await fluxMonitoringLayout();
    const folder = path.join(root, "monitoring/configs");
    const { models } = await scaffold({ folders: [folder], cwd: root, context: "homelab", env });
    expect(models[0]!.builds[0]!.live.resources).toEqual(["../configs/dashboards", "../configs/podmonitor.yaml"]);
    expect(await fluxBuild(root, "configs")).toEqual(["ConfigMap/flux-dashboards", "ConfigMap/scrape-config"]);
    expect(await liveOverlayDifferences(models[0]!, models[0]!.builds[0]!)).toEqual([]);
    expect((await scaffold({ folders: [folder], cwd: root, context: "homelab", env, mode: "check" })).changed).toBe(
      false,
    );

    writeFileSync(
      path.join(folder, "alerts.yaml"),
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: alerts, namespace: monitoring}\n",
    );
    const check = await scaffold({ folders: [folder], cwd: root, context: "homelab", env, mode: "check" });
    expect(check.changed).toBe(true);
    expect(check.models[0]!.builds[0]!.live.resources).toContain("../configs/alerts.yaml");
  });

  it("refuses in one line a folder whose own .sourceignore would let Flux take in the tool's files, and one holding YAML Flux cannot read", async () => {
    const root = await fluxMonitoringLayout();
    const folder = path.join(root, "monitoring/controllers");
    writeFileSync(path.join(folder, ".sourceignore"), "*.md\n");
    await expect(scaffold({ folders: [folder], cwd: root, context: "homelab", env })).rejects.toThrow(
      /^monitoring\/controllers\/\.sourceignore must name \/\.tilt-scaffold\.yaml and \/overlays\/storage\/local-path\/: Flux applies monitoring\/controllers without a kustomization\.yaml/,
    );
    writeFileSync(path.join(folder, ".sourceignore"), ".tilt-scaffold.yaml\noverlays/\n");
    await scaffold({ folders: [folder], cwd: root, context: "homelab", env });
    expect(await fluxBuild(root, "controllers")).toContain("Deployment/whoami");

    writeFileSync(path.join(folder, "values.yaml"), "replicaCount: 2\n");
    await expect(scaffold({ folders: [folder], cwd: root, context: "homelab", env })).rejects.toThrow(
      /^monitoring\/controllers\/values\.yaml is not Kubernetes YAML/,
    );
  });
});
