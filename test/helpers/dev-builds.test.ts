// What each storage mode leaves to Flux, decided from the objects of a namespace.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { load, loadAll } from "js-yaml";
import { describe, expect, it } from "vitest";
import { deriveDevBuilds } from "../../helpers/namespace/dev-builds.ts";
import { groupObjects } from "../../helpers/namespace/grouping.ts";
import { tiltObjectRef, type KubeObject } from "../../helpers/repository/manifests.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import { findServices, findWorkloads } from "../../helpers/namespace/workloads.ts";
import { copyExample } from "../support/example.ts";

const podSpec = (env: Record<string, unknown>[]) => ({ containers: [{ name: "c", image: "i", env }] });
const fromConfigMap = (name: string) => [{ name: "X", valueFrom: { configMapKeyRef: { name, key: "x" } } }];

const OBJECTS: KubeObject[] = [
  {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: { template: { metadata: { labels: { app: "web" } }, spec: podSpec(fromConfigMap("shared")) } },
  },
  {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "migrate" },
    spec: {
      template: {
        metadata: { labels: { app: "migrate" } },
        spec: podSpec([...fromConfigMap("shared"), ...fromConfigMap("schema")]),
      },
    },
  },
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "shared" } },
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "schema" } },
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "migrate-metrics" },
    spec: { selector: { app: "migrate" }, ports: [{ port: 9000 }] },
  },
  { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data" }, spec: {} },
  { apiVersion: "v1", kind: "Secret", metadata: { name: "token" }, sops: { version: "3.9.0" } },
];

function derive(objects = OBJECTS) {
  const workloads = findWorkloads(objects);
  const services = findServices(objects);
  const groups = groupObjects(objects, workloads, services, "app");
  const builds = deriveDevBuilds({
    objects,
    workloads,
    services,
    groups,
    patches: [],
    folderInRepo: "app",
    localPathComponent: "app/overlays/storage/local-path",
    units: [oneUnit("app/base", objects)],
  });
  return { ...builds, ...builds.units[0]! };
}

function oneUnit(fluxPath: string, objects: KubeObject[], devDir = "overlays/dev") {
  return {
    devDir,
    fluxPath,
    fluxComponents: [],
    fluxPatches: [],
    fluxImages: [],
    refs: new Set(objects.map(tiltObjectRef)),
  };
}

