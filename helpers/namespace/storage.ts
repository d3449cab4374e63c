// Storage of a namespace: classes in use, storage sub-overlays, and the local-path Component for dev.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { load } from "js-yaml";
import { UserError } from "../errors.ts";
import { specOf, type KubeObject, type PersistentVolumeClaimSpec } from "../repository/manifests.ts";
import { hasKustomization, KUSTOMIZATION_FILES } from "../repository/files.ts";

export const DEV_STORAGE_CLASS = "local-path";
export const STORAGE_OVERLAYS_DIR = "overlays/storage";

export interface StorageOverlay {
  name: string;
  /** Namespace-folder-relative directory, e.g. `overlays/storage/nfs`. */
  dir: string;
  isComponent: boolean;
}

export interface StorageFacts {
  classes: string[];
  overlays: StorageOverlay[];
  /** The storage sub-overlay(s) that the Flux path includes. */
  usedByFlux: string[];
  /** Patches the local-path Component needs beyond its rule for every claim. */
  statefulSetTemplates: { name: string; index: number; template: string }[];
  boundClaims: string[];
  staticVolumes: string[];
}

export function readKustomizationFile(dir: string): Record<string, unknown> | undefined {
  for (const name of KUSTOMIZATION_FILES) {
    let text: string;
    try {
      text = readFileSync(path.join(dir, name), "utf8");
    } catch {
      continue;
    }
    try {
      return (load(text) ?? {}) as Record<string, unknown>;
    } catch (error) {
      throw new UserError(`${path.join(dir, name)}: invalid YAML: ${(error as Error).message}`);
    }
  }
  return undefined;
}

export function findStorageOverlays(folder: string): StorageOverlay[] {
  const root = path.join(folder, STORAGE_OVERLAYS_DIR);
  let names: string[];
  try {
    names = readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && hasKustomization(path.join(root, entry.name)))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
  return names.map((name) => ({
    name,
    dir: `${STORAGE_OVERLAYS_DIR}/${name}`,
    isComponent: readKustomizationFile(path.join(root, name))?.kind === "Component",
  }));
}

/** Storage sub-overlays listed in the components or resources of the kustomization at `fluxDir`. */
export function storageOverlaysUsedBy(folder: string, fluxDir: string, overlays: StorageOverlay[]): string[] {
  const kustomization = readKustomizationFile(fluxDir);
  if (!kustomization) return [];
  const entries = [kustomization.components, kustomization.resources].flatMap((list) =>
    Array.isArray(list) ? list : [],
  );
  const referenced = new Set(
    entries.filter((e): e is string => typeof e === "string").map((e) => path.resolve(fluxDir, e)),
  );
  return overlays.filter((overlay) => referenced.has(path.resolve(folder, overlay.dir))).map((overlay) => overlay.name);
}

/** What storage the built (production) manifests ask for. */
export function inspectStorageObjects(objects: KubeObject[]) {
  const classes = new Set<string>();
  const statefulSetTemplates: StorageFacts["statefulSetTemplates"] = [];
  const boundClaims: string[] = [];
  const staticVolumes: string[] = [];
  for (const object of objects) {
    const spec = specOf(object);
    if (object.kind === "PersistentVolumeClaim") {
      const claim = spec as PersistentVolumeClaimSpec;
      if (claim.storageClassName) classes.add(claim.storageClassName);
      if (claim.volumeName) boundClaims.push(object.metadata.name);
    } else if (object.kind === "PersistentVolume") {
      if (spec.storageClassName) classes.add(spec.storageClassName);
      staticVolumes.push(object.metadata.name);
    } else if (object.kind === "StatefulSet") {
      const templates = (spec.volumeClaimTemplates ?? []) as {
        metadata?: { name?: string };
        spec?: PersistentVolumeClaimSpec;
      }[];
      templates.forEach((template, index) => {
        if (template.spec?.storageClassName) classes.add(template.spec.storageClassName);
        statefulSetTemplates.push({
          name: object.metadata.name,
          index,
          template: template.metadata?.name ?? String(index),
        });
      });
    }
  }
  return {
    classes: [...classes].sort(),
    statefulSetTemplates,
    boundClaims: boundClaims.sort(),
    staticVolumes: staticVolumes.sort(),
  };
}
