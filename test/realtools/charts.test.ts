// HelmReleases read through their real charts: helm pulls them from the source Flux uses (here a
// Helm repository on 127.0.0.1), renders them with the release's values, and the Tiltfile
// forwards the rendered Services' ports to the pods the chart makes.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { startChartServer, type ChartServer } from "../support/chart-server.ts";
import { startOciRegistry } from "../support/oci-registry.ts";
import { startGitServer } from "../support/git-server.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { tiltfileResult } from "../support/tiltfile.ts";

const ready = requireRealTools("charts suite", ["helm", "tilt", "registry"]);
const APP_TEMPLATE = path.resolve("..", "shared", "fixtures", "charts", "app-template");

/** A repository with one namespace folder whose HelmRelease pulls app-template from `url` (a Helm repository, or an OCI one). */
function repositoryWithRelease(url: string, version = "4.1.1"): { root: string; folder: string } {
  const oci = url.startsWith("oci://");
  const root = mkdtempSync(path.join(os.tmpdir(), "charts-"));
  const files: Record<string, string> = {
    "clusters/home/apps.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: media, namespace: flux-system}
spec: {interval: 1h, path: ./apps/media/base, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
`,
    "apps/media/base/kustomization.yaml": "namespace: media\nresources: [helmrepository.yaml, helmrelease.yaml]\n",
    "apps/media/base/helmrepository.yaml": oci
      ? `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: app-template}
spec: {interval: 1h, url: "${url}/app-template", insecure: true, ref: {tag: 4.1.1}}
`
      : `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: bjw-s}
spec: {interval: 1h, url: "${url}"}
`,
    "apps/media/base/helmrelease.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: sonarr}
spec:
  interval: 1h
  ${oci ? "chartRef: {kind: OCIRepository, name: app-template}" : `chart: {spec: {chart: app-template, version: "${version}", sourceRef: {kind: HelmRepository, name: bjw-s}}}`}
  values:
    controllers:
      sonarr:
        containers:
          app: {image: {repository: ghcr.io/home-operations/sonarr, tag: 4.0.14}}
    service:
      app: {controller: sonarr, ports: {http: {port: 8989}}}
`,
  };
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return { root, folder: path.join(root, "apps/media") };
}

