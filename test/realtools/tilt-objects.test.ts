// Objects several resources use, and names with colons, in the real Tilt: the generated Tiltfile
// loads with every object in exactly one resource, and the generator's check (tilt-objects.ts)
// refuses exactly what Tilt refuses.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { NamespaceModel, TiltResource } from "../../helpers/namespace/model.ts";
import { renderNamespace } from "../../helpers/namespace/render.ts";
import { tiltObjectsProblem, type Storage } from "../../helpers/namespace/tilt-objects.ts";
import type { KubeObject } from "../../helpers/repository/manifests.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { kubeconfig, tiltfileResult, type TiltManifest } from "../support/tiltfile.ts";

const ready = requireRealTools("Tilt objects suite", ["tilt"]);

const deployment = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: nginx, envFrom: [{configMapRef: {name: settings}}]}]}
`;
const release = (name: string) => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: ${name}}
spec:
  interval: 1h
  chart: {spec: {chart: ${name}, version: 1.0.0, sourceRef: {kind: HelmRepository, name: grafana-charts}}}
  valuesFrom: [{kind: ConfigMap, name: common-values}]
`;
const FILES: Record<string, string> = {
  "clusters/homelab/shared.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: shared, namespace: flux-system}
spec: {interval: 1h, path: ./apps/shared, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
`,
  "apps/shared/kustomization.yaml":
    "namespace: shared\nresources: [namespace.yaml, sources.yaml, releases.yaml, workloads.yaml, rbac.yaml]\n",
  "apps/shared/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shared}\n",
  // Nothing answers on port 1: the charts are not rendered, the tooling is written anyway.
  "apps/shared/sources.yaml": `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: grafana-charts}
spec: {interval: 1h, url: "http://127.0.0.1:1/charts"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: common-values}
data: {values.yaml: "replicas: 1"}
`,
  "apps/shared/releases.yaml": `${release("loki")}---\n${release("promtail")}`,
  "apps/shared/workloads.yaml": `${deployment("api")}---\n${deployment("worker")}---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {LEVEL: info}
`,
  "apps/shared/rbac.yaml": `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "kubevirt.io:operator"}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "kubevirt.io:operator"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "kubevirt.io:operator"}
