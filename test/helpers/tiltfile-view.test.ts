// tiltfileView and the overlays' prose: every choice Tiltfile.hbs and dev-kustomization.yaml.hbs used to make.
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { NamespaceModel, TiltResource } from "../../helpers/namespace/model.ts";
import { devOverlayHeader, productionStorage } from "../../helpers/namespace/overlay-view.ts";
import { keyword, positional, renderArgs } from "../../helpers/namespace/starlark.ts";
import { tiltfileView } from "../../helpers/namespace/tiltfile-view.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import { EXAMPLE_ROOT } from "../support/example.ts";

// The example's media model, so the fixture keeps up with the model; each test sets what it needs.
let media: NamespaceModel;
beforeAll(async () => {
  const result = await scaffold({
    folders: [path.join(EXAMPLE_ROOT, "applications/media")],
    cwd: EXAMPLE_ROOT,
    mode: "check",
    env: { KUBECONFIG: "/nonexistent" },
  });
  media = result.models[0]!;
});

const model = (extra: Partial<NamespaceModel> = {}): NamespaceModel => ({ ...media, ...extra });
const resource = (extra: Partial<TiltResource> = {}): TiltResource => ({
  name: "jellyfin",
  attach: ["deployment/jellyfin"],
  objects: [],
  claims: [],
  localPathOnly: false,
  portForwards: [],
  extraPodSelectors: [],
  resourceDeps: [],
  notes: [],
  ...extra,
});
const argNames = (view: ReturnType<typeof tiltfileView>["resources"][number]) =>
  view.args.map((arg) => arg.name ?? arg.value);

describe("renderArgs", () => {
  it("writes positional arguments as they are and keywords as name = value", () => {
    expect(renderArgs([positional('["a"]'), keyword("enabled", "suspend")])).toBe('["a"], enabled = suspend');
  });
});

describe("tiltfileView: the usage header", () => {
  it("names the Flux cluster, or says none is recorded", () => {
    expect(tiltfileView(model({ context: "homelab" })).usage[0]).toContain("kube context homelab");
    expect(tiltfileView(model({ context: undefined })).usage[0]).toContain("none recorded");
  });

  it("tells observe mode's commands apart from develop's, and ends with a blank line", () => {
    const observe = tiltfileView(model({ observe: true, context: "homelab" })).usage;
    expect(observe.find((line) => line.startsWith("#   tilt up"))).toContain("attach to what Flux runs on homelab");
    expect(tiltfileView(model({ observe: false, context: undefined })).usage).toContain(
      "#   tilt up                          storage local-path (no Flux cluster was named)",
    );
    expect(observe.at(-1)).toBe("");
  });
});

describe("tiltfileView: what Tilt suspends", () => {
  it("pauses Argo CD's Applications when it deploys the folder", () => {
    const view = tiltfileView(
      model({
        context: "homelab",
        argocd: { ...media.argocd, toPause: ["argocd/media"], pauseResource: "media-argocd-pause" },
      }),
    );
    expect(view.suspend?.function).toBe('lib["pause_argocd"]');
    expect(renderArgs(view.suspend!.args)).toBe(
      '["argocd/media"], context = "homelab", enabled = suspend, name = "media-argocd-pause"',
    );
    expect(renderArgs(view.storageModeArgs)).toContain('applications = ["argocd/media"]');
  });

  it("suspends Flux's Kustomizations, with the dev releases, and nothing when none applies the folder", () => {
    const flux = { ...media.flux, toSuspend: ["flux-system/media"], devReleases: ["media/app"] };
    const view = tiltfileView(model({ context: undefined, flux, argocd: { ...media.argocd, toPause: [] } }));
    expect(renderArgs(view.suspend!.args)).toBe(
      `["flux-system/media"], enabled = suspend, name = ${JSON.stringify(media.suspendResource)}, dev_releases = ["media/app"]`,
    );
    expect(
      tiltfileView(model({ flux: { ...flux, toSuspend: [] }, argocd: { ...media.argocd, toPause: [] } })).suspend,
    ).toBeNull();
  });
});