describe.runIf(ready)("a HelmRelease's chart, pulled and rendered by helm", () => {
  let server: ChartServer;
  beforeAll(async () => {
    server = await startChartServer([APP_TEMPLATE]);
  });
  afterAll(async () => server?.stop());

  it("forwards the rendered Service's port to the chart's pods, and renders from the cache once pulled", async () => {
    const { root, folder } = repositoryWithRelease(server.url);
    await execa("git", ["init", "-q", root]);
    const cache = mkdtempSync(path.join(os.tmpdir(), "cache-"));
    const env = { KUBECONFIG: "/nonexistent", XDG_CACHE_HOME: cache };
    const { models } = await scaffold({ folders: [folder], cwd: root, env });
    const release = models[0]!.resources.find((r) => r.name === "sonarr")!;
    expect(release.portForwards.map((f) => [f.localPort, f.containerPort, f.service])).toEqual([
      [8989, 8989, "sonarr"],
    ]);
    expect(release.extraPodSelectors).toEqual([
      {
        "app.kubernetes.io/controller": "sonarr",
        "app.kubernetes.io/instance": "sonarr",
        "app.kubernetes.io/name": "sonarr",
      },
    ]);
    expect(readdirSync(path.join(cache, "tilt-flux-scaffold/charts")).filter((f) => f.endsWith(".tgz"))).toHaveLength(
      1,
    );
    const { run, manifests } = await tiltfileResult(folder);
    expect(run.exitCode, run.stderr).toBe(0);
    const forwards = manifests.find((m) => m.Name === "sonarr")!.DeployTarget!.portForwardTemplateSpec!.forwards;
    expect(forwards.map((f) => [f.localPort, f.containerPort])).toEqual([[8989, 8989]]);

    const pulls = server.requests.filter((r) => r.endsWith(".tgz")).length;
    const again = await scaffold({ folders: [folder], cwd: root, env, mode: "check" });
    expect(again.changed).toBe(false);
    expect(server.requests.filter((r) => r.endsWith(".tgz")).length).toBe(pulls);
  });

  it("pulls a version range again each run, and renders the cached chart when the pull fails", async () => {
    const own = await startChartServer([APP_TEMPLATE]);
    const { root, folder } = repositoryWithRelease(own.url, ">=4.0.0");
    await execa("git", ["init", "-q", root]);
    const env = { KUBECONFIG: "/nonexistent", XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), "cache-")) };
    const pulls = () => own.requests.filter((r) => r.endsWith(".tgz")).length;
    try {
      await scaffold({ folders: [folder], cwd: root, env });
      expect(pulls()).toBe(1);
      // A newer chart may match the range: helm resolves it again, as Flux does.
      expect((await scaffold({ folders: [folder], cwd: root, env, mode: "check" })).changed).toBe(false);
      expect(pulls()).toBe(2);
    } finally {
      await own.stop();
    }
    // Offline: the forwards stay as they were.
    const offline = await scaffold({ folders: [folder], cwd: root, env, mode: "check" });
    expect(offline.changed).toBe(false);
    expect(
      offline.models[0]!.resources.find((r) => r.name === "sonarr")!.portForwards.map((f) => f.containerPort),
    ).toEqual([8989]);
  });

  it("clones a chart from another Git repository, and renders the cached clone when git cannot reach it", async () => {
    // A bare repository holding the chart at charts/app-template, on branch main.
    const served = mkdtempSync(path.join(os.tmpdir(), "git-charts-"));
    const work = path.join(served, "work");
    mkdirSync(path.join(work, "charts"), { recursive: true });
    cpSync(APP_TEMPLATE, path.join(work, "charts/app-template"), { recursive: true });
    const git = (args: string[], cwd = work) => execa("git", args, { cwd });
    await git(["init", "-q", "-b", "main"]);
    await git(["add", "."]);
    await git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "charts"]);
    await git(["clone", "-q", "--bare", work, path.join(served, "charts.git")], served);
    const server = await startGitServer(served);
    const { root, folder } = repositoryWithRelease(server.url);
    await execa("git", ["init", "-q", root]);
    const source = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: charts}
