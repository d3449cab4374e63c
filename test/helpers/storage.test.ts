// Storage facts: which classes a build asks for, which claims are bound, which sub-overlays Flux uses.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifests } from "../../helpers/repository/manifests.ts";
import { findStorageOverlays, inspectStorageObjects, storageOverlaysUsedBy } from "../../helpers/namespace/storage.ts";

describe("inspectStorageObjects", () => {
  it("collects classes of claims, volumes and claim templates, bound claims and static volumes", () => {
    const objects = parseManifests(
      `
{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: media}, spec: {storageClassName: nfs, volumeName: nas-media}}
---
{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: cache}, spec: {}}
---
{apiVersion: v1, kind: PersistentVolume, metadata: {name: nas-media}, spec: {storageClassName: nfs, nfs: {server: nas, path: /media}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  template: {spec: {containers: [{name: db}]}}
  volumeClaimTemplates:
    - {metadata: {name: data}, spec: {storageClassName: longhorn}}
    - {spec: {}}
`,
      "test",
    );
    expect(inspectStorageObjects(objects)).toEqual({
      classes: ["longhorn", "nfs"],
      statefulSetTemplates: [
        { name: "db", index: 0, template: "data" },
        { name: "db", index: 1, template: "1" },
      ],
      boundClaims: ["media"],
      staticVolumes: ["nas-media"],
    });
  });

  it("finds nothing in a build without storage", () => {
    expect(
      inspectStorageObjects(parseManifests("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}", "test")),
    ).toEqual({ classes: [], statefulSetTemplates: [], boundClaims: [], staticVolumes: [] });
  });
});

describe("storage sub-overlays", () => {
  function folder(files: Record<string, string>): string {
    const root = path.join(mkdtempSync(path.join(os.tmpdir(), "storage-")), "media");
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    return root;
  }

  it("lists the folders of overlays/storage with a kustomization, and tells Components from overlays", () => {
    const root = folder({
      "overlays/storage/nfs/kustomization.yaml": "resources: [../../../base]\n",
      "overlays/storage/local-path/kustomization.yaml":
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
      "overlays/storage/notes/README.md": "not an overlay\n",
    });
    expect(findStorageOverlays(root)).toEqual([
      { name: "local-path", dir: "overlays/storage/local-path", isComponent: true },
      { name: "nfs", dir: "overlays/storage/nfs", isComponent: false },
    ]);
    expect(findStorageOverlays(path.join(root, "missing"))).toEqual([]);
  });

  it("names the sub-overlays the Flux path lists as resources or components", () => {
    const root = folder({
      "overlays/storage/nfs/kustomization.yaml": "resources: []\n",
      "overlays/storage/local-path/kustomization.yaml": "kind: Component\n",
      "overlays/prod/kustomization.yaml": "resources: [../../base, ../storage/nfs]\n",
    });
    const overlays = findStorageOverlays(root);
    expect(storageOverlaysUsedBy(root, path.join(root, "overlays/prod"), overlays)).toEqual(["nfs"]);
    expect(storageOverlaysUsedBy(root, path.join(root, "base"), overlays)).toEqual([]);
  });

  it("refuses a kustomization.yaml that is not YAML, naming the file", () => {
    const root = folder({ "overlays/storage/nfs/kustomization.yaml": "resources: [\n" });
    expect(() => findStorageOverlays(root)).toThrow(/overlays\/storage\/nfs\/kustomization\.yaml: invalid YAML/);
  });
});
