// locateUnits: which Flux builds a folder has, and where each one's dev overlays go.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { FluxKustomization } from "../../helpers/repository/flux.ts";
import { applyingKustomizations, locateUnits, suggest } from "../../helpers/namespace/units.ts";

function kustomization(name: string, repoPath: string, extra: Partial<FluxKustomization> = {}): FluxKustomization {
  return {
    name,
    namespace: "flux-system",
    file: `clusters/a/${name}.yaml`,
    path: repoPath,
    suspend: false,
    dependsOn: [],
    sourceRef: { kind: "GitRepository", name: "flux-system", namespace: "flux-system" },
    ...extra,
  };
}

/** A folder `apps/media` holding a kustomization.yaml in each of `dirs` ("." for itself). */
function folder(dirs: string[]): string {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), "units-")), "apps/media");
  for (const dir of dirs) {
    mkdirSync(path.join(root, dir), { recursive: true });
    writeFileSync(path.join(root, dir, "kustomization.yaml"), "resources: []\n");
  }
  return root;
}

const summary = (units: ReturnType<typeof locateUnits>) =>
  units.map((u) => [u.name, u.path, u.devDir, u.kustomizations.map((k) => k.name)]);

describe("locateUnits", () => {
  it("gives one Flux path overlays/dev", () => {
    expect(
      summary(
        locateUnits(folder(["overlays/prod"]), "apps/media", [kustomization("media", "apps/media/overlays/prod")]),
      ),
    ).toEqual([["media", "overlays/prod", "overlays/dev", ["media"]]]);
  });

  it("builds the same spec once for the Kustomizations of two clusters", () => {
    const own = [
      kustomization("media", "apps/media/base"),
      kustomization("media", "apps/media/base", { file: "clusters/b/media.yaml" }),
    ];
    expect(summary(locateUnits(folder(["base"]), "apps/media", own))).toEqual([
      ["media", "base", "overlays/dev", ["media", "media"]],
    ]);
  });

  it("builds one Kustomization defined by two clusters once, as the first definition says", () => {
    const patch = (server: string) => [
      { patch: `- {op: replace, path: /spec/acme/server, value: ${server}}`, target: { kind: "ClusterIssuer" } },
    ];
    const own = [
      kustomization("configs", "apps/media/base", { file: "clusters/production/infra.yaml", patches: patch("prod") }),
      kustomization("configs", "apps/media/base", { file: "clusters/staging/infra.yaml", patches: patch("staging") }),
    ];
    const [unit, ...rest] = locateUnits(folder(["base"]), "apps/media", own);
    expect(rest).toEqual([]);
    expect([unit!.devDir, unit!.patches, unit!.kustomizations.map((k) => k.file)]).toEqual([
      "overlays/dev",
      patch("prod"),
      ["clusters/production/infra.yaml", "clusters/staging/infra.yaml"],
    ]);
  });

  it("gives each app's Kustomization its own overlay, and tells apart two of one name", () => {
    const own = [
      kustomization("sonarr", "apps/media/sonarr/app"),
      kustomization("radarr", "apps/media/radarr/app"),
      kustomization("sonarr", "apps/media/sonarr/config", { namespace: "apps" }),
    ];
    expect(summary(locateUnits(folder(["sonarr/app", "radarr/app", "sonarr/config"]), "apps/media", own))).toEqual([
      ["sonarr", "sonarr/app", "overlays/dev/sonarr", ["sonarr"]],
      ["radarr", "radarr/app", "overlays/dev/radarr", ["radarr"]],
      ["apps-sonarr", "sonarr/config", "overlays/dev/apps-sonarr", ["sonarr"]],
    ]);
  });

  it("builds one path twice when its Kustomizations add different components", () => {
    const own = [
      kustomization("a", "apps/media/app"),
      kustomization("b", "apps/media/app", { components: ["../../components/x"] }),
    ];
    expect(summary(locateUnits(folder(["app"]), "apps/media", own)).map(([name, , devDir]) => [name, devDir])).toEqual([
      ["a", "overlays/dev/a"],
      ["b", "overlays/dev/b"],
    ]);
  });

  it("puts a flat folder's overlays beside it, with or without kustomization.yaml: Flux would take in a folder below one it generates a kustomization for", () => {
    expect(summary(locateUnits(folder(["."]), "apps/media", [kustomization("media", "apps/media")]))).toEqual([
      ["media", ".", "../media-dev", ["media"]],
    ]);
    expect(summary(locateUnits(folder([]), "apps/media", [kustomization("media", "apps/media")]))).toEqual([
      ["media", ".", "../media-dev", ["media"]],
    ]);
  });

  it("gives a Flux path without kustomization.yaml below the folder overlays/dev, which that path does not hold", () => {
    expect(
      summary(locateUnits(folder(["base"]), "apps/media", [kustomization("media", "apps/media/overlays/prod")])),
    ).toEqual([["media", "overlays/prod", "overlays/dev", ["media"]]]);
  });

  it("builds a path once per set of images and commonMetadata, which it adds as Flux does", () => {
    const labelled = { commonMetadata: { labels: { "app.kubernetes.io/part-of": "media" } } };
    const own = [
      kustomization("a", "apps/media/app", { images: [{ name: "nginx", newTag: "1.27" }] }),
      kustomization("b", "apps/media/app", labelled),
    ];
    const [a, b] = locateUnits(folder(["app"]), "apps/media", own);
    expect([a!.images, a!.patches]).toEqual([[{ name: "nginx", newTag: "1.27" }], []]);
    // On every object's metadata, never on a pod template: a patch of metadata on all objects.
    expect(b!.patches).toEqual([
      {
        patch: "apiVersion: v1\nkind: Any\nmetadata:\n  name: any\n  labels:\n    app.kubernetes.io/part-of: media\n",
        target: { name: ".*" },
        from: "spec.commonMetadata",
      },
    ]);
  });

  it("refuses a Kustomization that renames what it applies: Tilt would apply copies under the old names", () => {
    expect(() =>
      locateUnits(folder(["app"]), "apps/media", [kustomization("media", "apps/media/app", { namePrefix: "prod-" })]),
    ).toThrow(
      "Flux Kustomization media (clusters/a/media.yaml) renames what it applies (spec.namePrefix/nameSuffix), which the dev overlays do not reproduce: Tilt would apply copies under the old names",
    );
  });
});

