// A Helm chart repository on 127.0.0.1, as Flux's HelmRepository reads one: charts packaged by
// the real `helm package`, indexed by `helm repo index`, served read-only over HTTP.
import { readFile } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { toolPath } from "./cluster.ts";

export interface ChartServer {
  url: string;
  /** Requests served, by path: proves whether a run pulled or used its cache. */
  requests: string[];
  stop(): Promise<void>;
}

export async function startChartServer(charts: string[]): Promise<ChartServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "chart-repo-"));
  for (const chart of charts) await execa(toolPath("helm"), ["package", chart, "--destination", dir]);
  const requests: string[] = [];
  const server = createServer(async (req, res) => {
    const name = path.basename(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    requests.push(name);
    try {
      res.end(await readFile(path.join(dir, name)));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await execa(toolPath("helm"), ["repo", "index", dir, "--url", url]);
  return { url, requests, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
