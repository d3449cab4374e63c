import { describe, expect, it } from "vitest";
import { UserError } from "../../helpers/errors.ts";
import { rootTiltfileModel } from "../../helpers/namespace/root-tiltfile.ts";

describe("rootTiltfileModel", () => {
  it("lists namespaces by name with their Tiltfiles relative to the root", () => {
    const model = rootTiltfileModel(
      "/repo",
      [
        {
          name: "monitoring",
          folder: "/repo/infrastructure/monitoring",
          ports: { "grafana/3000": 3000 },
          clusters: [],
        },
        { name: "media", folder: "/repo/apps/media", ports: { "sonarr/8989": 8989 }, clusters: [] },
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
          { name: "a", folder: "/repo/a", ports: { "web/8080": 8080 }, clusters: [] },
          { name: "b", folder: "/repo/b", ports: { "api/8080": 8080 }, clusters: [] },
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
        { name: "media", folder: "/repo/kubernetes/apps/media", ports: {}, clusters: [] },
        { name: "jellyfin", folder: "/repo/kubernetes/apps/media/jellyfin", ports: {}, clusters: [] },
        { name: "media-other", folder: "/repo/kubernetes/apps/media-other", ports: {}, clusters: [] },
      ],
      "1.2.3",
    );
    expect(model.namespaces.map((ns) => [ns.name, ns.within])).toEqual([
      ["jellyfin", "media"],
      ["media", undefined],
      ["media-other", undefined],
    ]);
    expect(model.within).toEqual([{ name: "jellyfin", within: "media" }]);
  });

  it("keeps apart folders that only different clusters' Flux applies, and never a folder and its apps", () => {
    const [production, staging] = ["clusters/production/flux-system", "clusters/staging/flux-system"];
    const model = rootTiltfileModel(
      "/repo",
      [
        { name: "production", folder: "/repo/apps/production", ports: {}, clusters: [production] },
        { name: "staging", folder: "/repo/apps/staging", ports: {}, clusters: [staging] },
        { name: "infrastructure", folder: "/repo/infrastructure", ports: {}, clusters: [production, staging] },
        { name: "media", folder: "/repo/kubernetes/apps/media", ports: {}, clusters: [production] },
        { name: "jellyfin", folder: "/repo/kubernetes/apps/media/jellyfin", ports: {}, clusters: [staging] },
      ],
      "1.2.3",
    );
    expect(model.namespaces.map((ns) => [ns.name, ns.apart])).toEqual([
      ["infrastructure", undefined],
      ["jellyfin", ["production"]],
      ["media", ["staging"]],
      ["production", ["jellyfin", "staging"]],
      ["staging", ["media", "production"]],
    ]);
    expect(model.apart.map((ns) => ns.name)).toEqual(["jellyfin", "media", "production", "staging"]);
  });

  it("gives the header an example of folders that run together", () => {
    const folders = (clusters: string[][]) =>
      clusters.map((c, i) => ({ name: `${"abc"[i]}`, folder: `/repo/${"abc"[i]}`, ports: {}, clusters: c }));
    expect(rootTiltfileModel("/repo", folders([["p"], ["s"], ["p", "s"]]), "1.2.3").exampleArgs).toBe("a c");
    expect(rootTiltfileModel("/repo", folders([["p"], ["s"]]), "1.2.3").exampleArgs).toBe("a");
  });
});
