// scanRepository: where Flux paths resolve, and which folders a user can scaffold.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkFolder, scanRepository } from "../../helpers/repository/scan.ts";

/** A repository outside git, written from `files` (path → text). */
function repository(files: Record<string, string>): string {
  const top = mkdtempSync(path.join(os.tmpdir(), "scan-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(top, file)), { recursive: true });
    writeFileSync(path.join(top, file), text);
  }
  return top;
}

const ks = (name: string, spec: string) =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: ${name}, namespace: flux-system}\nspec: {interval: 1h, prune: true, sourceRef: {kind: GitRepository, name: flux-system}, ${spec}}\n`;
const KUSTOMIZATION = "resources: []\n";

describe("scanRepository", () => {
  it("finds base/ folders, flat Flux paths, app folders and their namespace, and a path running others' of one namespace; not a cluster's entry point", async () => {
    const top = repository({
      // The cluster's entry point applies itself and Kustomizations of paths outside it.
      "clusters/home/kustomization.yaml": "resources: [apps.yaml, media.yaml, flat.yaml]\n",
      "clusters/home/flux.yaml": ks("flux-system", "path: ./clusters/home"),
      "clusters/home/apps.yaml": ks("apps", "path: ./kubernetes/apps"),
      "clusters/home/media.yaml": ks("media", "path: ./apps/media/overlays/prod"),
      "clusters/home/flat.yaml": ks("tools", "path: ./apps/tools"),
      "apps/media/base/kustomization.yaml": KUSTOMIZATION,
      "apps/media/overlays/prod/kustomization.yaml": KUSTOMIZATION,
      "apps/tools/kustomization.yaml": KUSTOMIZATION,
      "apps/unmanaged/base/kustomization.yaml": KUSTOMIZATION,
      // kubernetes/apps has no kustomization.yaml: Flux generates one, which applies the Kustomizations of apps all in default.
      "kubernetes/apps/default/kustomization.yaml": "resources: [echo/ks.yaml]\n",
      "kubernetes/apps/default/echo/ks.yaml": ks(
        "echo",
        "path: ./kubernetes/apps/default/echo/app, targetNamespace: default",
      ),
      "kubernetes/apps/default/echo/app/kustomization.yaml": KUSTOMIZATION,
    });
    const repo = await scanRepository(path.join(top, "apps/media"), top);
    expect(repo.root).toBe(top);
    expect(repo.namespaceFolders).toEqual([
      "apps/media",
      "apps/tools",
      "apps/unmanaged",
      "kubernetes/apps",
      "kubernetes/apps/default",
      "kubernetes/apps/default/echo",
    ]);
    expect(repo.kustomizations.map((k) => [k.name, k.path, k.file])).toEqual(
      [
        ["apps", "kubernetes/apps", "clusters/home/apps.yaml"],
        ["tools", "apps/tools", "clusters/home/flat.yaml"],
        ["flux-system", "clusters/home", "clusters/home/flux.yaml"],
        ["media", "apps/media/overlays/prod", "clusters/home/media.yaml"],
        ["echo", "kubernetes/apps/default/echo/app", "kubernetes/apps/default/echo/ks.yaml"],
      ].sort((a, b) => a[2]!.localeCompare(b[2]!)),
    );
  });

  it("offers the folders of kustomizations right below a Flux path, and no path running others' of several namespaces", async () => {
    const top = repository({
      "clusters/home/apps.yaml": ks("apps", "path: ./kubernetes/apps"),
      "clusters/home/monitoring.yaml": ks("monitoring", "path: ./monitoring"),
      "monitoring/kube-prometheus-stack/kustomization.yaml": KUSTOMIZATION,
      "monitoring/whoami/kustomization.yaml": KUSTOMIZATION,
      "monitoring/loose/podmonitor.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loose}\n",
      "kubernetes/apps/default/kustomization.yaml": "resources: [echo/ks.yaml]\n",
      "kubernetes/apps/default/echo/ks.yaml": ks(
        "echo",
        "path: ./kubernetes/apps/default/echo/app, targetNamespace: default",
      ),
      "kubernetes/apps/default/echo/app/kustomization.yaml": KUSTOMIZATION,
      "kubernetes/apps/media/kustomization.yaml": "resources: [sonarr/ks.yaml]\n",
      "kubernetes/apps/media/sonarr/ks.yaml": ks(
        "sonarr",
        "path: ./kubernetes/apps/media/sonarr/app, targetNamespace: media",
      ),
      "kubernetes/apps/media/sonarr/app/kustomization.yaml": KUSTOMIZATION,
    });
    const repo = await scanRepository(path.join(top, "monitoring"), top);
    expect(repo.namespaceFolders).toEqual([
      "kubernetes/apps/default",
      "kubernetes/apps/default/echo",
      "kubernetes/apps/media",
      "kubernetes/apps/media/sonarr",
      "monitoring",
      "monitoring/kube-prometheus-stack",
      "monitoring/whoami",
    ]);
  });

  it("resolves Flux paths from the folder they exist under: a repository inside a bigger tree", async () => {
    const top = repository({
      "gitops/clusters/home/media.yaml": ks("media", "path: ./apps/media/base"),
      "gitops/apps/media/base/kustomization.yaml": KUSTOMIZATION,
      "notes/readme.yaml": "a: 1\n",
    });
    const repo = await scanRepository(path.join(top, "gitops/apps/media"), top);
    expect(repo.root).toBe(path.join(top, "gitops"));
    expect(repo.namespaceFolders).toEqual(["apps/media"]);
    expect(repo.yamlFiles.sort()).toEqual(["apps/media/base/kustomization.yaml", "clusters/home/media.yaml"]);
  });

  it("keeps the ConfigMaps and Secrets substituteFrom may name, and no other object", async () => {
    const top = repository({
      "clusters/home/vars.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vars, namespace: flux-system}\ndata: {DOMAIN: example.org}\n",
      "apps/media/base/kustomization.yaml": KUSTOMIZATION,
      "apps/media/base/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
    });
    const repo = await scanRepository(path.join(top, "apps/media"), top);
    expect(
      repo.objects.map((o) => [
        o.file,
        (o as { kind?: string }).kind ?? (o as { object?: { kind?: string } }).object?.kind,
      ]),
    ).toEqual([["clusters/home/vars.yaml", "ConfigMap"]]);
  });

  it("refuses a folder at the file system's root", async () => {
    await expect(scanRepository("/x", "/")).rejects.toThrow(
      /\/x is not in a git repository, nor below a folder of Flux manifests/,
    );
  });

  it("reads each Kustomization as its parent applies it: in the namespace a kustomization.yaml on the way gives it, with the parent's patches", async () => {
    // The community layout: ks.yaml files without a namespace, each namespace folder's kustomization.yaml naming one.
    const child = (name: string) => ks(name, `path: ./kubernetes/apps/${name}`).replace(", namespace: flux-system", "");
    const patch =
      "{patch: '{apiVersion: kustomize.toolkit.fluxcd.io/v1, kind: Kustomization, metadata: {name: _}, spec: {timeout: 10m}}', target: {kind: Kustomization}}";
    const top = repository({
      "clusters/home/apps.yaml": ks("cluster-apps", `path: ./kubernetes/apps, patches: [${patch}]`),
      "kubernetes/apps/media/kustomization.yaml": "namespace: media\nresources: [sonarr/ks.yaml]\n",
      "kubernetes/apps/media/sonarr/ks.yaml": child("sonarr"),
      // The same name in another namespace folder: each file keeps its own namespace.
      "kubernetes/apps/books/kustomization.yaml": "namespace: books\nresources: [sonarr/ks.yaml]\n",
      "kubernetes/apps/books/sonarr/ks.yaml": child("sonarr"),
      // A plain file of the folder Flux generates a kustomization for: taken in as written.
      "kubernetes/apps/loose.yaml": child("loose"),
    });
    const repo = await scanRepository(top, top);
    expect(repo.kustomizations.map((k) => [k.file, `${k.namespace}/${k.name}`])).toEqual([
      ["clusters/home/apps.yaml", "flux-system/cluster-apps"],
      ["kubernetes/apps/books/sonarr/ks.yaml", "books/sonarr"],
      ["kubernetes/apps/loose.yaml", "flux-system/loose"],
      ["kubernetes/apps/media/sonarr/ks.yaml", "media/sonarr"],
    ]);
    const spec = (file: string) =>
      repo.objects.find((o) => o.file === file && o.object.kind === "Kustomization")!.object.spec;
    expect([
      spec("kubernetes/apps/media/sonarr/ks.yaml")!.timeout,
      spec("kubernetes/apps/loose.yaml")!.timeout,
    ]).toEqual(["10m", undefined]);
  });
});

describe("checkFolder", () => {
  it("returns the real path of a folder and refuses what cannot be a namespace folder", () => {
    const top = repository({ "apps/media/base/kustomization.yaml": KUSTOMIZATION, "apps/file.yaml": "a: 1\n" });
    const outside = repository({ "elsewhere/x.yaml": "a: 1\n" });
    symlinkSync(path.join(outside, "elsewhere"), path.join(top, "apps/link"));
    expect(checkFolder("apps/media", top)).toBe(path.join(top, "apps/media"));
    expect(checkFolder("apps/../apps/media", top)).toBe(path.join(top, "apps/media"));
    expect(() => checkFolder("apps/missing", top)).toThrow(`folder ${path.join(top, "apps/missing")} does not exist`);
    expect(() => checkFolder("apps/file.yaml", top)).toThrow(/is not a directory$/);
    expect(() => checkFolder("apps/link", top)).toThrow(
      /^apps\/link is a symlink to .*, outside the repository: name the folder itself$/,
    );
  });
});
