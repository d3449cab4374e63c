// Folders that Argo CD Applications deploy: found from the Applications in the repository (or
// named with --argocd-app when the Application lives in a platform repository), built as Argo CD
// builds them, and given a Tiltfile the real Tilt loads, which pauses Argo CD instead of
// suspending Flux. What Argo CD's build would differ in is refused in one line.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { scanRepository } from "../../helpers/repository/scan.ts";
import { generateTiltLibPackage } from "../../helpers/tilt-lib/package.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { kubeconfig, tiltfileResult } from "../support/tiltfile.ts";

const ready = requireRealTools("Argo CD folders", ["tilt"]);

const REMOTE = "https://git.example.org/home/gitops.git";

const application = (name: string, source: Record<string, unknown>, automated = true) =>
  JSON.stringify({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name, namespace: "argocd" },
    spec: {
      project: "default",
      source: { targetRevision: "main", ...source },
      destination: { server: "https://kubernetes.default.svc", namespace: name },
      ...(automated && { syncPolicy: { automated: { prune: true, selfHeal: true } } }),
    },
  });

const deployment = (name: string, namespace?: string) =>
  JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, ...(namespace && { namespace }) },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "web", image: "nginx:1.27", ports: [{ containerPort: 8080 }] }] },
      },
    },
  });

const service = (name: string) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
  });

