// What the dev overlays' kustomization.yaml files say in prose, decided from the model: the
// templates of the overlays write these comment lines out.
import type { DevBuild, NamespaceModel } from "./model.ts";

/** The header of a dev overlay after its first three lines: what it builds on, and for which cluster. */
export function devOverlayHeader(model: NamespaceModel, build: DevBuild): string[] {
  const engine = model.engine.name;
  const { storageClass, limits, requests } = model.devPolicy;
  const caps = `limits at cpu ${limits.cpu} / memory ${limits.memory} and requests at cpu ${requests.cpu} / memory ${requests.memory}`;
  const buildsOn = build.generated
    ? [
        `# It builds on what Flux applies, ./${build.fluxPath}, which has no kustomization.yaml: its resources`,
        "# are those of the one Flux generates (every manifest below it, each folder with a kustomization.yaml",
        "# whole, nothing .sourceignore names). Re-run the command above when files come or go there.",
      ]
    : [`# It builds on what ${engine} applies, ./${build.fluxPath}.`];
  if (build.ownClaims) {
    return [
      ...buildsOn,
      `# For the cluster ${engine} manages with \`tilt up -- --storage=local-path\`: like ../, the live overlay,`,
      `# in-place changes only over what ${engine} applies and everything ${engine} applies kept on \`tilt down\`,`,
      `# but the workloads get claims of their own on ${storageClass}, named <claim>-dev, which`,
      `# \`tilt down\` deletes. ${engine}'s claims, and StatefulSets' volumeClaimTemplates, stay as they are.`,
    ];
  }
  if (build.keepOnDown) {
    return [
      ...buildsOn,
      `# For the cluster ${engine} manages (\`tilt up -- --storage=live\`): it changes only what the API server`,
      `# updates in place. It runs one replica of what runs several and caps limits at cpu ${limits.cpu} /`,
      `# memory ${limits.memory} and requests at cpu ${requests.cpu} / memory ${requests.memory}. Claims, volumes, Jobs and`,
      "# SOPS-encrypted Secrets are left out, so the live ones stay, and every object is annotated",
      `# tilt.dev/down-policy: keep, so \`tilt down\` hands it back to ${engine} instead of deleting it.`,
    ];
  }
  return [
    ...buildsOn,
    "# For a local cluster (`tilt up -- --storage=local-path`), where nothing of this namespace exists",
    `# yet: it puts every claim on ${storageClass}, runs one replica of what runs several and caps`,
    `# ${caps}.`,
  ];
}

/** The storage sub-overlays production keeps, as the local-path Component's header names them. */
export function productionStorage(model: NamespaceModel): string {
  return model.storage.usedByFlux.length > 0 ? model.storage.usedByFlux.join(", ") : "none";
}
