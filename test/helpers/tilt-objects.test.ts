// tiltObjectsProblem: what Tilt refuses when it loads a Tiltfile's resources over a build
// (test/realtools/tilt-objects.test.ts holds it to the real Tilt).
import { describe, expect, it } from "vitest";
import type { TiltResource } from "../../helpers/namespace/model.ts";
import { resourceSelectors, tiltObjectsProblem } from "../../helpers/namespace/tilt-objects.ts";
import { parseManifests } from "../../helpers/repository/manifests.ts";

const OBJECTS = parseManifests(
  `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: media}
spec: {template: {metadata: {labels: {app: api}}, spec: {containers: [{name: a}]}}}
---
{apiVersion: v1, kind: Service, metadata: {name: api, namespace: media}, spec: {selector: {app: api}}}
---
{apiVersion: v1, kind: ConfigMap, metadata: {name: settings, namespace: media}}
---
{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: "system:api"}}
`,
  "test",
);

function resource(name: string, fields: Partial<TiltResource> = {}): TiltResource {
  return {
    name,
    attach: [],
    objects: [],
    claims: [],
    localPathOnly: false,
    portForwards: [],
    extraPodSelectors: [],
    resourceDeps: [],
    notes: [],
    ...fields,
  };
}

const GOOD = [
  resource("api", { workload: "api" }),
  resource("media-config", { objects: ["settings:configmap", "system\\:api:clusterrole"] }),
];

describe("tiltObjectsProblem", () => {
  it("accepts every object in one resource, the workload's Service left to Tilt", () => {
    expect(tiltObjectsProblem(GOOD, "live", OBJECTS)).toBeUndefined();
  });

  it("refuses an object two resources name, a selector naming nothing, and one naming a workload", () => {
    const twice = [GOOD[0]!, GOOD[1]!, resource("other", { objects: ["settings:configmap"] })];
    expect(tiltObjectsProblem(twice, "live", OBJECTS)).toBe(
      "settings:configmap is named by both media-config and other",
    );
    const unescaped = [
      GOOD[0]!,
      resource("media-config", { objects: ["settings:configmap", "system:api:clusterrole"] }),
    ];
    expect(tiltObjectsProblem(unescaped, "live", OBJECTS)).toBe(
      "resource media-config names system:api:clusterrole, which is not in the build",
    );
    const workload = [GOOD[0]!, resource("media-config", { objects: [...GOOD[1]!.objects, "api:deployment"] })];
    expect(tiltObjectsProblem(workload, "live", OBJECTS)).toBe("api:deployment is named by both api and media-config");
  });

  it("refuses an object no resource holds, and a wait for a resource the Tiltfile does not make", () => {
    expect(tiltObjectsProblem([GOOD[0]!], "live", OBJECTS)).toBe(
      "no resource holds ConfigMap settings: Tilt would list it as uncategorized",
    );
    const waits = [
      resource("api", { workload: "api", resourceDeps: ["media-storage"] }),
      GOOD[1]!,
      resource("media-storage", { claims: [{ name: "data", devName: "data-dev" }] }),
    ];
    expect(tiltObjectsProblem(waits, "live", OBJECTS)).toBe("resource api waits for media-storage, which it has not");
  });
});

describe("resourceSelectors", () => {
  it("names a resource's claims by storage, and makes no resource of nothing or of local-path only on the Flux cluster", () => {
    const claims = resource("media-storage", { claims: [{ name: "data", devName: "data-dev" }] });
    expect([
      resourceSelectors(claims, "live"),
      resourceSelectors(claims, "local-path"),
      resourceSelectors(claims, "dev-claims"),
    ]).toEqual([undefined, ["data:persistentvolumeclaim"], ["data-dev:persistentvolumeclaim"]]);
    const job = resource("migrate", { workload: "migrate", localPathOnly: true });
    expect([resourceSelectors(job, "live"), resourceSelectors(job, "local-path")]).toEqual([undefined, []]);
  });
});
