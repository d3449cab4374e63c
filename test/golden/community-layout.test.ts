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
    expect(model!.flux.toSuspend).toEqual(["flux-system/sonarr"]);
    expect(model!.flux.ancestors.map((k) => k.name)).toEqual(["cluster-apps"]);
    expect(model!.resources.map((r) => [r.name, r.objects])).toEqual([["sonarr", ["sonarr:helmrelease", "app-template:ocirepository"]]]);
    expect(model!.devOverlay).toMatchObject({
      namespace: "media",
      live: { resources: ["../../app"], components: ["../../../../../components/common"], keepOnDown: true },
      localPath: { resources: ["../../../app"], components: ["../../../../../../components/common", "../../storage/local-path"], keepOnDown: false },
    });
    const dev = await execa("kubectl", ["kustomize", path.join(app, "overlays/dev")]);
    expect(dev.stdout).toContain("kind: OCIRepository");
    expect(dev.stdout.match(/namespace: media/g)?.length).toBe(2);
  });

  it("refuses a namespace folder whose apps have Kustomizations of their own, and says which folder to scaffold", async () => {
    const { root } = communityLayout();
    const radarr = path.join(root, "kubernetes/apps/media/radarr");
    mkdirSync(path.join(radarr, "app"), { recursive: true });
    writeFileSync(path.join(radarr, "app/kustomization.yaml"), "resources: []\n");
    const ks = readFileSync(path.join(root, "kubernetes/apps/media/sonarr/ks.yaml"), "utf8");
    writeFileSync(path.join(radarr, "ks.yaml"), ks.replaceAll("sonarr", "radarr"));
    await execa("git", ["init", "-q", root]);
    const media = path.join(root, "kubernetes/apps/media");
    await expect(scaffold({ folders: [media], cwd: root, env: { KUBECONFIG: "/nonexistent" } })).rejects.toThrow(
      "kubernetes/apps/media is applied by 2 Flux Kustomizations with different paths (radarr/app, sonarr/app): scaffold each app folder on its own, e.g. kubernetes/apps/media/radarr",
    );
  });
});
