// The community repository's HelmReleases read through the fixture charts, served from a
// registry on 127.0.0.1 as the versions the repository pins: every app-template release whose
// values define a Service gets its forwards with no --forward, and so do kube-prometheus-stack's
// Prometheus and Alertmanager, whose pods its operator makes. A chart that runs several kinds of
// pods forwards each Service from a resource of its own (`<service>-forward`).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments, parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { UserError } from "../../helpers/errors.ts";
import {
  APP_TEMPLATE,
  copyFixture,
  haveFixtures,
  namespaceFoldersOf,
  packagedKubePrometheusStack,
  redirectAppTemplate,
  yamlFiles,
} from "../support/fixtures.ts";
import { startOciRegistry } from "../support/oci-registry.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { tiltfileResult } from "../support/tiltfile.ts";

const ready = requireRealTools("fixture charts suite", ["helm", "registry", "tilt"]);

/** HelmReleases below `dir` whose OCIRepository (beside them) is app-template and whose values define a Service. */
function releasesWithService(dir: string, host: string): number {
  return yamlFiles(dir)
    .filter((file) =>
      yamlFiles(path.dirname(file)).some((other) =>
        readFileSync(other, "utf8").includes(`oci://${host}/charts/app-template`),
      ),
    )
    .flatMap((file) => parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS()))
    .filter(
      (o) =>
        o?.kind === "HelmRelease" &&
        o.spec?.chartRef?.kind === "OCIRepository" &&
        Object.keys(o.spec?.values?.service ?? {}).length > 0,
    ).length;
}

describe.runIf(ready && haveFixtures())("HelmReleases of bjw-s-home-ops", () => {
  it("app-template: get the forwards of the Services their chart renders", { timeout: 900_000 }, async () => {
    const registry = await startOciRegistry([{ dir: APP_TEMPLATE, version: "5.1.0" }]);
    try {
      const root = await copyFixture("bjw-s-home-ops");
      expect(redirectAppTemplate(root, registry.host).length).toBeGreaterThan(30);
      const apps = (await namespaceFoldersOf(root)).filter((f) => f.split("/").length === 4);
      const missing: string[] = [];
      let expected = 0;
      let forwarded = 0;
      for (const app of apps) {
        const folder = path.join(root, app);
        const want = releasesWithService(folder, registry.host);
        if (want === 0) continue;
        let models;
        try {
          ({ models } = await scaffold({ folders: [folder], cwd: root, env: { KUBECONFIG: "/nonexistent" } }));
        } catch (error) {
          if (error instanceof UserError) continue; // counted by the sweep suite
          throw error;
        }
        const resources = models[0]!.resources;
        const releases = resources.filter((r) => r.attach.some((a) => a.startsWith("helmrelease/")));
        const got = releases.filter((release) =>
          resources.some(
            (r) => (r === release || r.servicePods?.release === release.name) && r.portForwards.length > 0,
          ),
        );
        expected += want;
        forwarded += got.length;
        if (got.length < want)
          missing.push(`${app}: ${got.length} of ${want} (${models[0]!.resources.flatMap((r) => r.notes).join(" ")})`);
      }
      console.log(`bjw-s-home-ops: ${forwarded} of ${expected} app-template HelmReleases with a Service get forwards`);
      expect(missing).toEqual([]);
      expect(expected).toBeGreaterThan(20);
    } finally {
      await registry.stop();
    }
  });

  it(
    "kube-prometheus-stack: Prometheus and Alertmanager, whose pods the operator makes, get their forwards",
    { timeout: 300_000 },
    async () => {
      // The tag the repository's OCIRepository pins, served from 127.0.0.1.
      const registry = await startOciRegistry([{ dir: packagedKubePrometheusStack(), version: "88.3.0" }]);
      try {
        const root = await copyFixture("bjw-s-home-ops");
        const source = path.join(root, "kubernetes/apps/observability/kube-prometheus-stack/app/ocirepository.yaml");
        const doc = parseDocument(readFileSync(source, "utf8"));
        doc.setIn(["spec", "url"], `oci://${registry.host}/charts/kube-prometheus-stack`);
        doc.setIn(["spec", "insecure"], true);
        writeFileSync(source, String(doc));
        const { models } = await scaffold({
          folders: [path.join(root, "kubernetes/apps/observability/kube-prometheus-stack")],
          cwd: root,
          env: { KUBECONFIG: "/nonexistent" },
        });
        const release = models[0]!.resources.find((r) => r.attach.includes("helmrelease/kube-prometheus-stack"))!;
        const forwarded = models[0]!.resources
          .filter((r) => r === release || r.servicePods?.release === release.name)
          .flatMap((r) => r.portForwards.map((f) => `${f.service}:${f.containerPort}`));
        expect(forwarded).toEqual(
          expect.arrayContaining(["kube-prometheus-stack-prometheus:9090", "kube-prometheus-stack-alertmanager:9093"]),
        );
        // Its coredns Service is in kube-system: it selects no pod of this namespace.
        expect(forwarded.filter((f) => f.includes("coredns"))).toEqual([]);
        expect(release.extraPodSelectors).toContainEqual({
          "app.kubernetes.io/name": "prometheus",
          "operator.prometheus.io/name": "kube-prometheus-stack",
        });
        // Tilt loads the resource with all of its selectors (the operator's and Prometheus's, …).
        expect(release.extraPodSelectors.length).toBeGreaterThan(1);
        const { run, manifests } = await tiltfileResult(models[0]!.folder);
        expect(run.exitCode, run.stderr).toBe(0);
        expect(manifests.map((m) => m.Name)).toContain(release.name);
      } finally {
        await registry.stop();
      }
    },
  );
});
