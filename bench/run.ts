// `npm run bench`: each line compares our generator with a baseline measured in the same run.
// Medians of alternating runs; the ratio is what to read, not the seconds (machines differ).
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { execa } from "execa";
import { scaffold } from "../helpers/scaffold.ts";
import { syntheticRepository } from "./synthetic.ts";
import { monitoringWithLocalChart } from "./local-charts.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const PLOP = path.join(ROOT, "node_modules", ".bin", "plop");

/** A user's kubeconfig, as on most laptops: one kind cluster. Every run reads it; none reaches it. */
function userKubeconfig(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-kube-")), "config");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "kind-dev", cluster: { server: "https://127.0.0.1:1" } }],
    contexts: [{ name: "kind-dev", context: { cluster: "kind-dev", user: "kind-dev" } }],
    users: [{ name: "kind-dev", user: { token: "bench" } }],
    "current-context": "kind-dev",
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const ENV = {
  NODE_OPTIONS: `--import ${pathToFileURL(path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href}`,
  KUBECONFIG: process.env.KUBECONFIG ?? userKubeconfig(),
};
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

interface Row {
  name: string;
  ours: number;
  baseline: number;
  baselineName: string;
  /** Undefined for a measurement without a goal yet: printed, never judged. */
  goal?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** Runs `a` and `b` alternately so that machine load hits both alike. */
async function alternate(a: () => Promise<unknown>, b: () => Promise<unknown>, runs = RUNS): Promise<[number, number]> {
  await a();
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    ta.push(await timed(a));
    tb.push(await timed(b));
  }
  return [median(ta), median(tb)];
}

/** applications/media of a fresh copy of the embedded example: where a user runs one namespace. */
function exampleMediaCopy(): string {
  const repo = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-")), "homelab");
  cpSync(path.join(ROOT, "examples", "homelab"), repo, { recursive: true });
  return path.join(repo, "applications", "media");
}

async function scaffoldOneVsTrivialPlop(): Promise<Row> {
  const media = exampleMediaCopy();
  const plop = (plopfile: string, args: string[]) => () =>
    execa(PLOP, ["--plopfile", plopfile, ...args], {
      cwd: media,
      env: { ...ENV, XDG_CACHE_HOME: emptyCache() },
      stdin: "ignore",
    });
  const [ours, baseline] = await alternate(
    plop(path.join(ROOT, "plopfile.ts"), ["namespace", "."]),
    plop(path.join(ROOT, "bench", "trivial", "plopfile.ts"), ["trivial"]),
  );
  return {
    name: "scaffold one namespace (npx plop, sources, cold)",
    ours,
    baseline,
    baselineName: "trivial TypeScript plop generator",
  };
}

/** A cache folder of its own: a run with it builds and renders everything (cold). */
function emptyCache(): string {
  return mkdtempSync(path.join(os.tmpdir(), "bench-cache-"));
}

const TRIVIAL_BIN = path.join(ROOT, "bench", "trivial", "bin.js");
const OUR_BIN = path.join(ROOT, "dist", "bin", "tilt-flux-scaffold.js");

/** A bin run where a user stands: no TypeScript loader (`npm run` passes the project's one on in NODE_OPTIONS). */
function runBin(file: string, args: string[], cwd: string, cache: () => string) {
  return () =>
    execa(process.execPath, [file, ...args], {
      cwd,
      env: { ...ENV, NODE_OPTIONS: "", XDG_CACHE_HOME: cache() },
      stdin: "ignore",
    });
}

/**
 * What a user runs: the compiled bin (npm run bench builds it) over a namespace with a chart,
 * against a trivial bin in plain JavaScript. Cold: nothing kept from an earlier run; warm: the
 * run before it kept its builds and renders (a commit hook on an unchanged folder).
 */
async function scaffoldOneThroughBin(): Promise<Row[]> {
  const folder = await monitoringWithLocalChart();
  const warm = emptyCache();
  const trivial = runBin(TRIVIAL_BIN, ["trivial"], folder, () => warm);
  const [cold, baseline] = await alternate(runBin(OUR_BIN, ["namespace", "."], folder, emptyCache), trivial);
  const [kept, baseline2] = await alternate(
    runBin(OUR_BIN, ["namespace", "."], folder, () => warm),
    trivial,
  );
  const name = "one namespace with a chart (the bin)";
  return [
    { name: `${name}, cold`, ours: cold, baseline, baselineName: "trivial plop bin in JavaScript", goal: 2 },
    {
      name: `${name}, warm`,
      ours: kept,
      baseline: baseline2,
      baselineName: "trivial plop bin in JavaScript",
      goal: 1.3,
    },
  ];
}

/** `--folder all --mode check` on an unchanged repository with its builds kept: what a commit hook runs. */
async function checkAllUnchanged(): Promise<Row> {
  const folder = await monitoringWithLocalChart();
  const root = path.dirname(path.dirname(folder));
  const warm = emptyCache();
  await execa(process.execPath, [OUR_BIN, "namespace", "--folder", "all"], {
    cwd: root,
    env: { ...ENV, NODE_OPTIONS: "", XDG_CACHE_HOME: warm },
    stdin: "ignore",
  });
  const [ours, baseline] = await alternate(
    runBin(OUR_BIN, ["namespace", "--folder", "all", "--mode", "check"], root, () => warm),
    runBin(TRIVIAL_BIN, ["trivial"], root, () => warm),
  );
  return {
    name: "--folder all --mode check, unchanged (the bin, warm)",
    ours,
    baseline,
    baselineName: "trivial plop bin in JavaScript",
    goal: 1.3,
  };
}

async function scaffoldMany(count: number): Promise<number> {
  const { root, folders } = syntheticRepository(count);
  return timed(() =>
    scaffold({ folders, cwd: root, env: { KUBECONFIG: ENV.KUBECONFIG, XDG_CACHE_HOME: emptyCache() } }),
  );
}

async function syntheticRepositories(): Promise<Row[]> {
  const t200 = median([await scaffoldMany(200), await scaffoldMany(200), await scaffoldMany(200)]);
  const t400 = median([await scaffoldMany(400), await scaffoldMany(400), await scaffoldMany(400)]);
  return [
    {
      name: "200 namespaces end to end, cold (ms, goal ≤ 3000)",
      ours: t200,
      baseline: 3000,
      baselineName: "3 s budget",
      goal: 1,
    },
    {
      name: "400 vs 200 namespaces (linearity)",
      ours: t400,
      baseline: t200,
      baselineName: "200 namespaces",
      goal: 2.2,
    },
  ];
}

function table(rows: Row[]): string {
  const header = ["benchmark", "ours ms", "baseline", "baseline ms", "ratio", "goal", ""];
  const lines = rows.map((r) => {
    const ratio = r.ours / r.baseline;
    const verdict = r.goal === undefined ? "" : ratio <= r.goal ? "ok" : "not ok";
    return [
      r.name,
      r.ours.toFixed(0),
      r.baselineName,
      r.baseline.toFixed(0),
      `${ratio.toFixed(2)}×`,
      r.goal === undefined ? "" : `≤ ${r.goal}×`,
      verdict,
    ];
  });
  const widths = header.map((_, i) => Math.max(...[header, ...lines].map((l) => l[i]!.length)));
  return [header, ...lines]
    .map((l) =>
      l
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Benchmarks that need the real tools of `npm run tools`: skipped, with the reason, without them. */
async function withTools(name: string, run: () => Promise<Row[]>): Promise<Row[]> {
  return run().catch((error: Error) => {
    console.error(`bench: ${name} skipped: ${error.message}`);
    return [];
  });
}

/** `BENCH_ONLY=bin,charts`: only the groups named (bin, plop, synthetic, check, tilt, dashboard, charts, local-charts, local-up). */
const only = process.env.BENCH_ONLY?.split(",");
const want = (group: string) => only === undefined || only.includes(group);
const group = async (name: string, run: () => Promise<Row[]>): Promise<Row[]> => (want(name) ? run() : []);

const rows: Row[] = [
  ...(await group("bin", () => withTools("bin", scaffoldOneThroughBin))),
  ...(await group("plop", async () => [await scaffoldOneVsTrivialPlop()])),
  ...(await group("synthetic", syntheticRepositories)),
  ...(await group("check", () => withTools("check", async () => [await checkAllUnchanged()]))),
  ...(await group("tilt", () => withTools("Tilt", async () => (await import("./tilt.ts")).tiltBenchmarks(alternate)))),
  ...(await group("dashboard", () =>
    withTools("dashboard", async () => (await import("./dashboard.ts")).dashboardBenchmarks(alternate)),
  )),
  ...(await group("charts", () =>
    withTools("charts", async () => (await import("./charts.ts")).chartBenchmarks(alternate)),
  )),
  ...(await group("local-charts", () =>
    withTools("local charts", async () => (await import("./local-charts.ts")).localChartBenchmarks(alternate)),
  )),
  ...(await group("local-up", () =>
    withTools("local tilt ci", async () => (await import("./local-up.ts")).localUpBenchmarks()),
  )),
];
console.log(table(rows));
