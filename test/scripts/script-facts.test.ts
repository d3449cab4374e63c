// scriptFacts: what dashboard.sh and deploy.sh know beyond the model, and that it is safe to print into bash.
import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { FluxKustomization } from "../../helpers/repository/flux.ts";
import type { FluxBuild, NamespaceModel } from "../../helpers/namespace/model.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import {
  dashboardKinds,
  deployBuilds,
  scriptFacts,
  scriptJson,
  shellQuote,
} from "../../helpers/namespace/script-facts.ts";
import { EXAMPLE_ROOT } from "../support/example.ts";

function kustomization(name: string, extra: Partial<FluxKustomization> = {}): FluxKustomization {
  return {
    name,
    namespace: "flux-system",
    file: `clusters/home/${name}.yaml`,
    path: "apps/media/overlays/prod",
    suspend: false,
    dependsOn: [],
    sourceRef: { kind: "GitRepository", name: "flux-system", namespace: "flux-system" },
    ...extra,
  };
}

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

function model(flux: Partial<NamespaceModel["flux"]> = {}, extra: Partial<NamespaceModel> = {}): NamespaceModel {
  const none = { kustomizations: [], toSuspend: [], alreadySuspended: [], ancestors: [], branch: undefined };
  return {
    ...media,
    folder: "/repo/apps/media",
    folderInRepo: "apps/media",
    repoRoot: "/repo",
    context: undefined,
    resources: [],
    builds: [fluxBuild("media", "base")],
    ...extra,
    flux: { ...media.flux, ...none, ...flux },
  } as NamespaceModel;
}

/** One Flux build of the folder, with the example's overlays. */
function fluxBuild(name: string, dir: string, extra: Partial<FluxBuild> = {}): FluxBuild {
  return {
    ...media.builds[0]!,
    name,
    path: dir,
    components: [],
    kustomizations: [],
    substitutes: false,
    variables: [],
    missingVariables: [],
    unresolvedSources: [],
    ...extra,
  };
}

/** What bash makes of a shell-quoted word. */
async function bashWord(word: string): Promise<string> {
  const { stdout } = await execa("bash", ["-c", `printf '%s' ${word}`], { stripFinalNewline: false });
  return stdout;
}

describe("scriptJson", () => {
  it("is one bash word that jq reads back as the document", async () => {
    const facts = { name: "it's", value: "$(id) `id` ${HOME}\nnext", list: [1, "'"] };
    const { stdout } = await execa("bash", ["-c", `readonly FACTS=${scriptJson(facts)}; jq -c . <<<"$FACTS"`]);
    expect(JSON.parse(stdout)).toEqual(facts);
  });
});

describe("shellQuote", () => {
  it.each(["plain", "it's", '"', "$(rm -rf /)", "`id`", "a\nb", "${HOME}", "\\", ""])(
    "bash reads %j back unchanged",
    async (value) => {
      expect(await bashWord(shellQuote(value))).toBe(value);
    },
  );
});