/** A git work tree with `files`, its origin the remote the Applications name. */
async function repository(files: Record<string, string>, remote = REMOTE): Promise<string> {
  const top = mkdtempSync(path.join(os.tmpdir(), "argocd-folders-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(top, file)), { recursive: true });
    writeFileSync(path.join(top, file), text);
  }
  await execa("git", ["init", "--quiet", "--initial-branch=main"], { cwd: top });
  await execa("git", ["remote", "add", "origin", remote], { cwd: top });
  return top;
}

const DEMO = {
  // The ssh spelling of the same repository as origin's https one.
  "argocd/demo.yaml": application("demo", { repoURL: "git@git.example.org:home/gitops", path: "apps/demo" }),
  "apps/demo/kustomization.yaml": "resources: [deployment.yaml, service.yaml]\n",
  "apps/demo/deployment.yaml": deployment("demo"),
  "apps/demo/service.yaml": service("demo"),
  // Another repository's path of the same name: not this folder's.
  "argocd/elsewhere.yaml": application("elsewhere", {
    repoURL: "https://git.example.org/other/apps.git",
    path: "apps/demo",
  }),
};

describe.runIf(ready)("folders that Argo CD Applications deploy", () => {
  const env = { KUBECONFIG: kubeconfig("homelab") };

  it("finds the Application of this repository's folder, puts its objects in the destination namespace, and Tilt pauses it on Argo CD's cluster", async () => {
    const top = await repository(DEMO);
    const repo = await scanRepository(top, top);
    expect(repo.applications.map((a) => [`${a.namespace}/${a.name}`, a.path, a.automated])).toEqual([
      ["argocd/demo", "apps/demo", true],
    ]);
    expect(repo.namespaceFolders).toEqual(["apps/demo"]);

    const { models } = await scaffold({ folders: [path.join(top, "apps/demo")], cwd: top, context: "homelab", env });
    const model = models[0]!;
    expect([model.namespace, model.flux.toSuspend, model.argocd.toPause]).toEqual(["demo", [], ["argocd/demo"]]);
    // The dev overlay sets the destination namespace, as Argo CD does for objects that name none.
    expect(readFileSync(path.join(top, "apps/demo-dev/kustomization.yaml"), "utf8")).toMatch(/^namespace: demo$/m);

    const { run, manifests } = await tiltfileResult(model.folder, env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(manifests.map((m) => m.Name).sort()).toEqual(["demo", "demo-argocd", "demo-argocd-pause"]);
    const pause = manifests.find((m) => m.Name === "demo-argocd-pause")!;
    expect(pause.DeployTarget?.ServeCmd?.Argv?.slice(-3)).toEqual(["hold", "homelab", "argocd/demo"]);
    const applied = manifests.find((m) => m.Name === "demo")!.DeployTarget?.yaml ?? "";
    expect(applied).toMatch(/namespace: demo/);
    expect(applied).toMatch(/tilt\.dev\/down-policy: keep/);

    // On a local cluster Argo CD is not there: nothing is paused.
    const local = await tiltfileResult(model.folder, { KUBECONFIG: kubeconfig("kind-dev") });
    expect(local.run.exitCode, local.run.stderr).toBe(0);
    expect(local.manifests.map((m) => m.Name)).not.toContain("demo-argocd-pause");
  });

  it("names an Application that lives in another repository with --argocd-app, and remembers it", async () => {
    const top = await repository({
      "k8s/kustomization.yaml": "namespace: catalyst\nresources: [deployment.yaml]\n",
      "k8s/deployment.yaml": deployment("catalyst-ui"),
    });
    const folder = path.join(top, "k8s");
    const { models } = await scaffold({
      folders: [folder],
      cwd: top,
      context: "homelab",
      argocdApp: "argocd/catalyst-ui",
      env,
    });
    expect(models[0]!.argocd.toPause).toEqual(["argocd/catalyst-ui"]);
    expect(readFileSync(path.join(folder, ".tilt-scaffold.yaml"), "utf8")).toMatch(/argocdApp: argocd\/catalyst-ui/);
    const again = await scaffold({ folders: [folder], cwd: top, context: "homelab", env, mode: "check" });
    expect(again.changed).toBe(false);
    const { run, manifests } = await tiltfileResult(folder, env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(manifests.find((m) => m.Name.endsWith("-argocd-pause"))?.DeployTarget?.ServeCmd?.Argv?.slice(-1)).toEqual([
      "argocd/catalyst-ui",
    ]);
    await expect(
      scaffold({ folders: [folder], cwd: top, context: "homelab", argocdApp: "catalyst-ui", env }),
    ).rejects.toThrow("--argocd-app catalyst-ui: name the Application as NAMESPACE/NAME, e.g. argocd/catalyst-ui");
  });

  it("refuses in one line what Argo CD would build otherwise: a Helm source, a plain directory, a folder Flux applies too, an object in another namespace", async () => {
    const refusal = async (files: Record<string, string>, folder: string) => {
      const top = await repository(files);
      const error = await scaffold({ folders: [path.join(top, folder)], cwd: top, context: "homelab", env }).then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(error).not.toContain("\n");
      return error;
    };
    expect(
      await refusal(
        {
          ...DEMO,
          "argocd/demo.yaml": application("demo", {
            repoURL: REMOTE,
            path: "apps/demo",
            helm: { valueFiles: ["values.yaml"] },
          }),
        },
        "apps/demo",
      ),
    ).toBe(
      "Argo CD Application argocd/demo (argocd/demo.yaml) deploys ./apps/demo, but its source is a Helm chart with Argo CD's helm values: Tilt would apply something else than Argo CD does",
    );
    expect(
      await refusal(
        {
          "argocd/plain.yaml": application("plain", { repoURL: REMOTE, path: "apps/plain" }),
          "apps/plain/deployment.yaml": deployment("plain"),
        },
        "apps/plain",
      ),
    ).toBe(
      "Argo CD Application plain (argocd/plain.yaml) deploys ./apps/plain as a plain directory of manifests, where it would also take in the tool's own YAML files: add a kustomization.yaml listing the manifests (Argo CD then builds it with kustomize, as Tilt does)",
    );
    const flux =
      "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: demo, namespace: flux-system}\nspec: {interval: 1h, prune: true, path: ./apps/demo, sourceRef: {kind: GitRepository, name: flux-system}}\n";
    expect(await refusal({ ...DEMO, "clusters/home/demo.yaml": flux }, "apps/demo")).toBe(
      "apps/demo is deployed both by Flux Kustomization demo (clusters/home/demo.yaml) and by Argo CD Application demo (argocd/demo.yaml): each would revert what the other applies; keep one",
    );
    expect(await refusal({ ...DEMO, "apps/demo/deployment.yaml": deployment("demo", "other") }, "apps/demo")).toBe(
      "Deployment demo in apps/demo names namespace other, not demo, the destination of Argo CD Application demo (argocd/demo.yaml): the dev overlay would move it there",
    );
  });

  it("takes in the tilt-lib package's own Application as one of this repository, and refuses to scaffold the package as a namespace", async () => {
    const top = await repository(DEMO);
    await generateTiltLibPackage({ dir: "tilt-lib", cwd: top, answers: { namespaces: ["coder"], repoUrl: REMOTE } });
    const repo = await scanRepository(top, top);
    expect(repo.applications.map((a) => [`${a.namespace}/${a.name}`, a.path, a.file])).toEqual([
      ["argocd/demo", "apps/demo", "argocd/demo.yaml"],
      ["argocd/tilt-lib", "tilt-lib", "tilt-lib/argocd/application.yaml"],
    ]);
    await expect(
      scaffold({ folders: [path.join(top, "tilt-lib")], cwd: top, context: "homelab", env }),
    ).rejects.toThrow(
      /^tilt-lib is the tilt-lib package, not a namespace folder: update it with `.+ tilt-lib tilt-lib`$/,
    );
    // The namespace beside it is scaffolded as before.
    const { models } = await scaffold({ folders: [path.join(top, "apps/demo")], cwd: top, context: "homelab", env });
    expect(models[0]!.argocd.toPause).toEqual(["argocd/demo"]);
  });
});