describe("deriveDevBuilds", () => {
  it("leaves claims, Jobs and what only a Job uses to Flux on the Flux cluster, with the reason", () => {
    expect(derive().liveExclusions.map((e) => [e.ref, e.reason])).toEqual([
      ["migrate:job", "its pod template is immutable and Tilt labels every template it applies"],
      ["data:persistentvolumeclaim", "the live one and its data stay"],
      ["schema:configmap", "it goes with Job migrate"],
      ["migrate-metrics:service", "it goes with Job migrate"],
    ]);
  });

  it("keeps an object a Job shares with a Deployment: it goes with the Deployment", () => {
    const builds = derive();
    expect(builds.liveExclusions.map((e) => e.ref)).not.toContain("shared:configmap");
    const web = builds.split({
      name: "web",
      workload: "web",
      objects: ["shared:configmap", "data:persistentvolumeclaim"],
      attach: [],
      portForwards: [],
      extraPodSelectors: [],
      resourceDeps: [],
      notes: [],
    });
    expect(web).toMatchObject({
      objects: ["shared:configmap"],
      claims: [{ name: "data", devName: "data-dev" }],
      localPathOnly: false,
    });
    const job = builds.split({
      name: "migrate",
      workload: "migrate",
      objects: ["schema:configmap"],
      attach: [],
      portForwards: [],
      extraPodSelectors: [],
      resourceDeps: [],
      notes: [],
    });
    expect(job).toMatchObject({ objects: ["schema:configmap"], localPathOnly: true });
  });

  it("never applies a SOPS-encrypted Secret, in either mode", () => {
    const builds = derive();
    expect(builds.sopsSecrets).toEqual(["token"]);
    for (const build of [builds.live, builds.localPath])
      expect(build.deletes).toContainEqual({ apiVersion: "v1", kind: "Secret", name: "token", target: "token" });
    expect(
      builds.split({
        name: "app-config",
        objects: ["token:secret"],
        attach: [],
        portForwards: [],
        extraPodSelectors: [],
        resourceDeps: [],
        notes: [],
      }),
    ).toBeUndefined();
  });

  it("gives local-path storage on the Flux cluster claims of its own, but none for a Job's claim", () => {
    const objects: KubeObject[] = [
      ...OBJECTS,
      {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "backup" },
        spec: {
          template: {
            spec: {
              containers: [{ name: "c", image: "i" }],
              volumes: [{ name: "v", persistentVolumeClaim: { claimName: "scratch" } }],
            },
          },
        },
      },
      { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "scratch" }, spec: { volumeName: "pv-1" } },
    ];
    const { devClaims } = derive(objects);
    expect([devClaims.dir, devClaims.keepOnDown, devClaims.ownClaims]).toEqual(["overlays/dev/dev-claims", true, true]);
    expect(devClaims.devClaims).toEqual([{ target: "data", rawDevName: "data-dev", bound: false }]);
    expect(devClaims.deletes.map((d) => `${d.kind}/${d.name}`)).toContain("PersistentVolumeClaim/scratch");
    expect(devClaims.deletes.map((d) => `${d.kind}/${d.name}`)).not.toContain("PersistentVolumeClaim/data");
  });

  it("targets kustomize patches at names before Flux substitutes them, matched exactly", () => {
    const claim: KubeObject = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "open-webui" },
      spec: { volumeName: "pv-1" },
    };
    const raw = new Map([[claim, "${KOPIUR_CLAIM:-${APP}}"]]);
    const workloads = findWorkloads([claim]);
    const builds = deriveDevBuilds({
      objects: [claim],
      workloads,
      services: [],
      groups: groupObjects([claim], workloads, [], "ai"),
      patches: [],
      folderInRepo: "app",
      localPathComponent: "app/overlays/storage/local-path",
      units: [oneUnit("app/app", [claim])],
      rawName: (o) => raw.get(o) ?? o.metadata.name,
    });
    expect(builds.units[0]!.live.deletes).toEqual([
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        name: "${KOPIUR_CLAIM:-${APP}}",
        target: "\\$\\{KOPIUR_CLAIM:-\\$\\{APP\\}\\}",
      },
    ]);
    expect(builds.units[0]!.devClaims.devClaims).toEqual([
      { target: "\\$\\{KOPIUR_CLAIM:-\\$\\{APP\\}\\}", rawDevName: "${KOPIUR_CLAIM:-${APP}}-dev", bound: true },
    ]);
    expect(
      builds.split({
        name: "ai-storage",
        objects: ["open-webui:persistentvolumeclaim"],
        attach: [],
        portForwards: [],
        extraPodSelectors: [],
        resourceDeps: [],
        notes: [],
      })!.claims,
    ).toEqual([{ name: "open-webui", devName: "open-webui-dev" }]);
  });

  it("annotates for tilt down only on the Flux cluster, where overlays/dev is the build", () => {
    const { live, localPath } = derive();
    expect([live.dir, live.keepOnDown, live.resources]).toEqual(["overlays/dev", true, ["../../base"]]);
    expect([localPath.dir, localPath.keepOnDown, localPath.resources, localPath.components]).toEqual([
      "overlays/dev/local-path",
      false,
      ["../../../base"],
      ["../../storage/local-path"],
    ]);
  });

  it("gives each Flux build overlays of its own that change only that build's objects", () => {
    const [web, migrate] = [OBJECTS.filter((o) => o.kind !== "Job"), OBJECTS.filter((o) => o.kind === "Job")];
    const workloads = findWorkloads(OBJECTS);
    const services = findServices(OBJECTS);
    const builds = deriveDevBuilds({
      objects: OBJECTS,
      workloads,
      services,
      groups: groupObjects(OBJECTS, workloads, services, "app"),
      patches: [],
      folderInRepo: "app",
      localPathComponent: "app/overlays/storage/local-path",
      units: [
        oneUnit("app/web/app", web!, "overlays/dev/web"),
        oneUnit("app/migrate/app", migrate!, "overlays/dev/migrate"),
      ],
    });
    const [first, second] = builds.units;
    expect([first!.live.dir, first!.live.resources, first!.localPath.dir, first!.localPath.resources]).toEqual([
      "overlays/dev/web",
      ["../../../web/app"],
      "overlays/dev/web/local-path",
      ["../../../../web/app"],
    ]);
    expect(first!.live.deletes.map((d) => d.name)).not.toContain("migrate");
    expect(second!.live.deletes.map((d) => `${d.kind}/${d.name}`)).toEqual(["Job/migrate"]);
  });
});

describe("a SOPS-encrypted Secret in a real folder", () => {
  it("is left out of both overlays, and the Tiltfile says the live one stays", async () => {
    const repo = copyExample();
    const media = path.join(repo, "applications/media");
    mkdirSync(path.join(media, "base/vpn"));
    writeFileSync(
      path.join(media, "base/vpn/secret.sops.yaml"),
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: vpn-keys\nstringData:\n  key: ENC[AES256_GCM,data:abc,type:str]\nsops:\n  version: 3.9.0\n  lastmodified: '2026-01-01T00:00:00Z'\n",
    );
    const kustomization = path.join(media, "base/kustomization.yaml");
    const base = load(readFileSync(kustomization, "utf8")) as { resources: string[] };
    writeFileSync(
      kustomization,
      readFileSync(kustomization, "utf8").replace(
        `  - ${base.resources[0]}`,
        `  - ${base.resources[0]}\n  - vpn/secret.sops.yaml`,
      ),
    );
    await scaffold({ folders: [media], cwd: repo, env: { KUBECONFIG: "/nonexistent" } });
    for (const dir of ["overlays/dev", "overlays/dev/local-path", "overlays/prod"]) {
      const built = await execa("kubectl", [
        "kustomize",
        "--load-restrictor",
        "LoadRestrictionsNone",
        path.join(media, dir),
      ]);
      const names = (loadAll(built.stdout) as KubeObject[])
        .filter((o) => o?.kind === "Secret")
        .map((o) => o.metadata.name);
      expect(names.includes("vpn-keys"), dir).toBe(dir === "overlays/prod");
    }
    expect(readFileSync(path.join(media, "Tiltfile"), "utf8")).toContain(
      "# Never applied: Secret vpn-keys is SOPS-encrypted; the live Secret, decrypted by Flux, stays.",
    );
  });
});
