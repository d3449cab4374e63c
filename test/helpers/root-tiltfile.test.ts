import { describe, expect, it } from "vitest";
import { UserError } from "../../helpers/errors.ts";
import { rootTiltfileModel } from "../../helpers/namespace/root-tiltfile.ts";

describe("rootTiltfileModel", () => {
  it("lists namespaces by name with their Tiltfiles relative to the root", () => {
    const model = rootTiltfileModel(
      "/repo",
      [
        { name: "monitoring", folder: "/repo/infrastructure/monitoring", ports: { "grafana/3000": 3000 }, kustomizations: [] },
        { name: "media", folder: "/repo/apps/media", ports: { "sonarr/8989": 8989 }, kustomizations: [] },
      ],
      "1.2.3",
    );
    expect(model.namespaces).toEqual([
      { name: "media", tiltfile: "apps/media/Tiltfile" },
      { name: "monitoring", tiltfile: "infrastructure/monitoring/Tiltfile" },
    ]);
    expect(model.exampleArgs).toBe("media monitoring");
  });

  it("refuses two namespaces that forward the same local port", () => {
    const clash = () =>
      rootTiltfileModel(
        "/repo",
        [
          { name: "a", folder: "/repo/a", ports: { "web/8080": 8080 }, kustomizations: [] },
          { name: "b", folder: "/repo/b", ports: { "api/8080": 8080 }, kustomizations: [] },
        ],
        "1.2.3",
      );
    expect(clash).toThrow(UserError);
    expect(clash).toThrow("namespaces a and b both forward local port 8080");
  });
});

describe("a folder inside another scaffolded one", () => {
  it("is marked as run by the one holding it", () => {
    const model = rootTiltfileModel(
      "/repo",
      [
        { name: "media", folder: "/repo/kubernetes/apps/media", ports: {}, kustomizations: [] },
        { name: "jellyfin", folder: "/repo/kubernetes/apps/media/jellyfin", ports: {}, kustomizations: [] },
        { name: "media-other", folder: "/repo/kubernetes/apps/media-other", ports: {}, kustomizations: [] },
      ],
      "1.2.3",
    );
    expect(model.namespaces.map((ns) => [ns.name, ns.within])).toEqual([["jellyfin", "media"], ["media", undefined], ["media-other", undefined]]);
  });

  it("keeps apart folders that apply one Kustomization as two clusters define it, not a folder and its apps", () => {
    const model = rootTiltfileModel(
      "/repo",
      [
        { name: "production", folder: "/repo/apps/production", ports: {}, kustomizations: ["flux-system/apps"] },
        { name: "staging", folder: "/repo/apps/staging", ports: {}, kustomizations: ["flux-system/apps"] },
        { name: "media", folder: "/repo/kubernetes/apps/media", ports: {}, kustomizations: ["media/jellyfin"] },
        { name: "jellyfin", folder: "/repo/kubernetes/apps/media/jellyfin", ports: {}, kustomizations: ["media/jellyfin"] },
      ],
      "1.2.3",
    );
    expect(model.namespaces.map((ns) => [ns.name, ns.apart])).toEqual([["jellyfin", undefined], ["media", undefined], ["production", ["staging"]], ["staging", ["production"]]]);
  });
});

