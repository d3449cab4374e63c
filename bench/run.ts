// `npm run bench`: each line compares our generator with a baseline measured in the same run.
// Medians of alternating runs; the ratio is what to read, not the seconds (machines differ).
import { cpSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { execa } from "execa";
import { scaffold } from "../helpers/scaffold.ts";
import { syntheticRepository } from "./synthetic.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const PLOP = path.join(ROOT, "node_modules", ".bin", "plop");
const ENV = {
  NODE_OPTIONS: `--import ${pathToFileURL(path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href}`,
  KUBECONFIG: process.env.KUBECONFIG ?? "/nonexistent",
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
    execa(PLOP, ["--plopfile", plopfile, ...args], { cwd: media, env: ENV, stdin: "ignore" });
  const [ours, baseline] = await alternate(
    plop(path.join(ROOT, "plopfile.ts"), ["namespace", "."]),
    plop(path.join(ROOT, "bench", "trivial", "plopfile.ts"), ["trivial"]),
  );
  return { name: "scaffold one namespace (npx plop, sources)", ours, baseline, baselineName: "trivial TypeScript plop generator" };
}

/** What a user runs: the compiled bin (npm run bench builds it) against a trivial bin in plain JavaScript. */
async function scaffoldOneThroughBin(): Promise<Row> {
  const media = exampleMediaCopy();
  // No TypeScript loader: `npm run` passes the project's one on in NODE_OPTIONS.
  const env = { ...ENV, NODE_OPTIONS: "" };
  const bin = (file: string, args: string[]) => () => execa(process.execPath, [file, ...args], { cwd: media, env, stdin: "ignore" });
  const [ours, baseline] = await alternate(
    bin(path.join(ROOT, "dist", "bin", "tilt-flux-scaffold.js"), ["namespace", "."]),
    bin(path.join(ROOT, "bench", "trivial", "bin.js"), ["trivial"]),
  );
  return { name: "scaffold one namespace (the bin)", ours, baseline, baselineName: "trivial plop bin in JavaScript", goal: 1.3 };
}

async function scaffoldMany(count: number): Promise<number> {
  const { root, folders } = syntheticRepository(count);
  return timed(() => scaffold({ folders, cwd: root, env: { KUBECONFIG: "/nonexistent" } }));
}

async function syntheticRepositories(): Promise<Row[]> {
  const t200 = median([await scaffoldMany(200), await scaffoldMany(200), await scaffoldMany(200)]);
  const t400 = median([await scaffoldMany(400), await scaffoldMany(400), await scaffoldMany(400)]);
  return [
    { name: "200 namespaces end to end (ms, goal ≤ 3000)", ours: t200, baseline: 3000, baselineName: "3 s budget", goal: 1 },
    { name: "400 vs 200 namespaces (linearity)", ours: t400, baseline: t200, baselineName: "200 namespaces", goal: 2.2 },
  ];
}

function table(rows: Row[]): string {
  const header = ["benchmark", "ours ms", "baseline", "baseline ms", "ratio", "goal", ""];
  const lines = rows.map((r) => {
    const ratio = r.ours / r.baseline;
    const verdict = r.goal === undefined ? "" : ratio <= r.goal ? "ok" : "MISSED";
    return [r.name, r.ours.toFixed(0), r.baselineName, r.baseline.toFixed(0), `${ratio.toFixed(2)}×`, r.goal === undefined ? "" : `≤ ${r.goal}×`, verdict];
  });
  const widths = header.map((_, i) => Math.max(...[header, ...lines].map((l) => l[i]!.length)));
  return [header, ...lines].map((l) => l.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

/** Benchmarks that need the real tools of `npm run tools`: skipped, with the reason, without them. */
async function withTools(name: string, run: () => Promise<Row[]>): Promise<Row[]> {
  return run().catch((error: Error) => {
    console.error(`bench: ${name} skipped: ${error.message}`);
    return [];
  });
}

const rows: Row[] = [
  await scaffoldOneThroughBin(),
  await scaffoldOneVsTrivialPlop(),
  ...(await syntheticRepositories()),
  ...(await withTools("Tilt", async () => (await import("./tilt.ts")).tiltBenchmarks(alternate))),
  ...(await withTools("dashboard", async () => (await import("./dashboard.ts")).dashboardBenchmarks(alternate))),
  ...(await withTools("charts", async () => (await import("./charts.ts")).chartBenchmarks(alternate))),
  ...(await withTools("local charts", async () => (await import("./local-charts.ts")).localChartBenchmarks(alternate))),
  ...(await withTools("local tilt ci", async () => (await import("./local-up.ts")).localUpBenchmarks())),
];
console.log(table(rows));
