// The real Tilt on a context recorded as the cluster Flux manages, where Flux's Kustomization CRD
// is served (the test API server has Flux's CRDs) but the namespace's own Kustomization may not
// be there: `tilt up` must stop in one line before it applies or suspends anything, and go on
// once the Kustomization exists.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { startTestCluster, toolPath, type TestCluster } from "../support/cluster.ts";
import { copyExample } from "../support/example.ts";
import { requireRealTools } from "../support/real-tools.ts";

const ready = requireRealTools("Flux check at tilt up", ["tilt", "flux", "etcd", "kube-apiserver"]);
const KUSTOMIZATION = {
  apiVersion: "kustomize.toolkit.fluxcd.io/v1",
  kind: "Kustomization",
  metadata: { name: "media", namespace: "flux-system" },
  spec: {
    interval: "10m",
    path: "./applications/media/overlays/prod",
    prune: true,
    sourceRef: { kind: "GitRepository", name: "flux-system" },
  },
};

describe.runIf(ready)(
  "tilt up in live mode checks that Flux's Kustomization is on the cluster",
  { timeout: 180_000 },
  () => {
    let cluster: TestCluster;
    let media: string;
    const home = mkdtempSync(path.join(os.tmpdir(), "tilt-home-"));

    beforeAll(async () => {
      cluster = await startTestCluster();
      const repo = copyExample();
      media = path.join(repo, "applications/media");
      await scaffold({
        folders: [media],
        cwd: repo,
        context: cluster.context,
        env: { KUBECONFIG: cluster.kubeconfig },
      });
    }, 120_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    const tilt = (args: string[]) =>
      execa(toolPath("tilt"), args, {
        all: true,
        cwd: media,
        reject: false,
        env: {
          KUBECONFIG: cluster.kubeconfig,
          HOME: home,
          PATH: `${path.dirname(toolPath("flux"))}:${process.env.PATH}`,
        },
      });

    it("stops in one line, naming the Kustomization and the context, with nothing applied or suspended", async () => {
      const run = await tilt(["ci", "--port", "0", "--timeout", "60s"]);
      expect(run.exitCode).not.toBe(0);
      // Tilt logs the error, then exits with it: the same one line twice.
      const lines = new Set(
        String(run.all)
          .split("\n")
          .filter((line) => line.includes("tilt_lib: Flux Kustomization")),
      );
      expect([...lines]).toEqual([
        expect.stringContaining(
          `tilt_lib: Flux Kustomization flux-system/media is not on kube context ${cluster.context}, so there is no live namespace to work over: on a local cluster, switch to its context (storage local-path)`,
        ),
      ]);
      expect(String(run.all)).not.toContain("Flux suspended");
      const namespace = await cluster.kubectl(["get", "namespace", "media", "--ignore-not-found", "-o", "name"]);
      expect(namespace.stdout).toBe("");
    });

    it("goes on once the Kustomization exists, and suspends it", async () => {
      await cluster.kubectl(["create", "namespace", "flux-system"]);
      await cluster.kubectl(["apply", "-f", "-"], { input: JSON.stringify(KUSTOMIZATION) });
      const up = tilt(["up", "--stream", "--port", "0"]);
      let output = "";
      await new Promise<void>((resolve) => {
        up.all!.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("Flux suspended until Tilt stops")) resolve();
        });
        void up.then(() => resolve());
      });
      up.kill("SIGINT");
      await up;
      expect(output).not.toContain("is not on kube context");
      expect(output).toContain("Flux suspended until Tilt stops");
    });
  },
);
