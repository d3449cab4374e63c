// HelmReleases: the whole community repository scaffolded in one run with its charts cached,
// against the kustomize builds that run cannot avoid; and the cost of one HelmRelease's chart
// against one plain `helm template` of the same cached chart with the same values.
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { scaffold } from "../helpers/scaffold.ts";
import { chartCacheDir, renderChart } from "../helpers/repository/helm.ts";
import { copyFixture, namespaceFoldersOf, redirectAppTemplate } from "../test/support/fixtures.ts";
import { startOciRegistry } from "../test/support/oci-registry.ts";
import { scanRepository } from "../helpers/repository/scan.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, ".tools", "bin");
const APP_TEMPLATE = path.resolve(ROOT, "..", "shared", "fixtures", "charts", "app-template");

type Alternate = (a: () => Promise<unknown>, b: () => Promise<unknown>, runs?: number) => Promise<[number, number]>;

export async function chartBenchmarks(alternate: Alternate) {
  const registry = await startOciRegistry([{ dir: APP_TEMPLATE, version: "5.1.0" }]);
  try {
    const root = await copyFixture("bjw-s-home-ops");
    redirectAppTemplate(root, registry.host);
    const env = {
      KUBECONFIG: "/nonexistent",
      XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), "bench-cache-")),
      PATH: `${BIN}${path.delimiter}${process.env.PATH}`,
    };
    process.env.PATH = env.PATH;
    const folders = (await namespaceFoldersOf(root)).map((f) => path.join(root, f));
    const repo = await scanRepository(root, root);
    const fluxPaths = [...new Set(repo.kustomizations.map((k) => k.path))].filter((p) =>
      p.startsWith("kubernetes/apps/"),
    );
    // Cold: the charts pulled, nothing built or rendered yet (a cache holding only env's charts,
    // which this first run pulls; its builds and renders make the warm runs below).
    await scaffold({ folders, cwd: root, mode: "dry-run", env });
    const charts = path.join(env.XDG_CACHE_HOME, "tilt-flux-scaffold", "charts");
    const coldEnv = () => {
      const cache = mkdtempSync(path.join(os.tmpdir(), "bench-cold-"));
      if (existsSync(charts)) cpSync(charts, path.join(cache, "tilt-flux-scaffold", "charts"), { recursive: true });
      return { ...env, XDG_CACHE_HOME: cache };
    };
    const cold = () => scaffold({ folders, cwd: root, mode: "dry-run", env: coldEnv() });
    const builds = () =>
      Promise.all(
        fluxPaths.map((p) =>
          execa("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", path.join(root, p)], {
            reject: false,
          }),
        ),
      );
    const [ours, baseline] = await alternate(cold, builds, 3);
    // Warm: an earlier run kept its builds and renders, as on a commit that changed nothing here.
    const warm = () => scaffold({ folders, cwd: root, mode: "check", env });
    const [kept] = await alternate(warm, async () => undefined, 3);

    const source = {
      kind: "oci" as const,
      ref: `oci://${registry.host}/charts/app-template`,
      version: "5.1.0",
      plainHttp: true,
    };
    const values = {
      controllers: {
        app: { containers: { app: { image: { repository: "ghcr.io/home-operations/sonarr", tag: "4.0.14" } } } },
      },
      service: { app: { controller: "app", ports: { http: { port: 8989 } } } },
    };
    const request = { releaseName: "sonarr", namespace: "media", source, values: [values] };
    await renderChart(request, env);
    const archive = path.join(
      chartCacheDir(env),
      readdirSync(chartCacheDir(env)).find((f) => f.endsWith(".tgz"))!,
    );
    const valuesFile = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-values-")), "values.json");
    writeFileSync(valuesFile, JSON.stringify(values));
    const plain = () =>
      execa(
        "helm",
        ["template", "sonarr", archive, "--namespace", "media", "--skip-schema-validation", "--values", valuesFile],
        { env },
      );
    // Each render from the pulled chart, none kept from the one before.
    const renders = path.join(env.XDG_CACHE_HOME, "tilt-flux-scaffold", "renders");
    const [one, helm] = await alternate(
      () => (rmSync(renders, { recursive: true, force: true }), renderChart(request, env)),
      plain,
    );
    return [
      // Every offered folder, namespace folders and their apps both: each app is built and checked twice.
      {
        name: `bjw-s-home-ops, ${folders.length} folders in one run, cold (charts pulled)`,
        ours,
        baseline,
        baselineName: `kustomize of its ${fluxPaths.length} Flux paths`,
        goal: 5,
      },
      {
        name: `bjw-s-home-ops, ${folders.length} folders, --mode check, warm (ms, goal ≤ 1500)`,
        ours: kept,
        baseline: 1500,
        baselineName: "1.5 s budget",
        goal: 1,
      },
      {
        name: "one HelmRelease's chart",
        ours: one,
        baseline: helm,
        baselineName: "helm template, same chart",
        goal: 1.5,
      },
    ];
  } finally {
    await registry.stop();
  }
}
