import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  findFluxKustomizations,
  kustomizationsSweeping,
  matchNamespaceKustomizations,
  readingThisRepository,
  missingVariables,
  resolveVariables,
} from "../../helpers/repository/flux.ts";
import type { RepoObject } from "../../helpers/repository/files.ts";
import { scanRepository } from "../../helpers/repository/scan.ts";
import { FIXTURES_DIR, haveFixtures } from "../support/fixtures.ts";

function ks(name: string, spec: Record<string, unknown>, file = `clusters/c/${name}.yaml`): RepoObject {
  return {
    file,
    object: {
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: { name, namespace: "flux-system" },
      spec,
    },
  };
}

describe("findFluxKustomizations", () => {
  it("normalises spec.path and ignores kustomize's own Kustomization kind", () => {
    const found = findFluxKustomizations([
      ks("apps", { path: "./apps/media/overlays/prod/" }),
      ks("root", { path: "./" }),
      {
        file: "apps/media/base/kustomization.yaml",
        object: { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", metadata: { name: "x" } },
      },
    ]);
    expect(found.map((k) => [k.name, k.path])).toEqual([
      ["apps", "apps/media/overlays/prod"],
      ["root", ""],
    ]);
  });

  it("takes the spec.ignore of the GitRepository a Kustomization reads, and of no other", () => {
    const git = (name: string, ignore?: string): RepoObject => ({
      file: "clusters/c/git.yaml",
      object: {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "GitRepository",
        metadata: { name, namespace: "flux-system" },
        spec: { url: "https://example.com/x.git", ...(ignore && { ignore }) },
      },
    });
    const found = findFluxKustomizations([
      git("flux-system", "/*\n!/deploy\n"),
      git("other"),
      ks("apps", { path: "./deploy", sourceRef: { kind: "GitRepository", name: "flux-system" } }),
      ks("tenant", { path: "./deploy", sourceRef: { kind: "GitRepository", name: "other" } }),
    ]);
    expect(found.map((k) => [k.name, k.sourceIgnore])).toEqual([
      ["apps", "/*\n!/deploy\n"],
      ["tenant", undefined],
    ]);
  });

  it("reads what Flux adds to the build: images, commonMetadata, a name prefix", () => {
    const [k] = findFluxKustomizations([
      ks("apps", {
        path: "apps",
        images: [{ name: "nginx", newTag: 1.27, digest: "" }],
        commonMetadata: { annotations: { team: "media" } },
        namePrefix: "prod-",
      }),
    ]);
    expect([k!.images, k!.commonMetadata, k!.namePrefix, k!.nameSuffix]).toEqual([
      [{ name: "nginx", newTag: "1.27" }],
      { annotations: { team: "media" } },
      "prod-",
      undefined,
    ]);
  });
});

describe("matchNamespaceKustomizations", () => {
  const all = findFluxKustomizations([
    ks("media", { path: "./apps/media/overlays/prod" }),
    ks("media-base", { path: "apps/media/base" }),
    ks("mediaserver", { path: "./apps/mediaserver" }),
    ks("apps", { path: "./apps" }),
    ks("flux-system", { path: "./clusters/c" }),
  ]);

  it("takes the folder, its base and its overlays; an ancestor path is reported apart", () => {
    const { own, ancestors } = matchNamespaceKustomizations("apps/media", all);
    expect(own.map((k) => k.name)).toEqual(["media", "media-base"]);
    expect(ancestors.map((k) => k.name)).toEqual(["apps"]);
  });

  it("finds none for a folder no Kustomization points at", () => {
    expect(matchNamespaceKustomizations("apps/other", all).own).toEqual([]);
  });
});

describe("kustomizationsSweeping", () => {
  function tree(withKustomizationAt: string[]): string {
    const root = mkdtempSync(path.join(os.tmpdir(), "sweep-"));
    mkdirSync(path.join(root, "apps/media/overlays/dev"), { recursive: true });
    for (const dir of withKustomizationAt) writeFileSync(path.join(root, dir, "kustomization.yaml"), "resources: []\n");
    return root;
  }

  it("flags a Flux path without kustomization.yaml above overlays/dev", () => {
    const root = tree([]);
    const all = findFluxKustomizations([ks("media", { path: "./apps/media" })]);
    expect(kustomizationsSweeping(root, "apps/media/overlays/dev", all).map((k) => k.name)).toEqual(["media"]);
  });

  it("accepts a path whose kustomization.yaml decides what Flux applies", () => {
    const root = tree(["apps/media"]);
    const all = findFluxKustomizations([ks("media", { path: "./apps/media" }), ks("apps", { path: "./apps" })]);
    expect(kustomizationsSweeping(root, "apps/media/overlays/dev", all)).toEqual([]);
  });

  it("accepts a folder that a .sourceignore of the path, or of a folder on the way, leaves out", () => {
    const all = findFluxKustomizations([ks("media", { path: "./apps/media" })]);
    const root = tree([]);
    writeFileSync(path.join(root, "apps/media/.sourceignore"), "/overlays/dev/\n");
    expect(kustomizationsSweeping(root, "apps/media/overlays/dev", all)).toEqual([]);
    const other = tree([]);
    writeFileSync(path.join(other, "apps/media/overlays/.sourceignore"), "*\n!prod/\n");
    expect(kustomizationsSweeping(other, "apps/media/overlays/dev", all)).toEqual([]);
    writeFileSync(path.join(other, "apps/media/overlays/.sourceignore"), "prod/\n");
    expect(kustomizationsSweeping(other, "apps/media/overlays/dev", all).map((k) => k.name)).toEqual(["media"]);
  });

  it("flags a Flux path that is overlays/dev itself", () => {
    const root = tree(["apps/media", "apps/media/overlays/dev"]);
    const all = findFluxKustomizations([ks("dev", { path: "./apps/media/overlays/dev" })]);
    expect(kustomizationsSweeping(root, "apps/media/overlays/dev", all).map((k) => k.name)).toEqual(["dev"]);
  });
});

describe("readingThisRepository", () => {
  const git = (name: string, namespace: string, url: string, branch: string) => ({
    name,
    namespace,
    url,
    branch,
    ref: { branch },
  });
  const all = findFluxKustomizations([
    ks("flux-system", { path: "./clusters/c", sourceRef: { kind: "GitRepository", name: "flux-system" } }),
    ks("apps", { path: "./apps", sourceRef: { kind: "GitRepository", name: "flux-system" } }),
    ks("mirror", { path: "./infra", sourceRef: { kind: "GitRepository", name: "same-repo" } }),
    ks("tenant", { path: "./", sourceRef: { kind: "GitRepository", name: "tenant" } }),
    ks("controller", { path: "./", sourceRef: { kind: "OCIRepository", name: "controller" } }),
    ks("copied", { path: "./apps", sourceRef: { kind: "ExternalArtifact", name: "apps" } }),
    ks("patch", { path: "./staging" }),
  ]);

  it("keeps those reading the GitRepository most read, one of the same URL and ref, one it does not define, and ExternalArtifacts", () => {
    const sources = [
      git("flux-system", "flux-system", "https://git.example/ops", "main"),
      git("same-repo", "flux-system", "https://git.example/ops", "main"),
      git("tenant", "flux-system", "https://git.example/ops", "tenant"),
    ];
    expect(readingThisRepository(all, sources).map((k) => k.name)).toEqual(["flux-system", "apps", "mirror", "copied"]);
  });

  it("takes a GitRepository it defines for another one when its own is not defined, and every one when none reads a GitRepository", () => {
    expect(
      readingThisRepository(all, [git("tenant", "flux-system", "https://git.example/ops", "tenant")]).map(
        (k) => k.name,
      ),
    ).toEqual(["flux-system", "apps", "mirror", "copied"]);
    const oci = all.filter((k) => k.sourceRef.kind === "OCIRepository");
    expect(readingThisRepository(oci, [])).toEqual(oci);
  });
});

describe("resolveVariables", () => {
  const settings: RepoObject = {
    file: "clusters/c/settings.yaml",
    object: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: "flux-system" },
      data: { DOMAIN: "a.example", TZ: "UTC" },
    },
  };
  const overrides: RepoObject = {
    file: "clusters/c/overrides.yaml",
    object: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "overrides", namespace: "flux-system" },
      data: { TZ: "Europe/Berlin" },
    },
  };
  const secret: RepoObject = {
    file: "clusters/c/secret.yaml",
    object: {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "creds", namespace: "flux-system" },
      stringData: { TOKEN: "s3cret" },
    },
  };

  it("applies substituteFrom in order, substitute on top, and keeps Secret values out", () => {
    const [k] = findFluxKustomizations([
      ks("media", {
        path: "./apps/media",
        postBuild: {
          substitute: { DOMAIN: "b.example" },
          substituteFrom: [
            { kind: "ConfigMap", name: "settings" },
            { kind: "ConfigMap", name: "overrides" },
            { kind: "Secret", name: "creds" },
            { kind: "ConfigMap", name: "missing" },
            { kind: "ConfigMap", name: "absent-ok", optional: true },
          ],
        },
      }),
    ]);
    const { variables, unresolved } = resolveVariables(k!, [settings, overrides, secret]);
    expect(variables).toEqual([
      { name: "DOMAIN", value: "b.example", secret: false, source: "substitute" },
      { name: "TOKEN", secret: true, source: "Secret/creds" },
      { name: "TZ", value: "Europe/Berlin", secret: false, source: "ConfigMap/overrides" },
    ]);
    expect(unresolved).toEqual(["ConfigMap/missing"]);
  });
});