describe("deployBuilds", () => {
  it("validates the first build without substitution when no Kustomization applies the folder", () => {
    expect(deployBuilds(model({}, { builds: [fluxBuild("media", "overlays/prod")] }))).toEqual([
      {
        dir: "overlays/prod",
        components: [],
        kustomizations: [],
        substitutes: false,
        variables: {},
        secrets: [],
        undefined: [],
      },
    ]);
  });

  it("gives each Flux build its components and variables, newlines removed from substitute values as Flux does", () => {
    const builds = deployBuilds(
      model(
        {},
        {
          builds: [
            fluxBuild("sonarr", "sonarr/app", {
              components: ["components/volsync"],
              kustomizations: ["flux-system/sonarr"],
              substitutes: true,
              variables: [{ name: "APP", value: "sonarr", secret: false, source: "substitute" }],
            }),
            fluxBuild("radarr", "radarr/app", {
              kustomizations: ["flux-system/radarr"],
              substitutes: true,
              variables: [
                { name: "APP", value: "radarr", secret: false, source: "substitute" },
                { name: "DOMAIN", value: "home.example", secret: false, source: "ConfigMap/cluster-settings" },
                { name: "NOTE", value: "two\nlines", secret: false, source: "substitute" },
                { name: "TOKEN", secret: true, source: "Secret/cluster-secrets" },
              ],
              missingVariables: ["UNSET"],
            }),
          ],
        },
      ),
    );
    expect(builds.map((b) => [b.dir, b.components, b.kustomizations])).toEqual([
      ["sonarr/app", ["components/volsync"], ["flux-system/sonarr"]],
      ["radarr/app", [], ["flux-system/radarr"]],
    ]);
    // Each build carries its own: deploy_lib.sh reads them by the build's index.
    expect(builds[0]!.variables).toEqual({ APP: "sonarr" });
    expect(builds[1]!.variables).toEqual({ APP: "radarr", DOMAIN: "home.example", NOTE: "twolines" });
    expect(builds[1]!.secrets).toEqual(["TOKEN"]);
    expect(builds[1]!.undefined).toEqual(["UNSET"]);
  });

  it("substitutes nothing for a build without postBuild, as Flux does", () => {
    const [build] = deployBuilds(
      model(
        {},
        {
          builds: [
            fluxBuild("media", "overlays/prod", {
              kustomizations: ["flux-system/media"],
              variables: [{ name: "X", value: "1", secret: false, source: "ConfigMap/c" }],
            }),
          ],
        },
      ),
    );
    expect(build).toMatchObject({ substitutes: false, variables: {}, secrets: [], undefined: [] });
  });

  it("validates a build for the Kustomizations not suspended in git, and none whose Kustomizations all are", () => {
    const builds = deployBuilds(
      model(
        { alreadySuspended: [kustomization("c", { suspend: true })] },
        {
          builds: [
            fluxBuild("a", "overlays/prod", { kustomizations: ["flux-system/a", "flux-system/b"] }),
            fluxBuild("c", "base", { kustomizations: ["flux-system/c"] }),
          ],
        },
      ),
    );
    expect(builds).toEqual([
      expect.objectContaining({ dir: "overlays/prod", kustomizations: ["flux-system/a", "flux-system/b"] }),
    ]);
  });
});

describe("dashboardKinds", () => {
  const resource = (objects: string[]) => ({
    name: "app",
    attach: [],
    objects,
    claims: [],
    localPathOnly: false,
    portForwards: [],
    extraPodSelectors: [],
    resourceDeps: [],
    notes: [],
  });

  it("asks only for the CRD kinds this folder uses: kubectl fails a whole call on an unserved kind", () => {
    expect(dashboardKinds(model())).toEqual([]);
    expect(
      dashboardKinds(
        model(
          { kustomizations: [kustomization("media")] },
          { resources: [resource(["app:ingress", "app:configmap"])] },
        ),
      ),
    ).toEqual(["kustomizations.kustomize.toolkit.fluxcd.io"]);
    expect(
      dashboardKinds(
        model({}, { resources: [resource(["a:httproute"]), resource(["b:ingressroute", "c:ingressroute"])] }),
      ),
    ).toEqual(["ingressroutes.traefik.io", "httproutes.gateway.networking.k8s.io"]);
    // A folder with HelmReleases (Flux's objects of the model): helm-controller's kind too, listed in the same call.
    expect(
      dashboardKinds(
        model(
          { kustomizations: [kustomization("monitoring")] },
          { resources: [{ ...resource([]), fluxObjects: ["echo-server:helmrelease"] }] },
        ),
      ),
    ).toEqual(["kustomizations.kustomize.toolkit.fluxcd.io", "helmreleases.helm.toolkit.fluxcd.io"]);
    // Names with an escaped colon: the kind is the part after the first unescaped one.
    expect(
      dashboardKinds(model({}, { resources: [resource(["gw\\:a:httproute", "x\\:helmrelease:configmap"])] })),
    ).toEqual(["httproutes.gateway.networking.k8s.io"]);
  });

  it("is what the example's media dashboard lists in its second call", () => {
    expect(scriptFacts(media).dashboard.crdKinds).toEqual([
      "kustomizations.kustomize.toolkit.fluxcd.io",
      "ingressroutes.traefik.io",
    ]);
  });
});

