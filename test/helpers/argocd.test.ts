// Argo CD Applications read from the repository, from in-memory objects.
import { describe, expect, it } from "vitest";
import { findApplications, sameRepository } from "../../helpers/repository/argocd.ts";
import type { KubeObject } from "../../helpers/repository/manifests.ts";

const application = (name: string, spec: Record<string, unknown>, namespace?: string) => ({
  file: `argocd/${name}.yaml`,
  object: {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name, ...(namespace && { namespace }) },
    spec,
  } as KubeObject,
});
const REMOTE = "git@github.com:example/homelab.git";

describe("sameRepository", () => {
  it("takes ssh, scp-like and https spellings of one repository as the same, and another repository as another", () => {
    for (const url of [
      "https://github.com/example/homelab",
      "ssh://git@github.com/example/homelab.git",
      "https://github.com/Example/homelab.git/",
    ])
      expect(sameRepository(REMOTE, url), url).toBe(true);
    expect(sameRepository(REMOTE, "https://github.com/example/catalyst-ui.git")).toBe(false);
    expect(sameRepository("http://127.0.0.1:8080/repo.git", "http://127.0.0.1:8080/repo")).toBe(true);
  });
});

describe("findApplications", () => {
  it("finds the path each Application deploys from this repository, and whether its automated sync is on", () => {
    const apps = findApplications(
      [
        application(
          "demo",
          {
            source: { repoURL: "https://github.com/example/homelab", path: "./apps/demo/", targetRevision: "main" },
            destination: { namespace: "demo" },
            syncPolicy: { automated: { prune: true } },
          },
          "platform",
        ),
        application("manual", { source: { repoURL: REMOTE, path: "apps/manual" } }),
        application("off", {
          source: { repoURL: REMOTE, path: "apps/off" },
          syncPolicy: { automated: { enabled: false } },
        }),
        application("elsewhere", { source: { repoURL: "https://github.com/example/catalyst-ui.git", path: "k8s" } }),
      ],
      [REMOTE],
    );
    expect(apps).toEqual([
      {
        name: "demo",
        namespace: "platform",
        file: "argocd/demo.yaml",
        path: "apps/demo",
        targetRevision: "main",
        destinationNamespace: "demo",
        automated: true,
      },
      { name: "manual", namespace: "argocd", file: "argocd/manual.yaml", path: "apps/manual", automated: false },
      { name: "off", namespace: "argocd", file: "argocd/off.yaml", path: "apps/off", automated: false },
    ]);
  });

  it("says what of a source Tilt would not build as Argo CD does", () => {
    const apps = findApplications(
      [
        application("chart", {
          source: { repoURL: REMOTE, path: "charts/app", helm: { valueFiles: ["values.yaml"] } },
        }),
        application("prefixed", { source: { repoURL: REMOTE, path: "apps/x", kustomize: { namePrefix: "dev-" } } }),
        application("multi", {
          sources: [
            { repoURL: REMOTE, path: "apps/y" },
            { repoURL: REMOTE, ref: "values" },
          ],
        }),
      ],
      [REMOTE],
    );
    expect(apps.map((a) => [a.name, a.unsupported])).toEqual([
      ["chart", "its source is a Helm chart with Argo CD's helm values"],
      ["prefixed", "its source sets kustomize options (namePrefix) that Argo CD adds to the build"],
      ["multi", "it has several sources, which Argo CD renders together"],
    ]);
  });
});
