// The generator over every folder a user would scaffold in the real repositories and the example:
// each gets tooling that kustomize builds and the real Tilt loads, or a one-line refusal.
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { NamespaceModel } from "../../helpers/namespace/model.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import { UserError } from "../../helpers/errors.ts";
import { haveFixtures, realRepositories } from "../support/fixtures.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { kubeconfig, tiltfileResult } from "../support/tiltfile.ts";
import { liveOverlayDifferences } from "../support/flux-build.ts";

const ready = requireRealTools("sweep over real repositories", ["tilt"]);

describe.runIf(ready && haveFixtures())("every folder of the real repositories", () => {
  it("gets tooling the real Tilt loads, with unique unprivileged ports, nothing uncategorized, and a live overlay that is Flux's build plus the dev changes; or a one-line refusal", { timeout: 900_000 }, async () => {
    const repos = await realRepositories();
    const env = { KUBECONFIG: kubeconfig("homelab") };
    const broken: string[] = [];
    const counts: string[] = [];
    let tooled = 0;
    let total = 0;
    for (const { label, root, folders } of repos) {
      const refused: string[] = [];
      const ports = new Map<number, string>();
      for (const folder of folders) {
        const dir = path.join(root, folder);
        let model: NamespaceModel;
        try {
          // The run builds every overlay it writes before it writes anything.
          [model] = (await scaffold({ folders: [dir], cwd: root, context: "homelab", env })).models as [NamespaceModel];
        } catch (error) {
          if (!(error instanceof UserError) || error.message.includes("\n")) throw error;
          refused.push(`${folder}: ${error.message}`);
          continue;
        }
        const { run, manifests, log } = await tiltfileResult(dir, env);
        if (run.exitCode !== 0) {
          broken.push(`${label}/${folder}: ${log.split("\n").filter(Boolean).at(-1)}`);
          continue;
        }
        const names = manifests.map((m) => m.Name);
        if (names.includes("uncategorized")) broken.push(`${label}/${folder}: uncategorized objects`);
        const expected = [...model.resources.filter((r) => !r.localPathOnly && (r.workload || r.objects.length > 0)).map((r) => r.name), model.fluxResource];
        if (model.flux.toSuspend.length > 0) expected.push(model.suspendResource);
        expect(names.sort(), `${label}/${folder}`).toEqual(expected.sort());
        for (const forward of model.resources.flatMap((r) => r.portForwards)) {
          const owner = ports.get(forward.localPort);
          if (forward.localPort < 1024 || (owner && owner !== folder)) broken.push(`${label}/${folder}: local port ${forward.localPort} (also ${owner})`);
          ports.set(forward.localPort, folder);
        }
        for (const unit of model.builds) for (const difference of await liveOverlayDifferences(model, unit)) broken.push(`${label}/${folder}/${unit.live.dir}: ${difference}`);
        tooled++;
      }
      total += folders.length;
      counts.push(`${label}: ${folders.length - refused.length} of ${folders.length} folders get tooling`);
      for (const line of refused) counts.push(`  refused ${line}`);
    }
    console.log(counts.join("\n"));
    expect(broken).toEqual([]);
    expect(tooled / total).toBeGreaterThanOrEqual(0.95);
  });
});
