import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../helpers/repository/manifests.ts";
import { assignLocalPorts, forwardKey, resolveServicePorts } from "../../helpers/namespace/ports.ts";
import { findServices, findWorkloads } from "../../helpers/namespace/workloads.ts";

function deployment(
  name: string,
  containers: object[],
  extra: Record<string, unknown> = {},
  kind = "Deployment",
): KubeObject {
  return {
    apiVersion: kind === "Job" ? "batch/v1" : "apps/v1",
    kind,
    metadata: { name },
    spec: { ...extra, template: { metadata: { labels: { app: name } }, spec: { containers } } },
  };
}

function service(
  name: string,
  selector: Record<string, string>,
  ports: object[],
  extra: Record<string, unknown> = {},
): KubeObject {
  return { apiVersion: "v1", kind: "Service", metadata: { name }, spec: { selector, ports, ...extra } };
}

function resolve(objects: KubeObject[]) {
  return resolveServicePorts(findServices(objects), findWorkloads(objects));
}

describe("resolveServicePorts", () => {
  it("resolves a named targetPort on a non-first container", () => {
    const { candidates } = resolve([
      deployment("qbit", [{ name: "vpn" }, { name: "app", ports: [{ name: "webui", containerPort: 8080 }] }]),
      service("qbit", { app: "qbit" }, [{ port: 80, targetPort: "webui" }]),
    ]);
    expect(candidates).toEqual([
      expect.objectContaining({ resource: "qbit", containerPort: 8080, container: "app", service: "qbit" }),
    ]);
  });

  it("skips UDP ports, Job pods, replicas: 0, unknown names and Services that select nothing", () => {
    const { candidates, skipped } = resolve([
      deployment("web", [{ name: "web", ports: [{ name: "http", containerPort: 8000 }] }]),
      deployment("parked", [{ name: "p", ports: [{ containerPort: 9000 }] }], { replicas: 0 }),
      deployment("once", [{ name: "job", ports: [{ name: "metrics", containerPort: 9090 }] }], {}, "Job"),
      service("web", { app: "web" }, [
        { name: "dns", port: 53, protocol: "UDP" },
        { name: "admin", port: 81, targetPort: "admin" },
      ]),
      service("parked", { app: "parked" }, [{ port: 9000 }]),
      service("once", { app: "once" }, [{ port: 9090, targetPort: "metrics" }]),
      service("orphan", { app: "gone" }, [{ port: 1 }]),
      service("external", {}, [{ port: 2 }]),
    ]);
    expect(candidates).toEqual([]);
    expect(skipped.map((s) => `${s.service}:${s.port}`)).toEqual([
      "external:2",
      "once:9090",
      "orphan:1",
      "parked:9000",
      "web:dns",
      "web:admin",
    ]);
    expect(skipped.find((s) => s.port === "dns")?.reason).toMatch(/UDP/);
    expect(skipped.find((s) => s.port === "admin")?.reason).toMatch(/not a container port/);
  });

  it("makes one forward when two Services reach the same container port", () => {
    const { candidates } = resolve([
      deployment("app", [{ name: "app", ports: [{ name: "http", containerPort: 3000 }] }]),
      service("app", { app: "app" }, [{ port: 80, targetPort: "http" }]),
      service("app-alias", { app: "app" }, [{ port: 3000 }]),
    ]);
    expect(candidates.map(forwardKey)).toEqual(["app/3000"]);
  });

  it("forwards headless Services with ports", () => {
    const { candidates } = resolve([
      deployment("db", [{ name: "db", ports: [{ name: "pg", containerPort: 5432 }] }]),
      service("db", { app: "db" }, [{ port: 5432, targetPort: "pg" }], { clusterIP: "None" }),
    ]);
    expect(candidates.map(forwardKey)).toEqual(["db/5432"]);
  });
});

describe("assignLocalPorts", () => {
  const candidate = (resource: string, containerPort: number) => ({
    resource,
    containerPort,
    container: resource,
    service: resource,
    name: resource,
    hostNetwork: false,
  });

  it("moves privileged ports up by 10000 and resolves clashes upwards", () => {
    const ports = assignLocalPorts([
      candidate("a", 8080),
      candidate("b", 8080),
      candidate("c", 80),
      candidate("d", 10350),
    ]);
    expect(ports.map((p) => [p.resource, p.localPort])).toEqual([
      ["a", 8080],
      ["b", 8081],
      ["c", 10080],
      ["d", 10351],
    ]);
  });

  it("keeps the ports of the last run, even when a new forward would have wanted them", () => {
    const ports = assignLocalPorts([candidate("a", 8080), candidate("b", 8080)], { "b/8080": 8080 });
    expect(ports.map((p) => [p.resource, p.localPort])).toEqual([
      ["a", 8081],
      ["b", 8080],
    ]);
  });

  it("avoids ports taken by other namespaces", () => {
    const ports = assignLocalPorts([candidate("a", 3000)], {}, [3000, 3001]);
    expect(ports[0]!.localPort).toBe(3002);
  });
});