subjects: [{kind: ServiceAccount, name: default, namespace: shared}]
`,
};

const MODES = [
  { storage: "live", current: "homelab", args: [] },
  { storage: "local-path", current: "kind-dev", args: [] },
  { storage: "dev-claims", current: "homelab", args: ["--storage=local-path"] },
] as const;

function objectsOf(manifests: TiltManifest[]): KubeObject[] {
  return manifests
    .flatMap((m) => parseAllDocuments(m.DeployTarget?.yaml ?? "").map((doc) => doc.toJS() as KubeObject | null))
    .filter((o): o is KubeObject => o !== null);
}

/** The objects of each Tilt resource, as `Kind/name`. */
function holdings(manifests: TiltManifest[]): Record<string, string[]> {
  return Object.fromEntries(
    manifests
      .filter((m) => m.DeployTarget?.yaml)
      .map((m) => [
        m.Name,
        objectsOf([m])
          .map((o) => `${o.kind}/${o.metadata.name}`)
          .sort(),
      ]),
  );
}

describe.runIf(ready)("objects several resources use, and names with colons, in the real Tilt", () => {
  let dir: string;
  let model: NamespaceModel;
  let generated: string;
  /** What Tilt gets to share out with each storage: the objects of the generated Tiltfile. */
  const built = new Map<Storage, KubeObject[]>();
  beforeAll(async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "shared-objects-"));
    for (const [file, content] of Object.entries(FILES)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), content);
    }
    await execa("git", ["init", "-q", root]);
    dir = path.join(root, "apps/shared");
    const result = await scaffold({
      folders: [dir],
      cwd: root,
      context: "homelab",
      env: { KUBECONFIG: kubeconfig("homelab") },
    });
    model = result.models[0]!;
    generated = readFileSync(path.join(dir, "Tiltfile"), "utf8");
    for (const { storage, current, args } of MODES)
      built.set(
        storage,
        objectsOf((await tiltfileResult(dir, { KUBECONFIG: kubeconfig(current) }, [...args])).manifests),
      );
  });
  afterEach(() => writeFileSync(path.join(dir, "Tiltfile"), generated));

  it.each(MODES)(
    "storage $storage: loads with each object in exactly one resource, the shared ones in a group their users wait for",
    async ({ storage, current, args }) => {
      const { run, manifests } = await tiltfileResult(dir, { KUBECONFIG: kubeconfig(current) }, [...args]);
      expect(run.exitCode, run.stderr).toBe(0);
      const held = holdings(manifests);
      // A local cluster has no Flux: no Flux object is applied, and helm cannot reach the charts here.
      const flux =
        storage === "local-path"
          ? {}
          : {
              "shared-flux-objects": ["HelmRepository/grafana-charts"],
              loki: ["HelmRelease/loki"],
              promtail: ["HelmRelease/promtail"],
            };
      expect(held).toEqual({
        ...flux,
        "shared-config": ["ConfigMap/common-values", "ConfigMap/settings"],
        "shared-namespace": [
          "ClusterRole/kubevirt.io:operator",
          "ClusterRoleBinding/kubevirt.io:operator",
          "Namespace/shared",
        ],
        api: ["Deployment/api"],
        worker: ["Deployment/worker"],
      });
      const all = Object.values(held).flat();
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(storage === "local-path" ? 7 : 10);
      const deps = (name: string) =>
        (manifests.find((m) => m.Name === name) as { ResourceDependencies?: string[] } | undefined)
          ?.ResourceDependencies ?? [];
      if (storage !== "local-path")
        for (const user of ["loki", "promtail"])
          expect(deps(user).sort()).toEqual(["shared-config", "shared-flux-objects", "shared-namespace"]);
      for (const user of ["api", "worker"]) expect(deps(user).sort()).toEqual(["shared-config", "shared-namespace"]);
    },
  );

  /** The model with resources changed, its Tiltfile written as the generator would. */
  function withResources(change: (resources: TiltResource[]) => TiltResource[]): NamespaceModel {
    const changed = { ...model, resources: change(structuredClone(model.resources)) };
    writeFileSync(
      path.join(dir, "Tiltfile"),
      renderNamespace(changed).find((f) => f.path.endsWith("Tiltfile"))!.content,
    );
    return changed;
  }
  const named = (resources: TiltResource[], name: string) => resources.find((r) => r.name === name)!;
  /** Drops a group and every wait for it. */
  const without = (resources: TiltResource[], group: string) =>
    resources
      .filter((r) => r.name !== group)
      .map((r) => ({
        ...r,
        resourceDeps: r.resourceDeps.filter((d) => d !== group),
        fluxResourceDeps: r.fluxResourceDeps?.filter((d) => d !== group),
      }));

  const CASES = [
    { name: "as generated", fragment: undefined, change: (resources: TiltResource[]) => resources },
    {
      name: "two releases naming their one HelmRepository",
      fragment: "grafana-charts:helmrepository",
      // Flux's objects are applied where Flux runs only.
      storages: ["live", "dev-claims"],
      change: (resources: TiltResource[]) => {
        const left = without(resources, "shared-flux-objects");
        for (const user of ["loki", "promtail"]) named(left, user).fluxObjects!.push("grafana-charts:helmrepository");
        return left;
      },
    },
    {
      name: "two Deployments naming their one ConfigMap",
      fragment: "settings:configmap",
      change: (resources: TiltResource[]) => {
        named(resources, "shared-config").objects = ["common-values:configmap"];
        for (const user of ["api", "worker"]) named(resources, user).objects.push("settings:configmap");
        return resources;
      },
    },
    {
      name: "a ClusterRole named with its colon unescaped",
      fragment: "kubevirt.io:operator:clusterrole",
      change: (resources: TiltResource[]) => {
        const group = named(resources, "shared-namespace");
        group.objects = group.objects.map((o) => o.replace("\\:", ":"));
        return resources;
      },
    },
    {
      name: "a workload named in a group too",
      fragment: "api:deployment",
      change: (resources: TiltResource[]) => {
        named(resources, "shared-config").objects.push("api:deployment");
        return resources;
      },
    },
  ];

  it.each(CASES)("the generator's check agrees with Tilt: $name", async ({ fragment, change, ...rest }) => {
    const changed = withResources(change);
    const faulty = "storages" in rest ? (rest.storages as string[]) : MODES.map((m) => m.storage);
    for (const { storage, current, args } of MODES) {
      const { run } = await tiltfileResult(dir, { KUBECONFIG: kubeconfig(current) }, [...args]);
      const problem = tiltObjectsProblem(changed.resources, storage, built.get(storage)!);
      if (fragment === undefined || !faulty.includes(storage)) {
        expect(run.exitCode, run.stderr).toBe(0);
        expect(problem, storage).toBeUndefined();
      } else {
        expect(run.exitCode, storage).not.toBe(0);
        expect(run.stderr).toContain(`"${fragment}"`);
        expect(problem, storage).toContain(fragment);
      }
    }
  });
});