spec: {interval: 1h, url: "${server.url}/charts.git", ref: {branch: main}}
`;
    writeFileSync(path.join(folder, "base/helmrepository.yaml"), source);
    const release = path.join(folder, "base/helmrelease.yaml");
    writeFileSync(
      release,
      readFileSync(release, "utf8").replace(
        /chart: \{spec: \{.*\}\}\}/,
        "chart: {spec: {chart: ./charts/app-template, sourceRef: {kind: GitRepository, name: charts}}}",
      ),
    );
    // Two releases of charts of one repository, rendered side by side from one fetch.
    writeFileSync(
      path.join(folder, "base/radarr.yaml"),
      readFileSync(release, "utf8").replaceAll("sonarr", "radarr").replace("8989", "7878"),
    );
    writeFileSync(
      path.join(folder, "base/kustomization.yaml"),
      "namespace: media\nresources: [helmrepository.yaml, helmrelease.yaml, radarr.yaml]\n",
    );
    const env = { KUBECONFIG: "/nonexistent", XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), "cache-")) };
    const forwards = (models: { resources: { name: string; portForwards: { containerPort: number }[] }[] }[]) =>
      ["radarr", "sonarr"].map((name) =>
        models[0]!.resources.find((r) => r.name === name)!.portForwards.map((f) => f.containerPort),
      );
    try {
      expect(forwards((await scaffold({ folders: [folder], cwd: root, env })).models)).toEqual([[7878], [8989]]);
    } finally {
      await server.stop();
    }
    // A branch is fetched again each run; with the server gone, the last commit fetched stands in.
    const offline = await scaffold({ folders: [folder], cwd: root, env, mode: "check" });
    expect([offline.changed, forwards(offline.models)]).toEqual([false, [[7878], [8989]]]);
  });

  it("stops pulling from a chart host that does not answer, and names the host for every chart there", async () => {
    const { root, folder } = repositoryWithRelease("http://127.0.0.1:9");
    // More charts than pulls run at once (one per core): the first ones fail together, the rest are not tried.
    const charts = Array.from({ length: Math.max(2, os.availableParallelism()) + 2 }, (_, i) => `chart-${i}`);
    writeFileSync(
      path.join(root, "apps/media/base/helmrelease.yaml"),
      charts
        .map(
          (chart, index) =>
            `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app-${index}}\nspec:\n  interval: 1h\n  chart: {spec: {chart: ${chart}, version: "1.0.0", sourceRef: {kind: HelmRepository, name: bjw-s}}}\n`,
        )
        .join("---\n"),
    );
    await execa("git", ["init", "-q", root]);
    // helm, counted.
    const bin = mkdtempSync(path.join(os.tmpdir(), "helm-bin-"));
    const log = path.join(bin, "pulls.log");
    const real = (await execa("bash", ["-c", "command -v helm"])).stdout;
    writeFileSync(path.join(bin, "helm"), `#!/usr/bin/env bash\necho "$1" >>"${log}"\nexec "${real}" "$@"\n`, {
      mode: 0o755,
    });
    const env = {
      KUBECONFIG: "/nonexistent",
      XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), "cache-")),
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    };
    const { warnings } = await scaffold({ folders: [folder], cwd: root, env, mode: "dry-run" });
    const pulls = readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line === "pull").length;
    expect(pulls).toBeLessThanOrEqual(charts.length - 2);
    const notPulled = warnings.filter((w) => w.includes("helm could not get the chart here"));
    expect(notPulled).toHaveLength(charts.length);
    expect(notPulled.filter((w) => w.includes("connection refused"))).toHaveLength(charts.length);
    expect(notPulled.filter((w) => w.includes("127.0.0.1:9 did not answer another pull of this run"))).toHaveLength(
      charts.length - pulls,
    );
  });

  it("pulls an OCIRepository's chart over plain HTTP when the source is insecure", async () => {
    const registry = await startOciRegistry([{ dir: APP_TEMPLATE }]);
    try {
      const { root, folder } = repositoryWithRelease(`oci://${registry.host}/charts`);
      await execa("git", ["init", "-q", root]);
      const env = { KUBECONFIG: "/nonexistent", XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), "cache-")) };
      const { models } = await scaffold({ folders: [folder], cwd: root, env });
      const release = models[0]!.resources.find((r) => r.name === "sonarr")!;
      expect(release.notes).toEqual([]);
      expect(release.portForwards.map((f) => [f.containerPort, f.service])).toEqual([[8989, "sonarr"]]);
    } finally {
      await registry.stop();
    }
  });

  it("writes the tooling without helm, and the Tiltfile says why the chart's Services are not forwarded", async () => {
    const { root, folder } = repositoryWithRelease(server.url);
    await execa("git", ["init", "-q", root]);
    const env = {
      KUBECONFIG: "/nonexistent",
      PATH: "/usr/bin:/bin",
      XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), "cache-")),
    };
    const { models } = await scaffold({ folders: [folder], cwd: root, env });
    const release = models[0]!.resources.find((r) => r.name === "sonarr")!;
    expect(release.portForwards).toEqual([]);
    expect(release.notes).toEqual([
      "Its chart was not rendered (helm could not get the chart here): its Services are not forwarded; re-run where helm reaches it, or name them with --forward.",
    ]);
    expect(release.extraPodSelectors).toEqual([{ "app.kubernetes.io/instance": "sonarr" }]);
  });
});
