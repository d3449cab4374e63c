// The other common layout (community cluster templates): kubernetes/apps/<namespace>/<app>/ks.yaml
// holds a Flux Kustomization with Flux-level components, targetNamespace and postBuild variables;
// the app folder holds a HelmRelease named after a variable.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const FILES: Record<string, string> = {
  "kubernetes/flux/apps.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: cluster-apps, namespace: flux-system}
spec: {interval: 30m, path: ./kubernetes/apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
`,
  "kubernetes/apps/kustomization.yaml": "resources: [./media]\n",
  "kubernetes/apps/media/kustomization.yaml": "namespace: media\nresources: [./sonarr/ks.yaml]\n",
  "kubernetes/apps/media/sonarr/ks.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: sonarr, namespace: flux-system}
spec:
  targetNamespace: media
  components: [../../../../components/common]
  path: ./kubernetes/apps/media/sonarr/app
  prune: true
  interval: 1h
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substitute: {APP: sonarr}
`,
  "kubernetes/apps/media/sonarr/app/kustomization.yaml": "resources: [./helmrelease.yaml]\n",
  "kubernetes/apps/media/sonarr/app/helmrelease.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: "\${APP}"}
spec:
  interval: 1h
  chartRef: {kind: OCIRepository, name: app-template}
  values: {controllers: {sonarr: {containers: {app: {image: {repository: ghcr.io/home-operations/sonarr, tag: 4.0.14}}}}}}
`,
  "kubernetes/components/common/kustomization.yaml":
    "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [./ocirepository.yaml]\n",
  "kubernetes/components/common/ocirepository.yaml": `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: app-template}
spec: {interval: 1h, url: oci://ghcr.io/bjw-s/helm/app-template, ref: {tag: 3.7.3}}
`,
};

/** Writes the layout into a temp dir (no git: the search stops at the app folder's grandparent's parent). */
export function communityLayout(): { root: string; app: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), "community-"));
  for (const [file, content] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return { root, app: path.join(root, "kubernetes/apps/media/sonarr") };
}
