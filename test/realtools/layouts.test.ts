// More layouts Flux accepts, held to the real tools: an app folder inside a Flux path gets what of
// the path's build comes from it (checked against the real `flux build`), a Flux path holding
// other Kustomizations' paths runs theirs, and sibling clusters' folders are named alike and kept
// apart by the root Tiltfile the real Tilt loads, with its defaults and with its header's example.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { scaffold } from "../../helpers/scaffold.ts";
import { scanRepository } from "../../helpers/repository/scan.ts";
import { toolPath } from "../support/cluster.ts";
import { fluxLayouts, siblingClusters } from "../support/flux-layouts.ts";
import { liveOverlayDifferences } from "../support/flux-build.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { kubeconfig, tiltfileResult } from "../support/tiltfile.ts";

const ready = requireRealTools("layouts Flux accepts", ["tilt", "flux"]);
const env = { KUBECONFIG: kubeconfig("homelab") };

/** What the real `flux build` (which honours .sourceignore) makes of a Kustomization of clusters/test/apps.yaml, as kind/name. */
async function fluxBuild(root: string, name: string, fluxPath: string): Promise<string[]> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "flux-ks-")), "ks.yaml");
  const docs = parseAllDocuments(readFileSync(path.join(root, "clusters/test/apps.yaml"), "utf8")).map((d) => d.toJS());
  writeFileSync(file, JSON.stringify(docs.find((d) => d.metadata.name === name)));
  const built = await execa(
    toolPath("flux"),
    ["build", "kustomization", name, "--path", `./${fluxPath}`, "--kustomization-file", file, "--dry-run"],
    { cwd: root, env: { KUBECONFIG: "/nonexistent" } },
  );
  return parseAllDocuments(built.stdout)
    .map((d) => d.toJS())
    .filter(Boolean)
    .map((o) => `${o.kind}/${o.metadata.name}`)
    .sort();
}

describe.runIf(ready)("layouts Flux accepts", () => {
  it(
    "an app folder inside a Flux path, listed by its kustomization.yaml or taken in by the one Flux generates, gets what of the path's build comes from it, and the path's Kustomization suspended",
    { timeout: 300_000 },
    async () => {
      const root = await fluxLayouts();
      const before = { apps: await fluxBuild(root, "apps", "apps"), tools: await fluxBuild(root, "tools", "tools") };
      const cases = [
        { folder: "apps/web", resources: ["web", "web-config"], kustomization: "flux-system/apps" },
        // Its neighbour's generated ConfigMap is left out by the name its generator gives.
        { folder: "apps/echo", resources: ["echo"], kustomization: "flux-system/apps" },
        { folder: "tools/debug", resources: ["debug"], kustomization: "flux-system/tools" },
        {
          folder: "monitoring/controllers/kube-prometheus-stack",
          resources: ["kube-prometheus-stack", "kube-prometheus-stack-namespace"],
          kustomization: "flux-system/monitoring-controllers",
        },
      ];
      for (const { folder, resources, kustomization } of cases) {
        const [model] = (await scaffold({ folders: [path.join(root, folder)], cwd: root, context: "homelab", env }))
          .models;
        expect(model!.flux.toSuspend, folder).toEqual([kustomization]);
        // Flux's whole build of the path, less what comes from the other folders: a delete for each.
        expect(await liveOverlayDifferences(model!, model!.builds[0]!), folder).toEqual([]);
        const { run, manifests } = await tiltfileResult(model!.folder, env);
        expect(run.exitCode, run.stderr).toBe(0);
        expect(manifests.map((m) => m.Name).sort(), folder).toEqual(
          [...resources, `${model!.name}-flux`, `${model!.name}-flux-suspend`].sort(),
        );
      }
      // The web app keeps the namespace and labels apps/kustomization.yaml gives it.
      const web = await execa("kubectl", ["kustomize", path.join(root, "apps-dev/web")]);
      expect(web.stdout).toMatch(/namespace: apps/);
      expect(web.stdout).toMatch(/team: web/);
      // tools/debug is loose manifests Flux takes in one by one: a .sourceignore keeps the tool's files out.
      expect(readFileSync(path.join(root, "tools/debug/.sourceignore"), "utf8")).toContain("/.tilt-scaffold.yaml");
      expect({ apps: await fluxBuild(root, "apps", "apps"), tools: await fluxBuild(root, "tools", "tools") }).toEqual(
        before,
      );
    },
  );

  it(
    "a Flux path holding other Kustomizations' paths runs them, each suspended and its own left to apply them, and keeps its build",
    { timeout: 300_000 },
    async () => {
      const root = await fluxLayouts();
      expect((await scanRepository(root, root)).namespaceFolders).toContain("platform");
      const before = await fluxBuild(root, "platform", "platform");
      const [model] = (await scaffold({ folders: [path.join(root, "platform")], cwd: root, context: "homelab", env }))
        .models;
      expect(model!.flux.toSuspend).toEqual(["flux-system/platform-api", "flux-system/platform-redis"]);
      expect(model!.flux.ancestors.map((k) => k.name)).toContain("platform");
      expect(model!.builds.map((b) => b.live.dir)).toEqual([
        "../platform-dev/platform-api",
        "../platform-dev/platform-redis",
      ]);
      for (const build of model!.builds) expect(await liveOverlayDifferences(model!, build)).toEqual([]);
      expect(await fluxBuild(root, "platform", "platform")).toEqual(before);
      const { run, manifests } = await tiltfileResult(model!.folder, env);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(manifests.map((m) => m.Name).sort()).toEqual(["api", "platform-flux", "platform-flux-suspend", "redis"]);
    },
  );

  it(
    "sibling clusters' folders are named alike, and the root Tiltfile loads with its defaults and with its header's example, never two clusters at once",
    { timeout: 300_000 },
    async () => {
      const root = await siblingClusters();
      const folders = (await scanRepository(root, root)).namespaceFolders;
      expect(folders).toEqual([
        "deploy/production/apps",
        "deploy/production/cache",
        "deploy/staging/apps",
        "deploy/staging/cache",
      ]);
      // One at a time, staging first: the names do not depend on the order.
      for (const folder of [...folders].reverse())
        await scaffold({ folders: [path.join(root, folder)], cwd: root, context: "homelab", env });
      const header = readFileSync(path.join(root, "Tiltfile"), "utf8");
      expect(header).toMatch(/"production-apps": "deploy\/production\/apps\/Tiltfile"/);
      expect(header).toMatch(/"staging-cache": "deploy\/staging\/cache\/Tiltfile"/);
      const example = /just these, e\.g\. tilt up -- (.+)$/m.exec(header)![1]!.split(" ");
      expect(example).toEqual(["production-apps", "production-cache"]);
      for (const args of [[], example, ["staging-apps", "staging-cache"]]) {
        const { run, manifests } = await tiltfileResult(root, env, args);
        expect(run.exitCode, `${args}: ${run.stderr}`).toBe(0);
        expect(manifests.some((m) => m.Name === "uncategorized")).toBe(false);
      }
      const both = await tiltfileResult(root, env, ["production-cache", "staging-cache"]);
      expect(both.run.exitCode).not.toBe(0);
      expect(both.run.stderr).toContain(
        "production-cache and staging-cache are applied by different clusters' Flux: name one of them",
      );
    },
  );
});