describe("applyingKustomizations and the units of a folder inside a Flux path, or holding others' paths", () => {
  const monitoring = kustomization("monitoring", "monitoring");
  const root = kustomization("flux-system", "");

  it("takes an app folder inside a path as part of the deepest path's build, suspended, and its overlays beside that path", () => {
    const { own, ancestors } = applyingKustomizations(folder([]), "monitoring/kube-prometheus-stack", [
      root,
      monitoring,
    ]);
    expect([own, ancestors]).toEqual([[monitoring], [root]]);
    const [unit, ...rest] = locateUnits(folder([]), "monitoring/kube-prometheus-stack", own, { ancestors });
    expect(rest).toEqual([]);
    expect([unit!.path, unit!.only, unit!.devDir]).toEqual([
      "..",
      "monitoring/kube-prometheus-stack",
      "../../monitoring-dev/kube-prometheus-stack",
    ]);
  });

  it("runs the Kustomizations whose paths a Flux path holds, its own left to apply theirs, with overlays beside it", () => {
    const apps = kustomization("apps", "apps/media");
    const sonarr = kustomization("sonarr", "apps/media/sonarr/app");
    const radarr = kustomization("radarr", "apps/media/radarr/app");
    const { own, ancestors } = applyingKustomizations(folder([]), "apps/media", [apps, sonarr, radarr]);
    expect([own.map((k) => k.name), ancestors.map((k) => k.name)]).toEqual([["sonarr", "radarr"], ["apps"]]);
    expect(summary(locateUnits(folder([]), "apps/media", own, { ancestors }))).toEqual([
      ["sonarr", "sonarr/app", "../media-dev/sonarr", ["sonarr"]],
      ["radarr", "radarr/app", "../media-dev/radarr", ["radarr"]],
    ]);
  });

  it("keeps base/ for a folder of its own inside a path, and refuses one in no path naming folders that work", () => {
    expect(applyingKustomizations(folder(["base"]), "monitoring/x", [monitoring]).own).toEqual([]);
    expect(() =>
      locateUnits(folder([]), "scripts/ci", [], { offered: ["apps/media", "apps/tools", "monitoring"] }),
    ).toThrow(
      "scripts/ci has no base/kustomization.yaml and lies in no Flux Kustomization's path: scaffold monitoring or apps/media, which the picker offers",
    );
  });

  it("suggests folders below this one first, else below the nearest folder above it holding some", () => {
    const offered = ["apps/production", "apps/staging", "infrastructure/controllers"];
    expect(suggest("apps/base/podinfo", offered)).toBe(
      ": scaffold apps/production or apps/staging, which the picker offers",
    );
    expect(suggest("infrastructure", offered)).toBe(": scaffold infrastructure/controllers, which the picker offers");
    expect(suggest("x", [])).toBe("");
  });
});
