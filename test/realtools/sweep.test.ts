// The generator over every folder a user would scaffold in the real repositories and the example,
// one run per folder as a user runs it: each gets tooling that kustomize builds and the real Tilt
// loads, or a one-line refusal. Then, on a real kube-apiserver, what Tilt applies on the cluster
// Flux manages is accepted as an update of what Flux applied: nothing there can make Tilt delete
// and re-create an object. One scaffold per folder serves both checks.
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NamespaceModel } from "../../helpers/namespace/model.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import { UserError } from "../../helpers/errors.ts";
import { startTestCluster, type TestCluster } from "../support/cluster.ts";
import { haveFixtures, realRepositories } from "../support/fixtures.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { kubeconfig, tiltfileResult } from "../support/tiltfile.ts";
import { liveOverlayDifferences } from "../support/flux-build.ts";
import { inParallel, LiveOverlays, manifestsOf } from "../support/live-overlays.ts";
import { resourceSelectors } from "../../helpers/namespace/tilt-objects.ts";

const ready = requireRealTools("sweep over real repositories", ["tilt", "flux", "etcd", "kube-apiserver"]);

interface Scaffolded {
  label: string;
  repo: string;
  folder: string;
  model: NamespaceModel;
}

describe.runIf(ready && haveFixtures())("every folder of the real repositories", () => {
  const env = { KUBECONFIG: kubeconfig("homelab") };
  const scaffolded: Scaffolded[] = [];
  const counts: string[] = [];
  let tooled = 0;
  let total = 0;
  let cluster: TestCluster | undefined;

  beforeAll(async () => {
    // The API server starts while the folders are scaffolded.
    const starting = startTestCluster();
    // One run at a time: runs in one repository share its root Tiltfile and answers file.
    for (const { label, root, folders } of await realRepositories()) {
      const refused: string[] = [];
      for (const folder of folders) {
        try {
          // The run builds every overlay it writes before it writes anything.
          const { models } = await scaffold({ folders: [path.join(root, folder)], cwd: root, context: "homelab", env });
          scaffolded.push({ label, repo: root, folder, model: models[0]! });
        } catch (error) {
          if (!(error instanceof UserError) || error.message.includes("\n")) throw error;
          refused.push(`${folder}: ${error.message}`);
        }
      }
      total += folders.length;
      tooled += folders.length - refused.length;
      counts.push(
        `${label}: ${folders.length - refused.length} of ${folders.length} folders get tooling`,
        ...refused.map((line) => `  refused ${line}`),
      );
    }
    console.log(counts.join("\n"));
    cluster = await starting;
  }, 1_800_000);

  afterAll(async () => cluster?.stop());

  it("gets tooling for all but a few folders, and refuses those with one line", () => {
    expect(tooled / total, counts.join("\n")).toBeGreaterThanOrEqual(0.95);
  });

  it(
    "gets tooling the real Tilt loads, alone and all together under the root Tiltfile, with unique unprivileged ports, nothing uncategorized, and a live overlay that is Flux's build plus the dev changes",
    { timeout: 900_000 },
    async () => {
      const broken: string[] = [];
      // Loading a Tiltfile and building overlays only read the copies: two folders at a time.
      await inParallel(scaffolded, 2, async ({ label, repo, folder, model }) => {
        const { run, manifests, log } = await tiltfileResult(path.join(repo, folder), env);
        if (run.exitCode !== 0) {
          broken.push(`${label}/${folder}: ${log.split("\n").filter(Boolean).at(-1)}`);
          return;
        }
        const names = manifests.map((m) => m.Name);
        if (names.includes("uncategorized")) broken.push(`${label}/${folder}: uncategorized objects`);
        const expected = [
          ...model.resources.filter((r) => resourceSelectors(r, "live") !== undefined).map((r) => r.name),
          model.fluxResource,
        ];
        if (model.flux.toSuspend.length > 0) expected.push(model.suspendResource);
        expect(names.sort(), `${label}/${folder}`).toEqual(expected.sort());
        for (const unit of model.builds)
          for (const difference of await liveOverlayDifferences(model, unit))
            broken.push(`${label}/${folder}/${unit.live.dir}: ${difference}`);
      });
      for (const repo of new Set(scaffolded.map((s) => s.repo))) {
        // Every folder scaffolded, the root Tiltfile runs them in one Tilt.
        const label = scaffolded.find((s) => s.repo === repo)!.label;
        const root = await tiltfileResult(repo, env);
        if (root.run.exitCode !== 0)
          broken.push(`${label}: root Tiltfile: ${root.log.split("\n").filter(Boolean).at(-1)}`);
        else if (root.manifests.some((m) => m.Name === "uncategorized"))
          broken.push(`${label}: root Tiltfile: uncategorized objects`);
        const owners = new Map<number, string>();
        for (const { folder, model } of scaffolded.filter((s) => s.repo === repo)) {
          for (const forward of model.resources.flatMap((r) => r.portForwards)) {
            const owner = owners.get(forward.localPort);
            if (forward.localPort < 1024 || (owner && owner !== folder))
              broken.push(`${label}/${folder}: local port ${forward.localPort} (also ${owner})`);
            owners.set(forward.localPort, folder);
          }
        }
      }
      expect(broken).toEqual([]);
    },
  );

  it(
    "applies, on the cluster Flux manages, only what the API server updates in place over Flux's build",
    { timeout: 900_000 },
    async () => {
      const overlays = await LiveOverlays.on(cluster!);
      const failures: string[] = [];
      await inParallel(scaffolded, 3, async ({ label, folder, model }) => {
        const refusal = await overlays.applyFluxBuild(model);
        if (refusal) failures.push(`${label}/${folder}: Flux's build was refused: ${refusal}`);
        else for (const line of await overlays.tiltUpdateRefusals(model)) failures.push(`${label}/${folder}/${line}`);
      });
      expect(failures).toEqual([]);
    },
  );

  it("the live-cluster oracle can fail: the local-path build of media is refused as an update of Flux's", async () => {
    const overlays = await LiveOverlays.on(cluster!);
    const media = scaffolded.find((s) => s.label === "examples/homelab" && s.folder === "applications/media")!.model;
    expect(await overlays.applyFluxBuild(media)).toBeUndefined();
    const built = await execa("kubectl", [
      "kustomize",
      "--load-restrictor",
      "LoadRestrictionsNone",
      path.join(media.folder, media.builds[0]!.localPath.dir),
    ]);
    const update = await overlays.dryRunUpdate(
      manifestsOf(built.stdout).filter((o) => o.kind === "PersistentVolumeClaim"),
    );
    expect(update.exitCode).not.toBe(0);
    expect(update.stderr).toContain("spec is immutable after creation");
  });
});
