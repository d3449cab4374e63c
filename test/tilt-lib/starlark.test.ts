// tilt_lib.star's own test Tiltfiles (templates/tilt-lib/test/Tiltfile for the entry point, and
// test/<part>/Tiltfile for each tilt_lib_<part>.star), loaded by the real Tilt: their
// expectations fail the load, and the resources they make are checked here.
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../helpers/package-root.ts";
import { TILT_LIB_PARTS } from "../../helpers/templates.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { kubeconfig, tiltfileResult, type TiltManifest } from "../support/tiltfile.ts";

const ready = requireRealTools("tilt_lib test Tiltfiles", ["tilt"]);
const TESTS = path.join(PACKAGE_ROOT, "templates", "tilt-lib", "test");

type Manifest = TiltManifest & {
  ResourceDependencies?: string[];
  DeployTarget?: TiltManifest["DeployTarget"] & {
    UpdateCmdSpec?: { args: string[] };
    ServeCmd?: { Argv?: string[]; Env?: string[] };
  };
};

async function load(part: string): Promise<Record<string, Manifest>> {
  const { run, manifests } = await tiltfileResult(path.join(TESTS, part), { KUBECONFIG: kubeconfig("kind-dev") });
  expect(run.exitCode, run.stderr).toBe(0);
  return Object.fromEntries(manifests.map((m) => [m.Name, m as Manifest]));
}

describe("tilt_lib's parts", () => {
  it("each tilt_lib_<part>.star has a test Tiltfile of its own", () => {
    const tests = readdirSync(TESTS, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `tilt_lib_${e.name}.star`);
    expect(tests.sort()).toEqual(TILT_LIB_PARTS.filter((part) => part !== "tilt_lib.star").sort());
  });
});

describe.runIf(ready)("tilt_lib.star's test Tiltfiles", () => {
  it("the entry point loads its parts relative to itself and exports their names", async () => {
    expect(await load(".")).toEqual({});
  });

  it("storage: the mode follows the kube context; a local-path-only resource is made with local-path storage only", async () => {
    expect(Object.keys(await load("storage"))).toEqual(["migrate"]);
  });

  it("flux: suspend, status and buttons pass their data to one script as arguments", async () => {
    const made = await load("flux");
    expect(Object.keys(made).sort()).toEqual(["local-flux", "media-flux", "media-flux-suspend"]);
    const serve = made["media-flux-suspend"]!.DeployTarget!.ServeCmd!;
    expect(serve.Argv!.slice(0, 2)).toEqual(["bash", "-c"]);
    expect(serve.Argv!.slice(3)).toEqual([
      "flux-kustomizations",
      "hold",
      "homelab",
      "flux-system/media",
      "flux-system/media-data",
    ]);
    expect(serve.Env).toContain("DEV_RELEASES=media/app");
    expect(made["media-flux"]!.DeployTarget!.UpdateCmdSpec!.args.slice(3)).toEqual([
      "flux-kustomizations",
      "get",
      "homelab",
      "flux-system/media",
      "flux-system/media-data",
    ]);
    expect(made["local-flux"]!.DeployTarget!.UpdateCmdSpec!.args).toEqual([
      "echo",
      "Flux does not manage this cluster (storage local-path)",
    ]);
  });

  it("flux_build: substitution and a build", async () => {
    expect(await load("flux_build")).toEqual({});
  });

  it("charts: a chart on a cluster without Flux makes a resource per workload and per forwarded Service", async () => {
    const made = await load("charts");
    expect(Object.keys(made).sort()).toEqual([
      "flux-app",
      "kps",
      "kps-grafana",
      "kps-grafana-forward",
      "kps-operator",
      "kps-prometheus-forward",
    ]);
    // The release's resource: what runs no pod, and the Service whose pods the operator makes.
    expect(made.kps!.DeployTarget?.yaml).toMatch(/name: kps-config[\s\S]*name: kps-prometheus\n/);
    expect(made["kps-grafana"]!.ResourceDependencies).toEqual(["kps"]);
    // Grafana's Service is applied with its workload: its forward waits for that one too.
    expect(made["kps-grafana-forward"]!.ResourceDependencies).toEqual(["kps", "kps-grafana"]);
    expect(made["kps-prometheus-forward"]!.ResourceDependencies).toEqual(["kps"]);
    // They read the Service and delete nothing: `tilt down` leaves it to the resource that applied it.
    expect(made["kps-grafana-forward"]!.DeployTarget?.applyCmd?.args).toEqual([
      "kubectl",
      "get",
      "--namespace",
      "monitoring",
      "--output",
      "yaml",
      "service/kps-grafana",
    ]);
    expect(made["kps-grafana-forward"]!.DeployTarget?.deleteCmd?.args).toEqual(["true"]);
  });

  it("resources: a group of what no workload owns, none of nothing, and attach reads and deletes nothing", async () => {
    const made = await load("resources");
    expect(Object.keys(made).sort()).toEqual(["jellyfin", "media-config"]);
    expect(made.jellyfin!.DeployTarget?.applyCmd?.args).toEqual([
      "kubectl",
      "--context",
      "homelab",
      "get",
      "--namespace",
      "media",
      "--output",
      "yaml",
      "deployment/jellyfin",
    ]);
    expect(made.jellyfin!.DeployTarget?.deleteCmd?.args).toEqual(["true"]);
  });

  it("argocd: a pause process while Tilt runs and a status resource", async () => {
    const made = await load("argocd");
    expect(Object.keys(made).sort()).toEqual(["demo-argocd", "demo-argocd-pause", "local-argocd"]);
    expect(made["demo-argocd-pause"]!.DeployTarget!.ServeCmd!.Argv!.slice(-3)).toEqual([
      "hold",
      "kind-dev",
      "argocd/demo",
    ]);
    expect(made["demo-argocd"]!.DeployTarget!.UpdateCmdSpec!.args.slice(0, 4)).toEqual([
      "kubectl",
      "--context",
      "kind-dev",
      "get",
    ]);
  });

  it("buttons: Tilt takes buttons of argv lists and of a shell command", async () => {
    expect(Object.keys(await load("buttons"))).toEqual(["demo"]);
  });
});
