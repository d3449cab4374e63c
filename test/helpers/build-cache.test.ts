// The cache of kustomize builds between runs: a warm run starts no kustomize, any change to a file
// a build reads builds it again, and an entry is used only under its own key; and the cache of
// their parses.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { parseKept } from "../../helpers/repository/build-cache.ts";
import { parseManifests } from "../../helpers/repository/manifests.ts";
import { copyExample } from "../support/example.ts";

const MEDIA = "applications/media";

let log: string;
let env: NodeJS.ProcessEnv;
let cacheDir: string;

/** How many kustomize builds ran since the last call. */
function builds(): number {
  const count = readFileSync(log, "utf8").split("\n").filter(Boolean).length;
  writeFileSync(log, "");
  return count;
}

beforeEach(() => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "build-cache-"));
  log = path.join(dir, "builds.log");
  writeFileSync(log, "");
  // The real kustomize, counted.
  const kustomize = path.join(dir, "kustomize");
  writeFileSync(kustomize, `#!/usr/bin/env bash\necho "$@" >>"${log}"\nshift\nexec kubectl kustomize "$@"\n`);
  chmodSync(kustomize, 0o755);
  process.env.KUSTOMIZE_BIN = kustomize;
  cacheDir = path.join(dir, "cache");
  env = { KUBECONFIG: "/nonexistent", XDG_CACHE_HOME: cacheDir };
});

afterEach(() => {
  delete process.env.KUSTOMIZE_BIN;
});

describe("kustomize builds kept between runs", () => {
  it("a second run of an unchanged folder, in any mode, starts no kustomize and plans the same", async () => {
    const root = copyExample();
    const first = await scaffold({ folders: [path.join(root, MEDIA)], cwd: root, env });
    expect(builds()).toBeGreaterThan(0);
    for (const mode of ["check", "dry-run", "write"] as const) {
      const again = await scaffold({ folders: [path.join(root, MEDIA)], cwd: root, env, mode });
      expect(builds()).toBe(0);
      expect(again.plan.map((w) => [w.path, w.outcome])).toEqual(first.plan.map((w) => [w.path, "unchanged"]));
    }
  });

  it("builds again what reads a changed file, and sees the change", async () => {
    const root = copyExample();
    await scaffold({ folders: [path.join(root, MEDIA)], cwd: root, env });
    builds();
    const file = path.join(root, MEDIA, "base", "sonarr", "deployment.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replaceAll("8989", "8990"));
    const result = await scaffold({ folders: [path.join(root, MEDIA)], cwd: root, env, mode: "check" });
    expect(builds()).toBeGreaterThan(0);
    const sonarr = result.models[0]!.resources.find((r) => r.name === "sonarr")!;
    expect(sonarr.portForwards.map((f) => f.containerPort)).toEqual([8990]);
  });

  it("never reports success over a broken build with a warm cache", async () => {
    const root = copyExample();
    await scaffold({ folders: [path.join(root, MEDIA)], cwd: root, env });
    const base = path.join(root, MEDIA, "base", "kustomization.yaml");
    writeFileSync(base, readFileSync(base, "utf8").replace("resources:", "resources:\n  - missing.yaml"));
    await expect(scaffold({ folders: [path.join(root, MEDIA)], cwd: root, env, mode: "check" })).rejects.toThrow(
      /kustomize build of applications\/media\/overlays\/prod failed: .*missing\.yaml/,
    );
  });

  it("uses an entry only under its own key, and rebuilds one that does not hold it", async () => {
    const root = copyExample();
    await scaffold({ folders: [path.join(root, MEDIA)], cwd: root, env });
    const entries = readdirSync(path.join(cacheDir, "tilt-flux-scaffold", "builds"), {
      recursive: true,
      withFileTypes: true,
    }).filter((e) => e.isFile());
    for (const entry of entries) {
      const file = path.join(entry.parentPath, entry.name);
      const { output } = JSON.parse(readFileSync(file, "utf8")) as { output: string };
      writeFileSync(file, JSON.stringify({ key: "another build", output }));
    }
    builds();
    await scaffold({ folders: [path.join(root, MEDIA)], cwd: root, env, mode: "check" });
    expect(builds()).toBeGreaterThan(0);
  });
});

describe("parsed builds kept between runs", () => {
  // Large enough to be kept: a small build is parsed every time.
  const BUILD = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  size: '1'\n  padding: ${"x".repeat(5000)}\n---\nnot: an object\n`;

  it("read back as what the text parses to, and a changed text is parsed again", () => {
    const cold = parseKept(BUILD, "a build", env);
    expect(cold).toEqual(parseManifests(BUILD, "a build"));
    expect(readdirSync(path.join(cacheDir, "tilt-flux-scaffold", "parses"), { recursive: true })).toHaveLength(2);
    // The kept entry, not the text, answers a warm read: changed behind its key, it shows.
    const [entry] = readdirSync(path.join(cacheDir, "tilt-flux-scaffold", "parses"), {
      recursive: true,
      withFileTypes: true,
    }).filter((e) => e.isFile());
    const file = path.join(entry!.parentPath, entry!.name);
    const kept = JSON.parse(readFileSync(file, "utf8")) as { key: string; output: { metadata: { name: string } }[] };
    kept.output[0]!.metadata.name = "from-the-cache";
    writeFileSync(file, JSON.stringify(kept));
    expect(parseKept(BUILD, "a build", env)[0]!.metadata.name).toBe("from-the-cache");
    const changed = BUILD.replace("name: a", "name: b");
    expect(parseKept(changed, "a build", env)[0]!.metadata.name).toBe("b");
  });

  it("keeps no parse that JSON would change: a timestamp stays a Date", () => {
    const dated = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {padding: ${"x".repeat(5000)}}\ndata:\n  since: 2024-01-01\n`;
    expect(parseKept(dated, "a build", env)[0]!.data).toEqual({ since: new Date("2024-01-01") });
    expect(parseKept(dated, "a build", env)[0]!.data).toEqual({ since: new Date("2024-01-01") });
    expect(existsSync(path.join(cacheDir, "tilt-flux-scaffold", "parses"))).toBe(false);
  });

  it("fails on broken YAML as parseManifests does, warm or cold, and keeps no small build", () => {
    for (let run = 0; run < 2; run++)
      expect(() => parseKept(`a: [${"x".repeat(5000)}`, "kustomize build of x", env)).toThrow(
        /^kustomize build of x: invalid YAML: /,
      );
    expect(parseKept("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", "a build", env)).toHaveLength(1);
    expect(existsSync(path.join(cacheDir, "tilt-flux-scaffold", "parses"))).toBe(false);
  });
});
