// tilt_lib.star's own test Tiltfile (templates/tilt-lib/test/Tiltfile), loaded by the real Tilt:
// its expectations fail the load, and the resources it makes of a chart are checked here.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../helpers/package-root.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { kubeconfig, tiltfileResult, type TiltManifest } from "../support/tiltfile.ts";

const ready = requireRealTools("tilt_lib test Tiltfile", ["tilt"]);

describe.runIf(ready)("tilt_lib.star's test Tiltfile", () => {
  it("loads in the real Tilt, and a chart on a cluster without Flux makes a resource per workload and per forwarded Service", async () => {
    const { run, manifests } = await tiltfileResult(path.join(PACKAGE_ROOT, "templates", "tilt-lib", "test"), { KUBECONFIG: kubeconfig("kind-dev") });
    expect(run.exitCode, run.stderr).toBe(0);
    const made = Object.fromEntries(manifests.map((m) => [m.Name, m as TiltManifest & { ResourceDependencies?: string[] }]));
    expect(Object.keys(made).sort()).toEqual(["demo-argocd", "demo-argocd-pause", "kps", "kps-grafana", "kps-grafana-forward", "kps-operator", "kps-prometheus-forward"]);
    // The release's resource: what runs no pod, and the Service whose pods the operator makes.
    expect(made.kps!.DeployTarget?.yaml).toMatch(/name: kps-config[\s\S]*name: kps-prometheus\n/);
    expect(made["kps-grafana"]!.ResourceDependencies).toEqual(["kps"]);
    // Grafana's Service is applied with its workload: its forward waits for that one too.
    expect(made["kps-grafana-forward"]!.ResourceDependencies).toEqual(["kps", "kps-grafana"]);
    expect(made["kps-prometheus-forward"]!.ResourceDependencies).toEqual(["kps"]);
    // They read the Service and delete nothing: `tilt down` leaves it to the resource that applied it.
    expect(made["kps-grafana-forward"]!.DeployTarget?.applyCmd?.args).toEqual(["kubectl", "get", "--namespace", "monitoring", "--output", "yaml", "service/kps-grafana"]);
    expect(made["kps-grafana-forward"]!.DeployTarget?.deleteCmd?.args).toEqual(["true"]);
  });
});
