// The community layout: an app folder applied by a Flux Kustomization with Flux-level components,
// targetNamespace and a variable in the HelmRelease's name.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { communityLayout } from "../support/community-layout.ts";

describe("a kubernetes/apps/<namespace>/<app> folder", () => {
  it("models what Flux applies: components added, names substituted, targetNamespace kept", async () => {
    const { root, app } = communityLayout();
    await execa("git", ["init", "-q", root]);
    const { models } = await scaffold({ folders: [app], cwd: root, env: { KUBECONFIG: "/nonexistent" } });
    const [model] = models;
    expect(model!.namespace).toBe("media");
    // kubernetes/apps/media/kustomization.yaml puts the Kustomization in media, whatever ks.yaml says.
    expect(model!.flux.toSuspend).toEqual(["media/sonarr"]);
    expect(model!.flux.ancestors.map((k) => k.name)).toEqual(["cluster-apps"]);
    expect(model!.resources.map((r) => [r.name, r.objects, r.fluxObjects])).toEqual([
      ["sonarr", [], ["sonarr:helmrelease", "app-template:ocirepository"]],
    ]);
    expect(model!.builds).toMatchObject([
      {
        path: "app",
        live: {
          namespace: "media",
          resources: ["../../app"],
          components: ["../../../../../components/common"],
          keepOnDown: true,
        },
        localPath: {
          namespace: "media",
          resources: ["../../../app"],
          components: ["../../../../../../components/common", "../../storage/local-path"],
          keepOnDown: false,
        },
      },
    ]);
    const dev = await execa("kubectl", ["kustomize", path.join(app, "overlays/dev")]);
    expect(dev.stdout).toContain("kind: OCIRepository");
    expect(dev.stdout.match(/namespace: media/g)?.length).toBe(2);
  });

  it("gives a namespace folder whose apps have Kustomizations of their own one overlay per app, each Flux's build of it", async () => {
    const { root, media } = withRadarr();
    await execa("git", ["init", "-q", root]);
    const { models } = await scaffold({ folders: [media], cwd: root, env: { KUBECONFIG: "/nonexistent" } });
    const [model] = models;
    expect(model!.flux.toSuspend).toEqual(["media/radarr", "media/sonarr"]);
    expect(model!.builds.map((b) => [b.name, b.path, b.live.dir, b.localPath.dir])).toEqual([
      ["radarr", "radarr/app", "overlays/dev/radarr", "overlays/dev/radarr/local-path"],
      ["sonarr", "sonarr/app", "overlays/dev/sonarr", "overlays/dev/sonarr/local-path"],
    ]);
    expect(model!.builds.map((b) => b.variables.map((v) => `${v.name}=${v.value}`))).toEqual([
      ["APP=radarr"],
      ["APP=sonarr"],
    ]);
    // Both apps' Components add the one app-template OCIRepository: a group both wait for holds it.
    expect(model!.resources.map((r) => r.name).sort()).toEqual(["media-flux-objects", "radarr", "sonarr"]);
    for (const build of model!.builds) {
      const dev = await execa("kubectl", ["kustomize", path.join(media, build.live.dir)]);
      const names = [...dev.stdout.matchAll(/^ {2}name: (.+)$/gm)].map((m) => m[1]);
      expect(names.sort()).toEqual(build.name === "sonarr" ? ["${APP}", "app-template"] : ["${APP}"]);
    }
  });

  it("gives a flat folder, the path Flux applies itself, its dev overlays beside it, built on it", async () => {
    const { root, app } = communityLayout();
    await execa("git", ["init", "-q", root]);
    const { models } = await scaffold({
      folders: [path.join(app, "app")],
      cwd: root,
      env: { KUBECONFIG: "/nonexistent" },
    });
    expect(models[0]!.builds.map((b) => [b.path, b.live.dir, b.localPath.dir, b.live.resources])).toEqual([
      [".", "../app-dev", "../app-dev/local-path", ["../app"]],
    ]);
    const dev = await execa("kubectl", ["kustomize", path.join(app, "app-dev")]);
    expect([...dev.stdout.matchAll(/^kind: (.+)$/gm)].map((m) => m[1]).sort()).toEqual([
      "HelmRelease",
      "OCIRepository",
    ]);
  });
});

/** The layout with a second app, radarr, whose Kustomization has no components. */
function withRadarr() {
  const { root } = communityLayout();
  const radarr = path.join(root, "kubernetes/apps/media/radarr");
  mkdirSync(path.join(radarr, "app"), { recursive: true });
  const release = readFileSync(path.join(root, "kubernetes/apps/media/sonarr/app/helmrelease.yaml"), "utf8");
  writeFileSync(path.join(radarr, "app/helmrelease.yaml"), release.replaceAll("sonarr", "radarr"));
  writeFileSync(path.join(radarr, "app/kustomization.yaml"), "resources: [./helmrelease.yaml]\n");
  const ks = readFileSync(path.join(root, "kubernetes/apps/media/sonarr/ks.yaml"), "utf8");
  writeFileSync(path.join(radarr, "ks.yaml"), ks.replaceAll("sonarr", "radarr").replace(/ {2}components: .*\n/, ""));
  writeFileSync(
    path.join(root, "kubernetes/apps/media/kustomization.yaml"),
    "namespace: media\nresources: [./radarr/ks.yaml, ./sonarr/ks.yaml]\n",
  );
  return { root, media: path.join(root, "kubernetes/apps/media") };
}