describe("tiltfileView: resources", () => {
  it("chooses the call by what the resource holds: service pods, release, local-path only, workload, else a group", () => {
    const opening = (r: Partial<TiltResource>) =>
      tiltfileView(model({ observe: false, charts: [], resources: [resource(r)] })).resources[0]!.opening;
    expect(opening({ servicePods: { service: "grafana", release: "kps" }, release: true })).toBe(
      'lib["service_pods"](STORAGE, {}, "kps", "grafana", "jellyfin",',
    );
    expect(opening({ release: true, localPathOnly: true })).toBe('lib["release_resource"](STORAGE, RELEASES,');
    expect(opening({ localPathOnly: true, workload: "deployment/jellyfin" })).toBe('lib["local_path_only"](STORAGE,');
    expect(opening({ workload: "deployment/jellyfin" })).toBe("k8s_resource(");
    expect(opening({ claims: [{ name: "data", devName: "data-dev" }] })).toBe('lib["group"](');
    expect(tiltfileView(model({ observe: true, resources: [resource({ workload: "x" })] })).resources[0]!.opening).toBe(
      'lib["attach"](',
    );
  });

  it("adds the objects, Flux's objects and the claims into one expression", () => {
    const view = tiltfileView(
      model({
        observe: false,
        resources: [resource({ fluxObjects: ["media:helmrelease"], claims: [{ name: "data", devName: "data-dev" }] })],
      }),
    );
    expect(view.resources[0]!.args.find((arg) => arg.name === "objects")!.value).toBe(
      'lib["with_flux"](STORAGE, ["media:helmrelease"]) + lib["claims"](STORAGE, [("data", "data-dev")])',
    );
  });

  it("says how to forward a chart's pod port when it has no Service to forward, below its selectors", () => {
    const view = tiltfileView(
      model({
        observe: false,
        resources: [resource({ release: true, extraPodSelectors: [{ app: "x" }], podReadiness: "ignore" })],
      }),
    );
    const args = view.resources[0]!.args;
    expect(argNames(view.resources[0]!)).toEqual(["new_name", "extra_pod_selectors", "pod_readiness", "labels"]);
    expect(args[2]!.comments[1]).toContain("-- --forward jellyfin:CONTAINER_PORT:NAME");
  });
});

describe("tiltfileView: the state and buttons", () => {
  it("gives the buttons Flux's cluster and the suspend resource only in develop mode", () => {
    const flux = { ...media.flux, toSuspend: ["flux-system/media"] };
    const develop = tiltfileView(model({ observe: false, flux, argocd: { ...media.argocd, toPause: [] } })).status;
    expect(develop.buttons.args.map((arg) => arg.name)).toEqual([
      undefined,
      undefined,
      "context",
      "dir",
      "flux",
      "suspend_resource",
    ]);
    const observe = tiltfileView(model({ observe: true, flux, argocd: { ...media.argocd, toPause: [] } })).status;
    expect(observe.buttons.args.map((arg) => arg.name)).toEqual([undefined, undefined, "context", "dir"]);
    expect(observe.comments.at(-1)).toBe("# the dashboard.");
  });
});

describe("the dev overlays' prose", () => {
  it("says which cluster each overlay is for", () => {
    const build = media.builds[0]!;
    expect(devOverlayHeader(media, build.devClaims).join("\n")).toContain("claims of their own");
    expect(devOverlayHeader(media, build.live).join("\n")).toContain("tilt.dev/down-policy: keep");
    expect(devOverlayHeader(media, build.localPath).join("\n")).toContain("For a local cluster");
  });

  it("names production's storage sub-overlays, or none", () => {
    expect(productionStorage(model({ storage: { ...media.storage, usedByFlux: [] } }))).toBe("none");
    expect(productionStorage(model({ storage: { ...media.storage, usedByFlux: ["overlays/storage/nfs", "b"] } }))).toBe(
      "overlays/storage/nfs, b",
    );
  });
});
