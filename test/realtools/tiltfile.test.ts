// Every generated Tiltfile, loaded by the real Tilt (`tilt alpha tiltfile-result`), and what
// Tilt would apply compared with what Flux would apply (kustomize + `flux envsubst`).
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { NamespaceModel } from "../../helpers/namespace/model.ts";
import { scaffold } from "../../helpers/scaffold.ts";
import { UserError } from "../../helpers/errors.ts";
import { TILT_LIB_VERSION } from "../../helpers/version.ts";
import { TILT_LIB_PARTS } from "../../helpers/templates.ts";
import { substituteVariables } from "../../helpers/repository/flux.ts";
import { communityLayout } from "../support/community-layout.ts";
import { copyExample, EXAMPLE_NAMESPACES, EXAMPLE_ROOT } from "../support/example.ts";
import { copyFixture, realRepositories } from "../support/fixtures.ts";
import { toolPath } from "../support/cluster.ts";
import { requireRealTools } from "../support/real-tools.ts";
import { resourceSelectors } from "../../helpers/namespace/tilt-objects.ts";
import { kubeconfig, tiltfileResult } from "../support/tiltfile.ts";
import { buildAsFlux } from "../support/flux-build.ts";

const ready = requireRealTools("Tiltfile suite", ["tilt", "flux"]);

/** Tilt re-serialises objects through Go types, which adds empty defaults (`strategy: {}`). */
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value)
    .map(([key, v]) => [key, withoutEmpty(v)] as const)
    .filter(
      ([, v]) => v !== null && !(typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0),
    );
  return Object.fromEntries(entries);
}

