import { describe, expect, it } from "vitest";
import { devPatches } from "../../helpers/namespace/dev-patches.ts";
import { findWorkloads } from "../../helpers/namespace/workloads.ts";

describe("devPatches", () => {
  it("runs one replica, keeps 0, and caps only what is above the dev caps", () => {
    const workloads = findWorkloads([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "big" },
        spec: {
          replicas: 3,
          template: {
            spec: {
              containers: [
                { name: "side", resources: { limits: { memory: "64Mi" } } },
                {
                  name: "app",
                  resources: { limits: { cpu: "2000m", memory: "4Gi" }, requests: { cpu: "500m", memory: "128Mi" } },
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "parked" },
        spec: { replicas: 0, template: { spec: { containers: [] } } },
      },
      {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: "nightly" },
        spec: {
          jobTemplate: {
            spec: { template: { spec: { containers: [{ name: "c", resources: { limits: { cpu: 4 } } }] } } },
          },
        },
      },
    ]);
    expect(devPatches(workloads)).toEqual([
      {
        kind: "Deployment",
        name: "big",
        target: "big",
        ops: [
          { op: "replace", path: "/spec/replicas", value: 1 },
          { op: "replace", path: "/spec/template/spec/containers/1/resources/limits/cpu", value: "1" },
          { op: "replace", path: "/spec/template/spec/containers/1/resources/limits/memory", value: "1Gi" },
          { op: "replace", path: "/spec/template/spec/containers/1/resources/requests/cpu", value: "100m" },
        ],
      },
      {
        kind: "CronJob",
        name: "nightly",
        target: "nightly",
        ops: [
          { op: "replace", path: "/spec/jobTemplate/spec/template/spec/containers/0/resources/limits/cpu", value: "1" },
        ],
      },
    ]);
  });
});

describe("dev caps on decimal quantities", () => {
  it("caps cpu: 1.5 and memory 1.5Gi, and leaves cpu: 0.5 alone", async () => {
    const { devPatches } = await import("../../helpers/namespace/dev-patches.ts");
    const { findWorkloads } = await import("../../helpers/namespace/workloads.ts");
    const container = (cpu: string | number, memory: string) => ({
      name: "c",
      image: "i",
      resources: { limits: { cpu, memory } },
    });
    const deployment = (name: string, c: object) => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name },
      spec: { template: { spec: { containers: [c] } } },
    });
    const patches = devPatches(
      findWorkloads([
        deployment("big", container(1.5, "1.5Gi")),
        deployment("small", container("0.5", "512Mi")),
      ] as never),
    );
    expect(patches.map((p) => [p.name, p.ops.map((o) => o.path.split("/").slice(-2).join("/"))])).toEqual([
      ["big", ["limits/cpu", "limits/memory"]],
    ]);
  });
});