describe("missingVariables", () => {
  it("names unset variables but not escapes or ones with defaults", () => {
    const text = "a: ${DOMAIN}\nb: $${HOME}\nc: ${PORT:=80}\nd: ${MODE:-dev}\ne: ${UNSET}\nf: ${UNSET}";
    expect(missingVariables(text, new Set(["DOMAIN"]))).toEqual(["UNSET"]);
  });
});

describe("Kustomizations of an ExternalArtifact", () => {
  it.runIf(haveFixtures())(
    "resolve to the repository folders their cluster's ArtifactGenerator copies (Flux's own example)",
    async () => {
      const repo = await scanRepository(
        path.join(FIXTURES_DIR, "flux2-kustomize-helm-example"),
        path.join(FIXTURES_DIR, "flux2-kustomize-helm-example"),
      );
      expect(repo.kustomizations.map((k) => `${k.file} ${k.path}`)).toEqual([
        "clusters/production/apps.yaml apps/production",
        "clusters/production/infrastructure.yaml infrastructure/configs",
        "clusters/production/infrastructure.yaml infrastructure/controllers",
        "clusters/staging/apps.yaml apps/staging",
        "clusters/staging/infrastructure.yaml infrastructure/configs",
        "clusters/staging/infrastructure.yaml infrastructure/controllers",
      ]);
      expect(repo.root).toBe(path.join(FIXTURES_DIR, "flux2-kustomize-helm-example"));
    },
  );
});
