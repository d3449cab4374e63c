// The in-place rules on their own; test/realtools/in-place.test.ts holds them to a real API server.
import { describe, expect, it } from "vitest";
import { inPlaceViolations, inPlaceViolationsOf } from "../../helpers/live-cluster/in-place.ts";
import type { KubeObject } from "../../helpers/repository/manifests.ts";
import { IN_PLACE_CASES } from "../support/in-place-cases.ts";

describe("inPlaceViolationsOf", () => {
  it.each(IN_PLACE_CASES)("$name", ({ before, after, inPlace }) => {
    expect(inPlaceViolationsOf(before, after).length === 0).toBe(inPlace);
  });

  it("names the field that would force a re-create", () => {
    const claim = IN_PLACE_CASES.find((c) => c.name === "claim: storage class changes")!;
    expect(inPlaceViolationsOf(claim.before, claim.after)).toEqual(["spec.storageClassName"]);
  });
});

describe("inPlaceViolations", () => {
  const job: KubeObject = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "migrate", namespace: "media" },
    spec: { template: {} },
  };

  it("matches objects by kind, namespace and name, and ignores objects Flux does not apply", () => {
    const sts = IN_PLACE_CASES.find((c) => c.name === "StatefulSet: volumeClaimTemplates change")!;
    const other = { ...sts.after, metadata: { ...sts.after.metadata, namespace: "elsewhere" } };
    expect(inPlaceViolations([sts.before], [other])).toEqual([]);
    expect(inPlaceViolations([sts.before], [sts.after])).toEqual([
      { object: "StatefulSet/media/postgres", field: "spec.volumeClaimTemplates" },
    ]);
  });

  it("refuses any Job Flux applies, even unchanged: Tilt labels its immutable pod template", () => {
    expect(inPlaceViolations([job], [job])).toHaveLength(1);
  });
});