describe("scriptFacts", () => {
  it("reconciles only the Kustomizations not suspended in git, through their own source", () => {
    const facts = scriptFacts(
      model({
        kustomizations: [
          kustomization("media"),
          kustomization("old", { suspend: true }),
          kustomization("oci", { sourceRef: { kind: "OCIRepository", name: "charts", namespace: "flux-system" } }),
        ],
        branch: "main",
      }),
    );
    expect(facts.deploy.reconciled.map((k) => [k.ref, k.sourceNamespace, k.sourceResource])).toEqual([
      ["flux-system/media", "flux-system", "gitrepositories.source.toolkit.fluxcd.io/flux-system"],
      ["flux-system/oci", "flux-system", "ocirepositories.source.toolkit.fluxcd.io/charts"],
    ]);
    expect(facts).toMatchObject({
      repoRootFromFolder: "../..",
      source: "flux-system/flux-system",
      folder: "apps/media",
    });
    expect(facts.deploy).toMatchObject({
      branch: "main",
      engine: "Flux",
      folder: "apps/media",
      updateCommand: `${media.generatorCommand} namespace apps/media`,
    });
  });

  it("carries any legal branch name into deploy.sh, as jq reads it back from the quoted document", async () => {
    for (const branch of ["rel@2024", "feat/x+y", "it's"]) {
      const quoted = scriptFacts(model({ branch })).deployJson;
      const { stdout } = await execa("bash", ["-c", `readonly FACTS=${quoted}; jq -r .branch <<<"$FACTS"`]);
      expect(stdout).toBe(branch);
    }
    expect(scriptFacts(model()).deploy.branch).toBe("");
  });

  it("has deploy.sh wait for Argo CD instead of Flux when Applications deploy the folder", () => {
    const facts = scriptFacts(model({}, { argocd: { ...media.argocd, toPause: ["argocd/media"] } }));
    expect(facts.deploy).toMatchObject({ engine: "Argo CD", applications: ["argocd/media"] });
    expect(facts.dashboard.applications).toEqual([{ namespace: "argocd", name: "media" }]);
  });

  it("quotes the kube context and reports variable names Flux would reject", () => {
    const facts = scriptFacts(
      model(
        {},
        {
          context: "admin@home's",
          builds: [
            fluxBuild("media", "base", {
              variables: [{ name: "my.var", value: "x", secret: false, source: "ConfigMap/settings" }],
            }),
          ],
        },
      ),
    );
    expect(facts.deploy.context).toBe("admin@home's");
    expect(facts.dashboard.context).toBe("admin@home's");
    expect(facts.deploy.invalidVariables).toEqual(["my.var (ConfigMap/settings)"]);
    expect(scriptFacts(model()).deploy.context).toBe("");
  });

  it("gives the dashboard Tilt's local ports per Service", () => {
    const forward = {
      resource: "jellyfin",
      containerPort: 8096,
      container: "app",
      name: "jellyfin",
      hostNetwork: false,
    };
    const facts = scriptFacts(
      model(
        {},
        {
          resources: [
            {
              name: "jellyfin",
              workload: "jellyfin",
              attach: [],
              objects: [],
              claims: [],
              localPathOnly: false,
              extraPodSelectors: [],
              resourceDeps: [],
              notes: [],
              portForwards: [{ ...forward, service: "jellyfin", localPort: 8096 }],
            },
            {
              name: "homepage",
              workload: "homepage",
              attach: [],
              objects: [],
              claims: [],
              localPathOnly: false,
              extraPodSelectors: [],
              resourceDeps: [],
              notes: [],
              portForwards: [
                { ...forward, resource: "homepage", containerPort: 80, service: "homepage", localPort: 10080 },
              ],
            },
          ],
        },
      ),
    );
    expect(facts.dashboard.forwards).toEqual([
      { service: "homepage", localPort: 10080, containerPort: 80 },
      { service: "jellyfin", localPort: 8096, containerPort: 8096 },
    ]);
  });

  it("refuses a path the scripts could not carry unquoted", () => {
    expect(() => scriptFacts(model({}, { folderInRepo: "apps/my media" }))).toThrow(/cannot carry unquoted/);
    expect(() => scriptFacts(model({ kustomizations: [kustomization("m", { file: "clusters/$(x).yaml" })] }))).toThrow(
      /cannot carry unquoted/,
    );
  });
});
