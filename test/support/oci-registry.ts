// An OCI registry on 127.0.0.1 (the CNCF distribution registry, plain HTTP), holding charts
// pushed by the real `helm push`, as OCIRepository sources with `spec.insecure` read them.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { freePort, toolPath } from "./cluster.ts";
import { until } from "./until.ts";

export interface OciRegistry {
  /** host:port, e.g. 127.0.0.1:5000. */
  host: string;
  stop(): Promise<void>;
}

/** Starts a registry holding each chart folder, packaged as its own version or as `version`. */
export async function startOciRegistry(charts: { dir: string; version?: string }[]): Promise<OciRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "oci-registry-"));
  const host = `127.0.0.1:${await freePort()}`;
  const config = path.join(dir, "config.yml");
  writeFileSync(
    config,
    JSON.stringify({
      version: 0.1,
      log: { level: "error" },
      storage: { filesystem: { rootdirectory: path.join(dir, "data") } },
      http: { addr: host },
    }),
  );
  const registry = spawn(toolPath("registry"), ["serve", config], { stdio: "ignore" });
  const stop = () =>
    new Promise<void>((resolve) =>
      registry.exitCode !== null ? resolve() : (registry.once("exit", () => resolve()), registry.kill()),
    );
  try {
    await until(
      "the registry",
      async () => ((await fetch(`http://${host}/v2/`).catch(() => undefined))?.ok ? true : undefined),
      30,
    );
    for (const [index, chart] of charts.entries()) {
      const out = path.join(dir, `package-${index}`);
      await execa(toolPath("helm"), [
        "package",
        chart.dir,
        "--destination",
        out,
        ...(chart.version ? ["--version", chart.version] : []),
      ]);
      await execa(toolPath("helm"), [
        "push",
        path.join(out, readdirSync(out)[0]!),
        `oci://${host}/charts`,
        "--plain-http",
      ]);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, stop };
}
