// The in-place rules against a real kube-apiserver: each case's `before` is created the way
// Flux applies (server-side, as kustomize-controller), then `after` is applied as Tilt applies
// (client-side kubectl apply) in a server-side dry run. The server accepts exactly the updates
// the rules call in place.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inPlaceViolationsOf } from "../../helpers/live-cluster/in-place.ts";
import type { KubeObject } from "../../helpers/repository/manifests.ts";
import { startTestCluster, type TestCluster } from "../support/cluster.ts";
import { IN_PLACE_CASES } from "../support/in-place-cases.ts";
import { requireRealTools } from "../support/real-tools.ts";

const ready = requireRealTools("in-place rules suite", ["etcd", "kube-apiserver"]);

describe.runIf(ready)("in-place rules on a real API server", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster();
  });
  afterAll(async () => cluster?.stop());

  it.each(IN_PLACE_CASES.map((c, index) => ({ ...c, namespace: `case-${index}` })))(
    "$name",
    async ({ before, after, namespace, inPlace }) => {
      const inNamespace = (object: KubeObject) =>
        JSON.stringify({ ...object, metadata: { ...object.metadata, namespace } });
      await cluster.kubectl(["create", "namespace", namespace]);
      await cluster.kubectl(["apply", "--server-side", "--field-manager=kustomize-controller", "-f", "-"], {
        input: inNamespace(before),
      });
      const applied = await cluster.kubectl(["apply", "--dry-run=server", "-f", "-"], {
        input: inNamespace(after),
        reject: false,
      });
      expect(applied.exitCode === 0, applied.stderr).toBe(inPlace);
      expect(inPlaceViolationsOf(before, after).length === 0).toBe(inPlace);
      // The server's refusal: "field is immutable" or "Forbidden:" make Tilt delete and re-create.
      if (!inPlace) expect(applied.stderr).toMatch(/field is immutable|Forbidden:|may not change once set/);
    },
  );
});
