// Service ports → workload container ports → local ports Tilt forwards.
import { UserError } from "../errors.ts";
import { workloadsSelectedBy, type Service, type ServicePort, type Workload } from "./workloads.ts";

export interface PortForward {
  /** Tilt resource (workload) that gets the forward. */
  resource: string;
  localPort: number;
  containerPort: number;
  container: string;
  service: string;
  /** Readable link name shown by Tilt. */
  name: string;
  hostNetwork: boolean;
}

export interface SkippedPort {
  service: string;
  port: string;
  reason: string;
}

/** Tilt's own web UI listens here. */
export const TILT_UI_PORT = 10350;
/** Ports below this need root to bind locally: they are moved up by PRIVILEGED_PORT_OFFSET. */
export const FIRST_UNPRIVILEGED_PORT = 1024;
export const PRIVILEGED_PORT_OFFSET = 10000;

/** Where a forward would like to listen: the container port, or it + 10000 when privileged. */
export function preferredLocalPort(containerPort: number): number {
  return containerPort < FIRST_UNPRIVILEGED_PORT ? containerPort + PRIVILEGED_PORT_OFFSET : containerPort;
}

/** Key that identifies a forward across runs, for keeping its local port stable. */
export function forwardKey(forward: { resource: string; containerPort: number }): string {
  return `${forward.resource}/${forward.containerPort}`;
}

export type Candidate = Omit<PortForward, "localPort">;

/**
 * Forwards given as answers, `RESOURCE:CONTAINER_PORT[:NAME]`, for pods this folder does not
 * describe, such as those of a HelmRelease's chart. `resources` are the Tilt resources they may name.
 */
export function answeredForwards(answers: string[], resources: string[]): Candidate[] {
  return answers.map((answer) => {
    const match = /^([a-z0-9][-a-z0-9.]*):(\d{1,5})(?::([-\w.]+))?$/.exec(answer);
    const containerPort = Number(match?.[2]);
    if (!match || containerPort < 1 || containerPort > 65535) {
      throw new UserError(
        `--forward ${answer}: expected RESOURCE:CONTAINER_PORT[:NAME], e.g. kube-prometheus-stack:3000:grafana`,
      );
    }
    const resource = match[1]!;
    if (!resources.includes(resource))
      throw new UserError(`--forward ${answer}: no Tilt resource ${resource} (there are: ${resources.join(", ")})`);
    const name = match[3] ?? `${resource}:${containerPort}`;
    return { resource, containerPort, container: "", service: "--forward", name, hostNetwork: false };
  });
}

/**
 * Resolves every TCP Service port to the container port of each workload the Service selects.
 * A named targetPort is looked up across all containers of the pod, not just the first.
 */
export function resolveServicePorts(services: Service[], workloads: Workload[]) {
  const candidates: Candidate[] = [];
  const skipped: SkippedPort[] = [];
  for (const service of [...services].sort((a, b) => a.name.localeCompare(b.name))) {
    const selected = workloadsSelectedBy(service, workloads);
    const tcpPorts = service.ports.filter((port) => (port.protocol ?? "TCP") === "TCP");
    for (const port of service.ports) {
      const label = port.name ?? String(port.port);
      const skip = (reason: string) => skipped.push({ service: service.name, port: label, reason });
      if ((port.protocol ?? "TCP") !== "TCP") {
        skip(`${port.protocol} (port-forward carries TCP only)`);
        continue;
      }
      if (Object.keys(service.selector).length === 0) {
        skip("the Service has no selector");
        continue;
      }
      if (selected.length === 0) {
        skip("the Service selects no workload of this namespace");
        continue;
      }
      for (const workload of selected) {
        if (workload.kind === "Job" || workload.kind === "CronJob") {
          skip(`it selects the pods of ${workload.kind} ${workload.name}, which run to completion`);
          continue;
        }
        if (workload.replicas === 0) {
          skip(`${workload.kind} ${workload.name} has replicas: 0`);
          continue;
        }
        const target = resolveTargetPort(port, workload);
        if (!target) {
          skip(`targetPort ${String(port.targetPort)} is not a container port of ${workload.name}`);
          continue;
        }
        candidates.push({
          resource: workload.resource,
          containerPort: target.containerPort,
          container: target.container,
          service: service.name,
          name: tcpPorts.length > 1 ? `${service.name}:${label}` : service.name,
          hostNetwork: workload.hostNetwork,
        });
      }
    }
  }
  return { candidates: dedupe(candidates), skipped };
}

function resolveTargetPort(
  port: ServicePort,
  workload: Workload,
): { containerPort: number; container: string } | undefined {
  const target = port.targetPort ?? port.port;
  for (const container of workload.containers) {
    for (const declared of container.ports ?? []) {
      const matches = typeof target === "number" ? declared.containerPort === target : declared.name === target;
      if (matches) return { containerPort: declared.containerPort, container: container.name };
    }
  }
  // A numeric targetPort needs no declaration in the pod: it still reaches the first container.
  const first = workload.containers[0];
  if (typeof target === "number" && first) return { containerPort: target, container: first.name };
  return undefined;
}

/** Two Services (or two ports) reaching the same container port make one forward. */
function dedupe(candidates: Candidate[]): Candidate[] {
  const seen = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const key = forwardKey(candidate);
    if (!seen.has(key)) seen.set(key, candidate);
  }
  return [...seen.values()].sort((a, b) => a.resource.localeCompare(b.resource) || a.containerPort - b.containerPort);
}

/**
 * Gives each forward a local port: the one it had last time when still free, else its
 * preferred port, else the next free one above. `taken` holds ports used elsewhere
 * (Tilt's UI, other namespaces of a root Tiltfile).
 */
export function assignLocalPorts(
  candidates: Candidate[],
  previous: Record<string, number> = {},
  taken: Iterable<number> = [TILT_UI_PORT],
): PortForward[] {
  const used = new Set(taken);
  const result = new Map<Candidate, number>();
  // Remembered ports first, so a new forward never takes a port an old one had.
  for (const candidate of candidates) {
    const remembered = previous[forwardKey(candidate)];
    if (remembered !== undefined && !used.has(remembered) && remembered >= FIRST_UNPRIVILEGED_PORT) {
      used.add(remembered);
      result.set(candidate, remembered);
    }
  }
  for (const candidate of candidates) {
    if (result.has(candidate)) continue;
    let port = preferredLocalPort(candidate.containerPort);
    while (used.has(port) || port > 65535) port = port > 65535 ? FIRST_UNPRIVILEGED_PORT : port + 1;
    used.add(port);
    result.set(candidate, port);
  }
  return candidates.map((candidate) => ({ ...candidate, localPort: result.get(candidate)! }));
}
