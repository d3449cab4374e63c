// Inspection on in-memory builds: Flux's substitution, the namespace, resources and the names they get.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { FluxKustomization } from "../../helpers/repository/flux.ts";
import type { Repository } from "../../helpers/repository/scan.ts";
import {
  inspectNamespace,
  parseNamespace,
  type BuiltNamespace,
  type InspectOptions,
} from "../../helpers/namespace/inspect.ts";
import type { LocatedUnit } from "../../helpers/namespace/units.ts";

const ROOT = mkdtempSync(path.join(os.tmpdir(), "inspect-"));

function kustomization(name: string, extra: Partial<FluxKustomization> = {}): FluxKustomization {
  return {
    name,
    namespace: "flux-system",
    file: `clusters/home/${name}.yaml`,
    path: `apps/${name}/base`,
    suspend: false,
    dependsOn: [],
    sourceRef: { kind: "GitRepository", name: "flux-system", namespace: "flux-system" },
    ...extra,
  };
}

function repository(kustomizations: FluxKustomization[]): Repository {
  return {
    root: ROOT,
    kustomizations,
    gitRepositories: [
      { name: "flux-system", namespace: "flux-system", url: "ssh://git@example.org/home.git", branch: "main" },
    ],
    applications: [],
    objects: [],
    namespaceFolders: [],
    yamlFiles: [],
  };
}

/** The folder apps/<name> built by `own` (one unit each), with `built` as kustomize's output per unit. */
function built(name: string, own: FluxKustomization[], builds: string[]): BuiltNamespace {
  const units: LocatedUnit[] = own.map((k, index) => ({
    name: k.name,
    path: index === 0 ? "base" : `app-${index}`,
    kustomizations: [k],
    applications: [],
    components: [],
    patches: [],
    images: [],
    targetNamespace: k.targetNamespace,
    devDir: own.length > 1 ? `overlays/dev/${k.name}` : "overlays/dev",
  }));
  return {
    folder: path.join(ROOT, "apps", name),
    folderInRepo: `apps/${name}`,
    own,
    ancestors: [],
    applications: [],
    units,
    built: builds,
  };
}

function inspect(namespace: BuiltNamespace, options: InspectOptions = {}) {
  const repo = repository(namespace.own);
  return inspectNamespace(parseNamespace(namespace, repo), repo, options).model;
}

const APP = `
apiVersion: v1
kind: Namespace
metadata: {name: media}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: \${APP}
  namespace: media
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: media}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
`;

describe("inspection", () => {
  it("names objects as Flux substitutes them, forwards the Service's port and applies the Namespace first", () => {
    const k = kustomization("media", { postBuild: { substitute: { APP: "sonarr" }, substituteFrom: [] } });
    const model = inspect(built("media", [k], [APP]));
    expect(model.namespace).toBe("media");
    expect(model.resources.map((r) => [r.name, r.resourceDeps])).toEqual([
      ["sonarr", ["media-namespace"]],
      ["media-namespace", []],
    ]);
    expect(model.resources[0]!.portForwards).toEqual([
      expect.objectContaining({ containerPort: 8080, service: "web" }),
    ]);
    expect(model.builds[0]).toMatchObject({
      substitutes: true,
      missingVariables: [],
      kustomizations: ["flux-system/media"],
    });
    expect(model.flux).toMatchObject({ toSuspend: ["flux-system/media"], branch: "main" });
  });

  it("lists a variable defined nowhere, which Flux makes empty", () => {
    const k = kustomization("media", { postBuild: { substitute: {}, substituteFrom: [] } });
    const model = inspect(built("media", [k], [APP]));
    expect(model.builds[0]!.missingVariables).toEqual(["APP"]);
  });

  it("refuses, naming the build, a Flux function it does not evaluate where Flux substitutes, not where it does not", () => {
    const k = kustomization("media", { postBuild: { substitute: { APP: "sonarr" }, substituteFrom: [] } });
    const upper = APP.replace("${APP}", "${APP^^}");
    expect(() => inspect(built("media", [k], [upper]))).toThrow(
      "kustomize build of apps/media/base: ${APP^^} uses a Flux substitution function that tilt_lib does not evaluate",
    );
    const unsubstituted = kustomization("media");
    expect(inspect(built("media", [unsubstituted], [upper])).resources.map((r) => r.name)).toContain("${APP^^}");
  });

  it("lands in the targetNamespace, and suspends only what git does not already suspend", () => {
    const own = [
      kustomization("a", { targetNamespace: "shared" }),
      kustomization("b", { targetNamespace: "shared", suspend: true }),
    ];
    const cm = (name: string) => `{apiVersion: v1, kind: ConfigMap, metadata: {name: ${name}}}`;
    const model = inspect(built("apps", own, [cm("one"), cm("two")]));
    expect(model.namespace).toBe("shared");
    expect(model.flux.toSuspend).toEqual(["flux-system/a"]);
    expect(model.resources.map((r) => [r.name, r.objects])).toEqual([
      ["apps-config", ["one:configmap", "two:configmap"]],
    ]);
  });

  it("takes the parent folder's name when another folder has this one's", () => {
    const model = inspect(built("media", [kustomization("media")], [APP.replace("${APP}", "web")]), {
      takenNames: ["media"],
    });
    expect([model.name, model.suspendResource]).toEqual(["apps-media", "apps-media-flux-suspend"]);
    expect(model.resources.map((r) => r.name)).toContain("apps-media-namespace");
  });

  it("refuses an object two Flux builds apply, and a folder deploying into two target namespaces", () => {
    const cm = "{apiVersion: v1, kind: ConfigMap, metadata: {name: same, namespace: media}}";
    expect(() => inspect(built("media", [kustomization("a"), kustomization("b")], [cm, cm]))).toThrow(
      "ConfigMap same is built by both a and b: Flux would apply it twice",
    );
    const own = [kustomization("a", { targetNamespace: "one" }), kustomization("b", { targetNamespace: "two" })];
    expect(() => inspect(built("media", own, ["", ""]))).toThrow(
      "apps/media deploys into one and two (targetNamespace): scaffold each app folder on its own",
    );
  });

  it("refuses a namespace name Kubernetes rejects", () => {
    expect(() =>
      inspect(
        built("media", [kustomization("media")], ["{apiVersion: v1, kind: Namespace, metadata: {name: Media_1}}"]),
      ),
    ).toThrow('namespace "Media_1" is not a valid DNS-1123 label');
  });
});
