// The generated files committed in examples/homelab are golden files: a fresh run must
// reproduce them byte for byte, and the real kustomize must build every overlay.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { NamespaceModel } from "../../helpers/namespace/model.ts";
import { scaffold, type ScaffoldResult } from "../../helpers/scaffold.ts";
import { EXAMPLE_FOLDERS, EXAMPLE_NAMESPACES, EXAMPLE_ROOT } from "../support/example.ts";

const NO_KUBECONFIG = { KUBECONFIG: "/nonexistent" };
let result: ScaffoldResult;

beforeAll(async () => {
  result = await scaffold({
    folders: EXAMPLE_FOLDERS.map((ns) => path.join(EXAMPLE_ROOT, ns)),
    cwd: EXAMPLE_ROOT,
    mode: "check",
    env: NO_KUBECONFIG,
  });
});

async function build(dir: string) {
  const { stdout } = await execa("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", dir]);
  return parseAllDocuments(stdout).map((doc) => doc.toJS() as Record<string, any>);
}

function model(ns: string): NamespaceModel {
  return result.models.find((m) => m.folderInRepo === ns)!;
}

describe("examples/homelab", () => {
  it("holds exactly what the generator writes today (run `npx plop namespace` after changing templates)", () => {
    const stale = result.plan
      .filter((w) => w.outcome !== "unchanged")
      .map((w) => `${w.outcome} ${path.relative(EXAMPLE_ROOT, w.path)}`);
    expect(stale).toEqual([]);
  });

  it.each(EXAMPLE_NAMESPACES)("%s: overlays/dev/local-path builds with every claim on local-path", async (ns) => {
    const objects = await build(path.join(EXAMPLE_ROOT, ns, "overlays/dev/local-path"));
    expect(objects.length).toBeGreaterThan(0);
    const claims = objects.filter((o) => o.kind === "PersistentVolumeClaim").map((o) => o.spec);
    const templates = objects
      .filter((o) => o.kind === "StatefulSet")
      .flatMap((o) => o.spec.volumeClaimTemplates ?? [])
      .map((t: any) => t.spec);
    for (const spec of [...claims, ...templates]) {
      expect(spec.storageClassName).toBe("local-path");
      expect(spec.accessModes).toEqual(["ReadWriteOnce"]);
    }
    for (const o of objects.filter((o) => typeof o.spec?.replicas === "number"))
      expect(o.spec.replicas).toBeLessThanOrEqual(1);
    expect(objects.some((o) => o.metadata.annotations?.["tilt.dev/down-policy"])).toBe(false);
  });

  it.each(EXAMPLE_NAMESPACES)(
    "%s: overlays/dev leaves claims, volumes and Jobs to Flux and keeps the rest on tilt down",
    async (ns) => {
      const objects = await build(path.join(EXAMPLE_ROOT, ns, "overlays/dev"));
      const flux = await build(path.join(EXAMPLE_ROOT, ns, model(ns).builds[0]!.path));
      expect(objects.length).toBeGreaterThan(0);
      expect(
        objects.filter((o) => ["PersistentVolumeClaim", "PersistentVolume", "Job", "Pod"].includes(o.kind)),
      ).toEqual([]);
      for (const o of objects)
        expect(o.metadata.annotations?.["tilt.dev/down-policy"], `${o.kind}/${o.metadata.name}`).toBe("keep");
      for (const sts of objects.filter((o) => o.kind === "StatefulSet")) {
        const live = flux.find((o) => o.kind === "StatefulSet" && o.metadata.name === sts.metadata.name)!;
        expect(sts.spec.volumeClaimTemplates).toEqual(live.spec.volumeClaimTemplates);
      }
      for (const o of objects.filter((o) => typeof o.spec?.replicas === "number"))
        expect(o.spec.replicas).toBeLessThanOrEqual(1);
    },
  );

  it("media: dev builds on overlays/prod, which Flux applies, and suspends only its own Kustomization", () => {
    const media = model("applications/media");
    expect(media.builds.map((b) => b.path)).toEqual(["overlays/prod"]);
    expect(media.flux.toSuspend).toEqual(["flux-system/media"]);
    expect(media.builds[0]!.variables.find((v) => v.name === "DOMAIN")?.value).toBe("homelab.example");
    expect(media.builds[0]!.missingVariables).toEqual([]);
    expect(readFileSync(path.join(EXAMPLE_ROOT, "applications/media/Tiltfile"), "utf8")).not.toContain(
      "flux-system/flux-system",
    );
  });

  it("monitoring: the HelmRelease of the chart kept in the repository forwards what helm renders of it", async () => {
    const echo = model("infrastructure/monitoring").resources.find((r) => r.name === "echo-server")!;
    const rendered = await execa("helm", [
      "template",
      "echo-server",
      path.join(EXAMPLE_ROOT, "charts/echo-server"),
      "--namespace",
      "monitoring",
      "--set",
      "replicaCount=2",
    ]);
    const pod = parseAllDocuments(rendered.stdout)
      .map((d) => d.toJS())
      .find((o) => o?.kind === "Deployment").spec.template;
    expect(echo.portForwards.map((f) => f.containerPort)).toEqual(
      pod.spec.containers.flatMap((c: any) => c.ports.map((p: any) => p.containerPort)),
    );
    expect(echo.extraPodSelectors).toEqual([pod.metadata.labels]);
  });

  it("monitoring: overlays/dev caps the chart's workloads through a post-renderer, as helm-controller applies it", async () => {
    const dev = await build(path.join(EXAMPLE_ROOT, "infrastructure/monitoring/overlays/dev"));
    const release = dev.find((o) => o.kind === "HelmRelease" && o.metadata.name === "echo-server")!;
    // helm-controller: render the chart with the release's values, then run each kustomize post-renderer.
    const work = mkdtempSync(path.join(os.tmpdir(), "post-render-"));
    writeFileSync(path.join(work, "values.json"), JSON.stringify(release.spec.values));
    const rendered = await execa("helm", [
      "template",
      "echo-server",
      path.join(EXAMPLE_ROOT, "charts/echo-server"),
      "--namespace",
      "monitoring",
      "--values",
      path.join(work, "values.json"),
    ]);
    writeFileSync(path.join(work, "rendered.yaml"), rendered.stdout);
    writeFileSync(
      path.join(work, "kustomization.yaml"),
      JSON.stringify({ resources: ["rendered.yaml"], patches: release.spec.postRenderers[0].kustomize.patches }),
    );
    const deployment = (await build(work)).find((o) => o.kind === "Deployment")!;
    const plain = parseAllDocuments(rendered.stdout)
      .map((d) => d.toJS())
      .find((o) => o?.kind === "Deployment");
    expect(plain.spec.replicas).toBe(2);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.template.spec.containers[0].resources).toEqual({ limits: { cpu: "1", memory: "1Gi" } });
  });

  it("tools: two flat folders of one namespace get overlays beside them, and the folder holding both builds each", async () => {
    expect(model("applications/tools/whoami").builds.map((b) => b.live.dir)).toEqual(["../whoami-dev"]);
    expect(model("applications/tools").builds.map((b) => [b.name, b.live.dir])).toEqual([
      ["tools-files", "overlays/dev/tools-files"],
      ["tools-whoami", "overlays/dev/tools-whoami"],
    ]);
    expect(model("applications/tools").flux.toSuspend).toEqual(["flux-system/tools-files", "flux-system/tools-whoami"]);
    for (const folder of ["applications/tools", "applications/tools/whoami", "applications/tools/files"])
      expect(model(folder).namespace).toBe("tools");
    // The static volume: Flux keeps it on its cluster, no dev build applies it, and the Tiltfile names it nowhere.
    const files = model("applications/tools/files");
    expect(files.resources.flatMap((r) => r.objects)).not.toContain("tools-files:persistentvolume");
    for (const dir of ["../files-dev", "../files-dev/local-path", "../files-dev/dev-claims"]) {
      const objects = await build(path.join(EXAMPLE_ROOT, "applications/tools/files", dir));
      expect(
        objects.filter((o) => o.kind === "PersistentVolume"),
        dir,
      ).toEqual([]);
    }
    const whoami = (await build(path.join(EXAMPLE_ROOT, "applications/tools/whoami-dev"))).find(
      (o) => o.kind === "Deployment",
    )!;
    expect(whoami.spec.replicas).toBe(1);
  });

  it("media: every forward is unique, unprivileged and lands on a container port of its workload", async () => {
    const media = model("applications/media");
    const forwards = media.resources.flatMap((r) => r.portForwards);
    const locals = forwards.map((f) => f.localPort);
    expect(new Set(locals).size).toBe(locals.length);
    expect(Math.min(...locals)).toBeGreaterThanOrEqual(1024);
    const objects = await build(path.join(EXAMPLE_ROOT, "applications/media/overlays/dev"));
    for (const forward of forwards) {
      const workload = objects.find((o) => o.metadata.name === forward.resource && o.spec?.template);
      const ports = workload!.spec.template.spec.containers.flatMap((c: any) =>
        (c.ports ?? []).map((p: any) => p.containerPort),
      );
      expect(ports).toContain(forward.containerPort);
    }
    // Two apps on 8080: one keeps it, the other moves up; nginx on 80 moves to 10080.
    expect(
      forwards
        .filter((f) => f.containerPort === 8080)
        .map((f) => f.localPort)
        .sort(),
    ).toEqual([8080, 8081]);
    expect(forwards.find((f) => f.containerPort === 80)?.localPort).toBe(10080);
  });

  it.each(EXAMPLE_NAMESPACES)(
    "%s: overlays/dev/dev-claims is overlays/dev with claims of its own, which tilt down deletes",
    async (ns) => {
      const objects = await build(path.join(EXAMPLE_ROOT, ns, "overlays/dev/dev-claims"));
      const live = await build(path.join(EXAMPLE_ROOT, ns, "overlays/dev"));
      const flux = await build(path.join(EXAMPLE_ROOT, ns, model(ns).builds[0]!.path));
      const fluxClaims = flux
        .filter((o) => o.kind === "PersistentVolumeClaim")
        .map((o) => o.metadata.name)
        .sort();
      const claims = objects.filter((o) => o.kind === "PersistentVolumeClaim");
      expect(claims.map((o) => o.metadata.name).sort()).toEqual(fluxClaims.map((n) => `${n}-dev`));
      for (const claim of claims) {
        expect(claim.spec.storageClassName).toBe("local-path");
        expect(claim.metadata.annotations?.["tilt.dev/down-policy"]).toBeUndefined();
      }
      const others = objects.filter((o) => o.kind !== "PersistentVolumeClaim");
      expect(others.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
        live.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
      );
      for (const o of others) expect(o.metadata.annotations?.["tilt.dev/down-policy"]).toBe("keep");
      const mounted = others
        .flatMap((o) => o.spec?.template?.spec?.volumes ?? [])
        .flatMap((v: any) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []));
      for (const name of mounted) expect(name).toMatch(/-dev$/);
    },
  );

  it.each(["overlays/dev", "overlays/dev/local-path", "overlays/dev/dev-claims"])(
    "every object of every %s build belongs to a Tilt resource of that storage mode",
    async (dir) => {
      const localPath = dir.endsWith("local-path");
      const devClaims = dir.endsWith("dev-claims");
      for (const ns of EXAMPLE_NAMESPACES) {
        const m = model(ns);
        const objects = await build(path.join(EXAMPLE_ROOT, ns, dir));
        const resources = m.resources.filter((r) => localPath || !r.localPathOnly);
        const claims = (r: (typeof resources)[number]) =>
          r.claims.map((c) => `${localPath ? c.name : c.devName}:persistentvolumeclaim`);
        // A local cluster has no Flux: its objects are applied only with Flux.
        const owned = new Set(
          resources.flatMap((r) => [
            ...r.objects,
            ...(localPath ? [] : (r.fluxObjects ?? [])),
            ...(localPath || devClaims ? claims(r) : []),
            ...(r.workload ? [`${r.workload}`] : []),
          ]),
        );
        const podLabels = objects.filter((o) => o.spec?.template).map((o) => o.spec.template.metadata?.labels ?? {});
        // Tilt attaches a Service to the workloads whose pod labels its selector matches.
        const selectsAWorkload = (o: Record<string, any>) =>
          Object.keys(o.spec.selector ?? {}).length > 0 &&
          podLabels.some((labels) => Object.entries(o.spec.selector).every(([k, v]) => labels[k] === v));
        for (const o of objects) {
          const ref = `${o.metadata.name}:${String(o.kind).toLowerCase()}`;
          const isWorkload = resources.some((r) => r.workload === o.metadata.name && o.spec?.template);
          const isAttachedService = o.kind === "Service" && selectsAWorkload(o);
          const isFlux = String(o.apiVersion).split("/")[0]!.endsWith(".toolkit.fluxcd.io");
          if (isWorkload || isAttachedService || (localPath && isFlux)) continue;
          expect(owned, `${ns}: ${ref}`).toContain(ref);
        }
        // …and every object a resource of that mode names is in the build.
        const built = new Set(objects.map((o) => `${o.metadata.name}:${String(o.kind).toLowerCase()}`));
        for (const ref of owned) if (ref.includes(":")) expect(built, `${ns}: ${ref}`).toContain(ref);
      }
    },
  );
});