function objectsOf(yaml: string): Record<string, any>[] {
  return parseAllDocuments(yaml)
    .map((doc) => withoutEmpty(doc.toJS()) as Record<string, any> | null)
    .filter((o): o is Record<string, any> => o !== null)
    .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

const MODES = [
  { storage: "live", current: "homelab", args: [], dir: "overlays/dev", kind: "live" },
  { storage: "local-path", current: "kind-dev", args: [], dir: "overlays/dev/local-path", kind: "localPath" },
  {
    storage: "dev-claims",
    current: "homelab",
    args: ["--storage=local-path"],
    dir: "overlays/dev/dev-claims",
    kind: "devClaims",
  },
] as const;

/** Escapes, defaults and unset variables: where tilt_lib, the generator and `flux envsubst` must agree. */
const SUBSTITUTION_CASES = [
  "${A}",
  "$${A}",
  "$$${A}",
  "x$$",
  "$HOME",
  "${UNSET}",
  "${A:=d}",
  "${UNSET:=d}",
  "${EMPTY:-d}",
  "${EMPTY=d}",
  "${A=d}",
  "a$b$$c",
  "${A}$${A}${A}",
  "${UNSET:-${A}}",
  "${A:-${UNSET}}",
  "${UNSET:=${EMPTY:-d}}",
  "x${UNSET:-${A}-y}z",
];

describe.runIf(ready)("generated Tiltfiles in the real Tilt", () => {
  let models: NamespaceModel[];
  /** A copy of the example scaffolded for the cluster Flux manages, kube context `homelab`. */
  let repo: string;
  beforeAll(async () => {
    const result = await scaffold({
      folders: EXAMPLE_NAMESPACES.map((ns) => path.join(EXAMPLE_ROOT, ns)),
      cwd: EXAMPLE_ROOT,
      mode: "check",
      env: { KUBECONFIG: "/nonexistent" },
    });
    models = result.models;
    repo = copyExample();
    await scaffold({
      folders: EXAMPLE_NAMESPACES.map((ns) => path.join(repo, ns)),
      cwd: repo,
      context: "homelab",
      env: { KUBECONFIG: kubeconfig("homelab") },
    });
  });

  const cases = EXAMPLE_NAMESPACES.flatMap((ns) => MODES.map((mode) => ({ ns, ...mode })));

  it.each(cases)(
    "$ns, storage $storage: loads with one resource per model resource of that mode, nothing uncategorized",
    async ({ ns, storage, current, args }) => {
      const model = models.find((m) => m.folderInRepo === ns)!;
      const { run, manifests } = await tiltfileResult(path.join(repo, ns), { KUBECONFIG: kubeconfig(current) }, [
        ...args,
      ]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stderr).toContain(
        `tilt_lib: storage ${storage === "dev-claims" ? "local-path" : storage} on kube context ${current}`,
      );
      const names = manifests.map((m) => m.Name).sort();
      // A resource holding nothing in this mode (only claims with live storage) is not made; on a
      // local cluster a HelmRelease's is made of what helm renders of its chart here: the
      // repository's own chart, not one no test can reach (kube-prometheus-stack).
      const unreachable = storage === "local-path" ? ["kube-prometheus-stack"] : [];
      const resources = model.resources.filter(
        (r) => resourceSelectors(r, storage) !== undefined && !unreachable.includes(r.name),
      );
      const suspends = storage !== "local-path" && model.flux.toSuspend.length > 0;
      expect(names).toEqual(
        [...resources.map((r) => r.name), ...(suspends ? [model.suspendResource] : []), model.fluxResource].sort(),
      );
      for (const name of unreachable.filter((n) => model.resources.some((r) => r.name === n)))
        expect(run.stderr).toContain(`HelmRelease ${name}: helm could not render its chart`);
      expect(names).not.toContain("uncategorized");
      for (const resource of resources) {
        const forwards =
          manifests.find((m) => m.Name === resource.name)?.DeployTarget?.portForwardTemplateSpec?.forwards ?? [];
        expect(forwards.map((f) => [f.localPort, f.containerPort, f.name])).toEqual(
          resource.portForwards.map((f) => [f.localPort, f.containerPort, f.name]),
        );
      }
    },
  );

  it("on the cluster Flux manages, suspends exactly the namespace's own Kustomization, in a serve_cmd that resumes it when Tilt stops or dies", async () => {
    const { manifests } = await tiltfileResult(path.join(repo, "applications/media"), {
      KUBECONFIG: kubeconfig("homelab"),
    });
    const serve = manifests.find((m) => m.Name === "media-flux-suspend")?.DeployTarget?.ServeCmd?.Argv ?? [];
    // tilt_lib's one flux script, its data as arguments: hold suspends, waits for Tilt, resumes.
    expect(serve.slice(3)).toEqual(["flux-kustomizations", "hold", "homelab", "flux-system/media"]);
    expect(serve[2]).toContain('while kill -0 "${tilt}"');
  });

  it("gives local-path storage on the cluster Flux manages claims of its own, and refuses an unknown storage mode", async () => {
    const media = path.join(repo, "applications/media");
    const onFlux = await tiltfileResult(media, { KUBECONFIG: kubeconfig("homelab") }, ["--storage=local-path"]);
    expect(onFlux.run.exitCode, onFlux.run.stderr).toBe(0);
    expect(onFlux.run.stderr).toContain(
      "storage local-path on kube context homelab (the cluster Flux manages): claims of Tilt's own, <claim>-dev; Flux's stay",
    );
    const jellyfin = onFlux.manifests.find((m) => m.Name === "jellyfin")!.DeployTarget!.yaml!;
    expect(jellyfin).toContain("name: jellyfin-config-dev");
    expect(jellyfin).not.toMatch(/name: jellyfin-config$/m);
    const unknown = await tiltfileResult(media, { KUBECONFIG: kubeconfig("kind-dev") }, ["--storage=nfs"]);
    expect(unknown.run.stderr).toContain("--storage=nfs: use one of live, local-path");
    const live = await tiltfileResult(media, { KUBECONFIG: kubeconfig("kind-dev") }, ["--storage=live"]);
    expect(live.run.stderr).toContain("tilt_lib: storage live on kube context kind-dev");
  });

  it.each([
    ["SUSPEND_FLUX=false", { SUSPEND_FLUX: "false" }, []],
    ["--no-suspend", {}, ["--no-suspend"]],
  ] as const)("suspends nothing with %s", async (_name, env, args) => {
    const { run, manifests } = await tiltfileResult(
      path.join(repo, "applications/media"),
      { KUBECONFIG: kubeconfig("homelab"), ...env },
      [...args],
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(manifests.map((m) => m.Name)).not.toContain("media-flux-suspend");
    expect(run.stderr).toContain("Flux keeps reconciling flux-system/media");
  });

  it.each(cases)(
    "$ns, storage $storage: Tilt applies what Flux would from $dir, for the same variables",
    async ({ ns, storage, current, args, dir, kind }) => {
      const model = models.find((m) => m.folderInRepo === ns)!;
      const folder = path.join(repo, ns);
      const { manifests } = await tiltfileResult(folder, { KUBECONFIG: kubeconfig(current) }, [...args]);
      const built = await buildAsFlux({ ...model, folder }, kind);
      expect(built.map((b) => b.build.dir)).toEqual([dir]);
      const expected = objectsOf(built.map((b) => b.text).join("\n---\n"));
      // A local cluster has no Flux: Tilt applies what each HelmRelease's chart renders instead of it.
      const local = storage === "local-path";
      const releases = new Set(expected.filter((o) => o.kind === "HelmRelease").map((o) => o.metadata.name));
      const ofChart = (o: Record<string, any>) =>
        local && releases.has(o.metadata.labels?.["app.kubernetes.io/instance"]);
      const all = objectsOf(manifests.map((m) => m.DeployTarget?.yaml ?? "").join("\n---\n"));
      const applied = all.filter((o) => !ofChart(o));
      expect(applied.length).toBeGreaterThan(0);
      expect(applied).toEqual(
        expected.filter((o) => !(local && String(o.apiVersion).split("/")[0]!.endsWith(".toolkit.fluxcd.io"))),
      );
      if (ns === "infrastructure/monitoring" && local) {
        const chart = all.filter(ofChart);
        expect(chart.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
          "Deployment/echo-server",
          "Service/echo-server",
        ]);
        // The dev caps reach the chart through the release's post-renderer.
        expect(
          chart.find((o) => o.kind === "Deployment")!.spec.template.spec.containers[0].resources.limits.memory,
        ).toBe("1Gi");
      }
      if (ns === "applications/media") {
        const text = JSON.stringify(applied);
        expect(text).toContain("sonarr.homelab.example");
        // The escaped $${HOME} is in the migration Job's ConfigMap, which live storage leaves to Flux.
        if (storage === "local-path") expect(text).toContain("${HOME}");
        expect(text).not.toContain("${DOMAIN}");
      }
    },
  );

  it("tilt_lib's flux_substitute agrees with `flux envsubst` on escapes, defaults and unset variables", async () => {
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: cases",
      "data:",
      ...SUBSTITUTION_CASES.map((c, i) => `  c${i}: '${c}'`),
    ].join("\n");
    const vars = { A: "1", EMPTY: "" };
    const dir = path.join(copyExample(), "cases");
    mkdirSync(dir);
    for (const file of TILT_LIB_PARTS) copyFileSync(path.join(EXAMPLE_ROOT, "tilt-lib", file), path.join(dir, file));
    writeFileSync(
      path.join(dir, "Tiltfile"),
      `lib = load_dynamic("tilt_lib.star")\nk8s_yaml(blob(lib["flux_substitute"](${JSON.stringify(text)}, ${JSON.stringify(vars)})))\n`,
    );
    const { run, manifests } = await tiltfileResult(dir);
    expect(run.exitCode, run.stderr).toBe(0);
    const flux = await execa(toolPath("flux"), ["envsubst"], { input: text, env: vars, extendEnv: false });
    const ours = objectsOf(manifests.map((m) => m.DeployTarget?.yaml ?? "").join("\n---\n"))[0]!.data;
    expect(ours).toEqual(objectsOf(flux.stdout)[0]!.data);
    expect(run.stderr).toContain("Flux variables not set, substituted as empty like Flux does: UNSET");
  });

  it("the root Tiltfile runs every namespace together, or the ones named", async () => {
    const all = await tiltfileResult(EXAMPLE_ROOT);
    expect(all.run.exitCode, all.run.stderr).toBe(0);
    const names = all.manifests.map((m) => m.Name);
    // No context names the Flux cluster here: every namespace runs as on a local cluster.
    for (const model of models)
      for (const resource of model.resources)
        if (resourceSelectors(resource, "local-path") && resource.name !== "kube-prometheus-stack")
          expect(names).toContain(resource.name);
    const locals = all.manifests
      .flatMap((m) => m.DeployTarget?.portForwardTemplateSpec?.forwards ?? [])
      .map((f) => f.localPort);
    expect(new Set(locals).size).toBe(locals.length);
    const some = await tiltfileResult(EXAMPLE_ROOT, {}, ["monitoring", "--no-suspend"]);
    expect(some.manifests.map((m) => m.Name).sort()).toEqual([
      "echo-server",
      "monitoring-flux",
      "monitoring-namespace",
    ]);
    const unknown = await tiltfileResult(EXAMPLE_ROOT, {}, ["nope"]);
    expect(unknown.run.stderr).toContain(
      'unknown namespace "nope": choose from files, media, monitoring, observability, tools, whoami',
    );
  });

  it("Tilt reloads on the Tiltfiles, tilt_lib.star and the overlays it reads, never on the answers files, .new files or scripts a run writes: no .tiltignore is needed", async () => {
    const all = await tiltfileResult(EXAMPLE_ROOT);
    expect(all.run.exitCode, all.run.stderr).toBe(0);
    const watched = all.configFiles.map((file) => path.relative(EXAMPLE_ROOT, file));
    for (const model of models) expect(watched).toContain(path.join(model.folderInRepo, "Tiltfile"));
    expect(watched).toEqual(
      expect.arrayContaining([
        "Tiltfile",
        "tilt-lib/tilt_lib.star",
        "tilt-lib/tilt_lib_flux.star",
        "applications/media/overlays/dev/local-path/kustomization.yaml",
      ]),
    );
    expect(
      watched.filter((file) =>
        /(^|\/)(\.tilt-scaffold\.yaml|dashboard\.sh|deploy\.sh|[^/]+\.new|[^/]+_lib\.sh)$/.test(file),
      ),
    ).toEqual([]);
  });

  it("the generator's own substitution (for object names) agrees with `flux envsubst` too", async () => {
    const text = SUBSTITUTION_CASES.map((c, i) => `c${i}: '${c}'`).join("\n");
    const vars = { A: "1", EMPTY: "" };
    const flux = await execa(toolPath("flux"), ["envsubst"], { input: text, env: vars, extendEnv: false });
    expect(substituteVariables(text, vars)).toBe(flux.stdout);
  });

  it("what `flux envsubst` evaluates with functions, or refuses, tilt_lib and the generator both refuse with one message", async () => {
    const vars = { A: "abc" };
    const dir = path.join(copyExample(), "functions");
    mkdirSync(dir);
    for (const file of TILT_LIB_PARTS) copyFileSync(path.join(EXAMPLE_ROOT, "tilt-lib", file), path.join(dir, file));
    const cases = [
      { text: "x: ${A^^}", refusal: "${A^^} uses a Flux substitution function that tilt_lib does not evaluate" },
      { text: "x: ${#A}", refusal: "${#A} uses a Flux substitution function that tilt_lib does not evaluate" },
      { text: "x: ${A:0:1}", refusal: "${A:0:1} uses a Flux substitution function that tilt_lib does not evaluate" },
      { text: "x: ${A/a/b}", refusal: "${A/a/b} uses a Flux substitution function that tilt_lib does not evaluate" },
      { text: "x: ${A", refusal: 'unterminated ${ (Flux fails on it too) in "A"' },
    ];
    for (const { text, refusal } of cases) {
      const flux = await execa(toolPath("flux"), ["envsubst"], {
        input: text,
        env: vars,
        extendEnv: false,
        reject: false,
      });
      // Flux either evaluates it (a value the plain forms would not give) or fails on it.
      if (flux.exitCode === 0) expect(flux.stdout, text).not.toBe(text);
      else expect(text).toBe("x: ${A");
      expect(() => substituteVariables(text, vars)).toThrow(UserError);
      expect(() => substituteVariables(text, vars)).toThrow(refusal);
      writeFileSync(
        path.join(dir, "Tiltfile"),
        `lib = load_dynamic("tilt_lib.star")\nlib["flux_substitute"](${JSON.stringify(text)}, ${JSON.stringify(vars)})\n`,
      );
      const { run } = await tiltfileResult(dir);
      expect(run.exitCode, text).not.toBe(0);
      expect(run.stderr).toContain(`tilt_lib: ${refusal}`);
    }
  });

  it("a community-layout app folder loads with its chart source grouped and its name substituted", async () => {
    const { root, app } = communityLayout();
    await execa("git", ["init", "-q", root]);
    await scaffold({ folders: [app], cwd: root, context: "homelab", env: { KUBECONFIG: kubeconfig("homelab") } });
    const { run, manifests } = await tiltfileResult(app, { KUBECONFIG: kubeconfig("homelab") });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(manifests.map((m) => m.Name).sort()).toEqual(["sonarr", "sonarr-flux", "sonarr-flux-suspend"]);
    expect(manifests[0]!.DeployTarget?.yaml).toContain("name: sonarr");
  });

  it.each(["kubernetes/apps/ai/open-webui", "kubernetes/apps/downloads/bazarr", "kubernetes/apps/media/jellyfin"])(
    "real repository: %s loads in every storage mode with nothing uncategorized",
    async (folder) => {
      const root = await copyFixture("bjw-s-home-ops");
      const dir = path.join(root, folder);
      const {
        models: [model],
      } = await scaffold({ folders: [dir], cwd: root, context: "homelab", env: { KUBECONFIG: kubeconfig("homelab") } });
      expect(model!.resources.some((r) => r.claims.length > 0)).toBe(true);
      for (const { storage, current, args } of MODES) {
        const { run, manifests } = await tiltfileResult(dir, { KUBECONFIG: kubeconfig(current) }, [...args]);
        expect(run.exitCode, `${storage}: ${run.stderr}`).toBe(0);
        expect(manifests.map((m) => m.Name)).not.toContain("uncategorized");
        const claims = objectsOf(manifests.map((m) => m.DeployTarget?.yaml ?? "").join("\n---\n")).filter(
          (o) => o.kind === "PersistentVolumeClaim",
        );
        const names = claims.map((c) => c.metadata.name);
        if (storage === "live") expect(names).toEqual([]);
        else expect(names.length, storage).toBeGreaterThan(0);
        if (storage === "dev-claims") for (const name of names) expect(name).toMatch(/^[a-z0-9-]+-dev$/);
        for (const claim of claims) expect(claim.spec.storageClassName).toBe("local-path");
      }
    },
  );

  it(
    "observe mode: every folder of the example and of the real repositories attaches to its workloads and applies nothing",
    { timeout: 600_000 },
    async () => {
      const repos = await realRepositories();
      const config = { KUBECONFIG: kubeconfig("homelab") };
      let loaded = 0;
      for (const { label, root, folders } of repos) {
        for (const folder of folders) {
          const dir = path.join(root, folder);
          let model: NamespaceModel;
          try {
            [model] = (await scaffold({ folders: [dir], cwd: root, context: "homelab", tilt: "observe", env: config }))
              .models as [NamespaceModel];
          } catch (error) {
            // A one-line refusal: the sweep suite counts them.
            if (error instanceof UserError) continue;
            throw error;
          }
          const { run, manifests } = await tiltfileResult(dir, config);
          expect(run.exitCode, `${label}/${folder}: ${run.stderr}`).toBe(0);
          expect(run.stderr).not.toContain("suspend");
          expect(manifests.map((m) => m.Name).sort(), `${label}/${folder}`).toEqual(
            [...model.resources.map((r) => r.name), model.fluxResource].sort(),
          );
          for (const resource of model.resources) {
            const target = manifests.find((m) => m.Name === resource.name)!.DeployTarget!;
            expect(target.yaml ?? "", `${label}/${folder} ${resource.name}`).toBe("");
            expect(target.applyCmd?.args).toEqual([
              "kubectl",
              "--context",
              "homelab",
              "get",
              "--namespace",
              model.namespace,
              "--output",
              "yaml",
              ...resource.attach,
            ]);
            expect(target.deleteCmd?.args).toEqual(["true"]);
          }
          loaded++;
        }
      }
      expect(loaded).toBeGreaterThan(40);
    },
  );

  it(
    "the root Tiltfile runs app folders of one namespace together, and a namespace folder instead of its apps",
    { timeout: 300_000 },
    async () => {
      const root = await copyFixture("bjw-s-home-ops");
      const env = { KUBECONFIG: kubeconfig("homelab") };
      for (const folder of [
        "kubernetes/apps/media",
        "kubernetes/apps/media/jellyfin",
        "kubernetes/apps/media/navidrome",
      ]) {
        await scaffold({ folders: [path.join(root, folder)], cwd: root, context: "homelab", env });
      }
      const apps = await tiltfileResult(root, env, ["jellyfin", "navidrome"]);
      expect(apps.run.exitCode, apps.run.stderr).toBe(0);
      expect(apps.manifests.map((m) => m.Name)).toEqual(
        expect.arrayContaining(["jellyfin-flux", "navidrome-flux", "jellyfin-flux-suspend", "navidrome-flux-suspend"]),
      );
      const all = await tiltfileResult(root, env);
      expect(all.run.exitCode, all.run.stderr).toBe(0);
      expect(all.manifests.map((m) => m.Name)).toContain("media-flux");
      expect(all.manifests.map((m) => m.Name)).not.toContain("jellyfin-flux");
      const both = await tiltfileResult(root, env, ["media", "jellyfin"]);
      expect(both.run.exitCode).not.toBe(0);
      expect(both.run.stderr).toContain("jellyfin is inside media, which runs it already: name one of them");
    },
  );

  it(
    "the root Tiltfile runs one of two folders that apply one Kustomization as two clusters define it",
    { timeout: 300_000 },
    async () => {
      const root = await copyFixture("flux2-kustomize-helm-example");
      const env = { KUBECONFIG: kubeconfig("homelab") };
      for (const folder of ["apps/production", "apps/staging"])
        await scaffold({ folders: [path.join(root, folder)], cwd: root, context: "homelab", env });
      // Both apply flux-system/apps: the same podinfo objects, which one Tilt cannot hold twice.
      const all = await tiltfileResult(root, env);
      expect(all.run.exitCode, all.run.stderr).toBe(0);
      expect(all.manifests.map((m) => m.Name)).toEqual(expect.arrayContaining(["production-flux"]));
      expect(all.manifests.map((m) => m.Name)).not.toContain("staging-flux");
      const staging = await tiltfileResult(root, env, ["staging"]);
      expect(staging.run.exitCode, staging.run.stderr).toBe(0);
      expect(staging.manifests.map((m) => m.Name)).toContain("staging-flux");
      const both = await tiltfileResult(root, env, ["production", "staging"]);
      expect(both.run.exitCode).not.toBe(0);
      expect(both.run.stderr).toContain(
        "production and staging are applied by different clusters' Flux: name one of them",
      );
    },
  );

  describe("loading tilt_lib.star", () => {
    function media(repo: string) {
      return path.join(repo, "applications/media");
    }
    function libWithVersion(version: string): string {
      const source = readFileSync(path.join(EXAMPLE_ROOT, "tilt-lib/tilt_lib.star"), "utf8");
      return source.replace(/^VERSION = ".*"$/m, `VERSION = "${version}"`);
    }

    it("takes a local ./tilt_lib.star first", async () => {
      const repo = copyExample();
      // A local copy is the library's files side by side: tilt_lib.star loads its parts beside itself.
      for (const file of TILT_LIB_PARTS)
        copyFileSync(path.join(EXAMPLE_ROOT, "tilt-lib", file), path.join(media(repo), file));
      writeFileSync(path.join(media(repo), "tilt_lib.star"), libWithVersion("1.99.0"));
      const { run } = await tiltfileResult(media(repo));
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stderr).toContain("tilt_lib 1.99.0 from tilt_lib.star");
    });

    it("takes the repository's copy when there is no local one", async () => {
      const { run } = await tiltfileResult(media(copyExample()));
      expect(run.stderr).toContain("from ../../tilt-lib/tilt_lib.star");
    });

    it("falls back to the platform's mounted copy", async () => {
      const repo = copyExample();
      rmSync(path.join(repo, "tilt-lib"), { recursive: true });
      const mount = path.join(repo, "..", "mount");
      mkdirSync(mount);
      for (const file of TILT_LIB_PARTS)
        copyFileSync(path.join(EXAMPLE_ROOT, "tilt-lib", file), path.join(mount, file));
      const { run } = await tiltfileResult(media(repo), { TILT_LIB_DIR: mount });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stderr).toContain(`from ${mount}/tilt_lib.star`);
    });

    it("fails clearly when no copy exists, or the one found is too old", async () => {
      const repo = copyExample();
      rmSync(path.join(repo, "tilt-lib"), { recursive: true });
      const missing = await tiltfileResult(media(repo), { TILT_LIB_DIR: "/nonexistent" });
      expect(missing.run.exitCode).not.toBe(0);
      expect(missing.run.stderr).toContain("tilt_lib.star not found in any of");
      for (const file of TILT_LIB_PARTS)
        copyFileSync(path.join(EXAMPLE_ROOT, "tilt-lib", file), path.join(media(repo), file));
      writeFileSync(path.join(media(repo), "tilt_lib.star"), libWithVersion("0.9.0"));
      const old = await tiltfileResult(media(repo));
      expect(old.run.exitCode).not.toBe(0);
      expect(old.run.stderr).toContain(
        `tilt_lib.star is version 0.9.0; this Tiltfile needs ${TILT_LIB_VERSION} or newer`,
      );
    });
  });
});
