// `tilt up` and `tilt down` with a generated Tiltfile against a real API server: what gets
// applied, and what happens to the namespace's Flux Kustomization.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { copyExample } from "../support/example.ts";
import { startTestCluster, toolPath, type TestCluster } from "../support/cluster.ts";
import { requireRealTools } from "../support/real-tools.ts";

const ready = requireRealTools("tilt up suite", ["tilt", "flux", "etcd", "kube-apiserver"]);

const MEDIA_KUSTOMIZATION = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: media
  namespace: flux-system
spec:
  interval: 30m
  path: ./applications/media/overlays/prod
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
`;

/** A `flux` first on PATH that logs each call, then runs the real one. */
function fluxRecorder(): { bin: string; calls: () => string[] } {
  const bin = mkdtempSync(path.join(os.tmpdir(), "flux-recorder-"));
  const log = path.join(bin, "calls.log");
  writeFileSync(path.join(bin, "flux"), `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> '${log}'\nexec '${toolPath("flux")}' "$@"\n`);
  chmodSync(path.join(bin, "flux"), 0o755);
  return { bin, calls: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : []) };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, seconds = 60): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe.runIf(ready)("tilt up / tilt down against a real API server", { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let media: string;

  beforeAll(async () => {
    cluster = await startTestCluster();
    await cluster.kubectl(["create", "namespace", "flux-system"]);
    const repo = copyExample();
    media = path.join(repo, "applications/media");
    await scaffold({ folders: [media], cwd: repo, context: cluster.context, env: { KUBECONFIG: cluster.kubeconfig } });
  });
  afterAll(async () => cluster?.stop());

  async function suspended(): Promise<boolean> {
    const { stdout } = await cluster.kubectl(["get", "kustomizations.kustomize.toolkit.fluxcd.io", "media", "-n", "flux-system", "-o", "jsonpath={.spec.suspend}"]);
    return stdout === "true";
  }

  function tilt(args: string[], flux: { bin: string }, env: Record<string, string> = {}) {
    return execa(toolPath("tilt"), args, {
      all: true,
      cwd: media,
      reject: false,
      env: { KUBECONFIG: cluster.kubeconfig, PATH: `${flux.bin}:${process.env.PATH}`, HOME: mkdtempSync(path.join(os.tmpdir(), "tilt-home-")), ...env },
    });
  }

  /** Stands in for the controller that removes a deleted claim's protection finalizer. */
  async function releaseClaims(): Promise<void> {
    const { stdout } = await cluster.kubectl(["get", "pvc", "-n", "media", "-o", "name"]);
    for (const claim of stdout.split("\n").filter(Boolean)) {
      await cluster.kubectl(["patch", claim, "-n", "media", "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    }
  }

  async function mediaDeployments(): Promise<string[]> {
    const { stdout } = await cluster.kubectl(["get", "deployments", "-n", "media", "-o", "name", "--ignore-not-found"]);
    return stdout.split("\n").filter(Boolean).sort();
  }

  it("suspends the Kustomization once, applies the dev overlay, resumes on Ctrl-C, and tilt down deletes and resumes", async () => {
    await cluster.kubectl(["apply", "-f", "-"], { input: MEDIA_KUSTOMIZATION });
    const flux = fluxRecorder();
    const up = tilt(["up", "--stream", "--port", "0"], flux);
    await until("the Kustomization to be suspended", async () => ((await suspended()) ? true : undefined), 90);
    const deployments = await until("the dev overlay to be applied", async () => {
      const names = await mediaDeployments();
      return names.length >= 8 ? names : undefined;
    }, 90);
    expect(deployments).toContain("deployment.apps/sonarr");
    const { stdout: claimClass } = await cluster.kubectl(["get", "pvc", "sonarr-config", "-n", "media", "-o", "jsonpath={.spec.storageClassName}"]);
    expect(claimClass).toBe("local-path");

    // An edit makes Tilt reload the Tiltfile; the suspend must not run again.
    appendFileSync(path.join(media, "base/namespace.yaml"), "\n");
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(flux.calls().filter((c) => c.startsWith("suspend"))).toEqual(["suspend kustomization media --namespace flux-system --context tilt-test"]);

    up.kill("SIGINT");
    await up;
    await until("Tilt's Ctrl-C to resume the Kustomization", async () => ((await suspended()) ? undefined : true), 30);
    expect(flux.calls()).toContain("resume kustomization media --namespace flux-system --context tilt-test --wait=false");

    await cluster.kubectl(["patch", "kustomizations.kustomize.toolkit.fluxcd.io", "media", "-n", "flux-system", "--type=merge", "-p", '{"spec":{"suspend":true}}']);
    const down = await tilt(["down"], flux);
    expect(down.exitCode, down.all).toBe(0);
    expect(await suspended()).toBe(false);
    expect(await mediaDeployments()).toEqual([]);
    await releaseClaims();
  });

  it("suspends nothing with SUSPEND_FLUX=false", async () => {
    await cluster.kubectl(["apply", "-f", "-"], { input: MEDIA_KUSTOMIZATION });
    const flux = fluxRecorder();
    const up = tilt(["up", "--stream", "--port", "0"], flux, { SUSPEND_FLUX: "false" });
    await until("the dev overlay to be applied", async () => ((await mediaDeployments()).length >= 8 ? true : undefined), 90);
    up.kill("SIGINT");
    await up;
    expect(flux.calls()).toEqual([]);
    expect(await suspended()).toBe(false);
    await tilt(["down"], flux, { SUSPEND_FLUX: "false" });
  });
});
