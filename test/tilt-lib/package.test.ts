// The package as the real kustomize builds it, from in-process runs on copies of the example.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { TILT_LIB_PARTS, tiltLibSource } from "../../helpers/templates.ts";
import { generateTiltLibPackage, type TiltLibOptions } from "../../helpers/tilt-lib/package.ts";
import { TILT_LIB_VERSION } from "../../helpers/version.ts";
import {
  copyExampleWithoutPackage as copyExample,
  kustomize,
  snapshot,
  writeWorkspaces,
  type KubeDoc,
} from "./support.ts";

function run(repo: string, answers: TiltLibOptions["answers"] = {}, extra: Partial<TiltLibOptions> = {}) {
  return generateTiltLibPackage({ dir: "tilt-lib", cwd: repo, answers, ...extra });
}

const find = (docs: KubeDoc[], kind: string, name: string, namespace: string) =>
  docs.find((d) => d.kind === kind && d.metadata.name === name && d.metadata.namespace === namespace);

describe("the tilt-lib package", () => {
  it("builds a tilt-lib ConfigMap whose data are tilt_lib.star and its parts byte for byte, in every workspace namespace", async () => {
    const repo = copyExample();
    await run(repo, { namespaces: ["coder", "team-a"] });
    const pkg = path.join(repo, "tilt-lib");
    const star = readFileSync(path.join(pkg, "tilt_lib.star"), "utf8");
    expect(star).toBe(tiltLibSource());
    const { docs } = await kustomize(pkg);
    for (const ns of ["coder", "team-a"]) {
      const lib = find(docs, "ConfigMap", "tilt-lib", ns)!;
      expect(lib.data["tilt_lib.star"]).toBe(star);
      // One key per file: mounted, they are one folder, where tilt_lib.star finds its parts.
      expect(Object.keys(lib.data).sort()).toEqual([...TILT_LIB_PARTS].sort());
      for (const file of TILT_LIB_PARTS) expect(lib.data[file]).toBe(tiltLibSource(file));
      expect(lib.metadata.labels).toMatchObject({
        "app.kubernetes.io/name": "tilt-lib",
        "app.kubernetes.io/version": TILT_LIB_VERSION,
      });
      const templates = find(docs, "ConfigMap", "tilt-templates", ns)!;
      expect(templates.data["Tiltfile.hbs"]).toBe(readFileSync(path.join(pkg, "template/Tiltfile.hbs"), "utf8"));
    }
    // Stable names: workspace Pods mount them by name.
    expect(
      docs
        .filter((d) => d.kind === "ConfigMap")
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(["tilt-lib", "tilt-lib", "tilt-templates", "tilt-templates"]);
    expect(docs.every((d) => d.metadata.namespace === "coder" || d.metadata.namespace === "team-a")).toBe(true);
  });

  it("lets only the platform group change those ConfigMaps, and developers read them", async () => {
    const repo = copyExample();
    await run(repo, { namespaces: ["coder"], pins: ["v1"], platformGroup: "platform", developerGroup: "devs" });
    const { docs } = await kustomize(path.join(repo, "tilt-lib"));
    const names = ["tilt-lib", "tilt-lib-v1", "tilt-templates"];
    const maintainer = find(docs, "Role", "tilt-lib-maintainer", "coder")!;
    expect(maintainer.rules).toEqual([
      {
        apiGroups: [""],
        resources: ["configmaps"],
        resourceNames: names,
        verbs: ["get", "list", "watch", "update", "patch", "delete"],
      },
    ]);
    const reader = find(docs, "Role", "tilt-lib-reader", "coder")!;
    expect(reader.rules).toEqual([
      { apiGroups: [""], resources: ["configmaps"], resourceNames: names, verbs: ["get", "list", "watch"] },
    ]);
    expect(find(docs, "RoleBinding", "tilt-lib-maintainer", "coder")!.subjects).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "platform" },
    ]);
    expect(find(docs, "RoleBinding", "tilt-lib-reader", "coder")!.subjects).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "devs" },
    ]);
  });

  it("ships a pinned copy beside the library, never rewrites it, and labels it with its own VERSION", async () => {
    const repo = copyExample();
    await run(repo, { pins: ["v1"] });
    const pinned = path.join(repo, "tilt-lib/versions/v1/tilt_lib.star");
    expect(readFileSync(pinned, "utf8")).toBe(tiltLibSource());
    // A fix made by hand on the v1 line stays, and its label follows.
    const fixed = tiltLibSource().replace(/^VERSION = ".*"$/m, 'VERSION = "1.0.1"') + "# hotfix\n";
    writeFileSync(pinned, fixed);
    const rerun = await run(repo);
    expect(rerun.plan.find((w) => w.path === pinned)?.outcome).toBe("unchanged");
    expect(readFileSync(pinned, "utf8")).toBe(fixed);
    const { docs } = await kustomize(path.join(repo, "tilt-lib"));
    const v1 = find(docs, "ConfigMap", "tilt-lib-v1", "coder")!;
    expect(v1.data["tilt_lib.star"]).toBe(fixed);
    expect(v1.metadata.labels!["app.kubernetes.io/version"]).toBe("1.0.1");
    expect(find(docs, "ConfigMap", "tilt-lib", "coder")!.metadata.labels!["app.kubernetes.io/version"]).toBe(
      TILT_LIB_VERSION,
    );
  });

  it("labels the ConfigMap with the VERSION of a hand-edited tilt_lib.star it keeps", async () => {
    const repo = copyExample();
    await run(repo);
    const star = path.join(repo, "tilt-lib/tilt_lib.star");
    writeFileSync(star, tiltLibSource().replace(/^VERSION = ".*"$/m, 'VERSION = "1.9.0"'));
    const result = await run(repo);
    expect(result.plan.find((w) => w.path === star)?.outcome).toBe("kept-edited");
    const { docs } = await kustomize(path.join(repo, "tilt-lib"));
    expect(find(docs, "ConfigMap", "tilt-lib", "coder")!.metadata.labels!["app.kubernetes.io/version"]).toBe("1.9.0");
  });

  it("remembers the answers: a second run without any writes nothing, a hand edit is kept", async () => {
    const repo = copyExample();
    await run(repo, { namespaces: ["team-a"], project: "platform", pins: ["v1"] });
    const before = await snapshot(repo);
    const again = await run(repo);
    expect(again.changed).toBe(false);
    expect(await snapshot(repo)).toBe(before);
    const rbac = path.join(repo, "tilt-lib/rbac.yaml");
    writeFileSync(rbac, readFileSync(rbac, "utf8") + "# reviewed by security\n");
    const edited = await run(repo, { developerGroup: "everyone" });
    expect(edited.plan.find((w) => w.path === rbac)?.outcome).toBe("kept-edited");
    expect(readFileSync(rbac, "utf8")).toContain("# reviewed by security");
    expect(readFileSync(`${rbac}.new`, "utf8")).toContain('"everyone"');
  });

  it("drops a namespace from the build when it leaves the answers", async () => {
    const repo = copyExample();
    await run(repo, { namespaces: ["coder", "team-a"] });
    await run(repo, { namespaces: ["coder"] });
    const { docs } = await kustomize(path.join(repo, "tilt-lib"));
    expect(new Set(docs.map((d) => d.metadata.namespace))).toEqual(new Set(["coder"]));
  });

  it("points one automated Application at the package", async () => {
    const repo = copyExample();
    await run(repo, { project: "platform", revision: "v1.2.0", repoUrl: "https://git.example.com/homelab.git" });
    const app = parse(readFileSync(path.join(repo, "tilt-lib/argocd/application.yaml"), "utf8")) as KubeDoc;
    expect(app).toMatchObject({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: "tilt-lib", namespace: "argocd" },
    });
    expect(app.spec).toEqual({
      project: "platform",
      source: { repoURL: "https://git.example.com/homelab.git", targetRevision: "v1.2.0", path: "tilt-lib" },
      destination: { server: "https://kubernetes.default.svc" },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    // Defaults come from the Flux GitRepository the repository syncs from.
    const other = copyExample();
    await run(other);
    const defaults = parse(readFileSync(path.join(other, "tilt-lib/argocd/application.yaml"), "utf8")) as KubeDoc;
    expect(defaults.spec.source).toEqual({
      repoURL: "ssh://git@example.invalid/homelab.git",
      targetRevision: "main",
      path: "tilt-lib",
    });
    expect(defaults.spec.project).toBe("default");
  });

  it("mounts both ConfigMaps read-only into Coder-style workspaces, and nothing else", async () => {
    const repo = copyExample();
    await run(repo, { pins: ["v1"] });
    const { docs } = await kustomize(writeWorkspaces(repo, "coder"));
    const deployment = find(docs, "Deployment", "coder-alice-dev", "coder")!;
    const pod = find(docs, "Pod", "coder-bob-dev", "coder")!;
    for (const spec of [deployment.spec.template.spec, pod.spec]) {
      const dev = spec.containers.find((c: any) => c.name === "dev");
      expect(spec.containers).toHaveLength(1);
      expect(dev.volumeMounts).toEqual(
        expect.arrayContaining([
          { name: "tilt-lib", mountPath: "/apps/tilt-lib", readOnly: true },
          { name: "tilt-templates", mountPath: "/apps/template", readOnly: true },
          { name: "home", mountPath: "/home/coder" },
        ]),
      );
      expect(spec.volumes).toEqual(
        expect.arrayContaining([
          { name: "tilt-lib", configMap: { name: "tilt-lib", optional: true } },
          { name: "tilt-templates", configMap: { name: "tilt-templates", optional: true } },
          { name: "home", emptyDir: {} },
        ]),
      );
    }
    const other = find(docs, "Deployment", "coderd", "coder")!;
    expect(other.spec.template.spec.volumes).toBeUndefined();
  });

  it("writes an executable, shellcheck-clean version script", async () => {
    const repo = copyExample();
    await run(repo);
    const script = path.join(repo, "tilt-lib/tilt-lib-version.sh");
    expect(statSync(script).mode & 0o111).not.toBe(0);
    const { execa } = await import("execa");
    const check = await execa("shellcheck", [script], { reject: false });
    if (check.exitCode === 127 || (check.failed && check.code === "ENOENT"))
      return console.warn("!! shellcheck not installed: not checked");
    expect(check.stdout).toBe("");
  });

  it("version script: a local ./tilt_lib.star wins over the repository's and the mounted copy", async () => {
    const repo = copyExample();
    await run(repo);
    const { execa } = await import("execa");
    const media = path.join(repo, "applications/media");
    writeFileSync(path.join(media, "tilt_lib.star"), 'VERSION = "9.9.9"\n');
    const { stdout } = await execa(path.join(repo, "tilt-lib/tilt-lib-version.sh"), [], {
      cwd: media,
      env: { KUBECONFIG: "/nonexistent", TILT_LIB_DIR: path.join(repo, "tilt-lib") },
    });
    expect(stdout).toMatch(/^local \.\/tilt_lib\.star\s+9\.9\.9\s+loaded by the Tiltfile$/m);
    expect(stdout).toMatch(
      new RegExp(
        `^repository tilt-lib/tilt_lib\\.star\\s+${TILT_LIB_VERSION.replaceAll(".", "\\.")}\\s+not used$`,
        "m",
      ),
    );
    expect(stdout).toMatch(/^mounted .*\/tilt-lib\/tilt_lib\.star\s+\S+\s+not used$/m);
    expect(stdout).toMatch(/^cluster coder\/tilt-lib\s+-\s+not found/m);
  });

  it("writes nothing in dry-run mode", async () => {
    const repo = copyExample();
    rmSync(path.join(repo, "tilt-lib"), { recursive: true });
    const before = await snapshot(repo);
    const result = await run(repo, {}, { mode: "dry-run" });
    expect(result.changed).toBe(true);
    expect(existsSync(path.join(repo, "tilt-lib"))).toBe(false);
    expect(await snapshot(repo)).toBe(before);
  });
});
