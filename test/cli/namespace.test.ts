// `npx plop namespace` as a user runs it: no TTY, answers on the command line.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa, execaSync } from "execa";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { scaffold } from "../../helpers/scaffold.ts";
import { copyExample, EXAMPLE_FOLDERS } from "../support/example.ts";
import { bin, binOnTerminal, marked, plop, plopCommand, snapshot } from "../support/cli.ts";
import { NAMESPACE_GENERATOR } from "../../generators/namespace.ts";
import { generatorHelp, optionsOf } from "../../generators/options.ts";

/** Adds a patch to an overlay's patches, as a user edits it, comments kept. */
function addPatch(file: string, patch: object): void {
  const overlay = parseDocument(readFileSync(file, "utf8"));
  overlay.addIn(["patches"], patch);
  writeFileSync(file, String(overlay));
}

describe("npx plop namespace", () => {
  it("scaffolds a folder relative to where it runs, and a second run writes nothing", async () => {
    const repo = copyExample();
    const media = path.join(repo, "applications/media");
    rmSync(path.join(media, "Tiltfile"));
    const first = await plop(path.join(repo, "applications"), ["media"]);
    expect(first.exitCode, first.stderr + first.stdout).toBe(0);
    expect(readFileSync(path.join(media, "Tiltfile"), "utf8")).toContain('lib["suspend_flux"](["flux-system/media"]');
    const before = await snapshot(repo);
    const second = await plop(repo, ["--", "--folder", "applications/media"]);
    expect(second.stdout).toMatch(/media: \d+ unchanged in/);
    expect(second.stdout).not.toMatch(/^written/m);
    expect(await snapshot(repo)).toBe(before);
  });

  it("keeps a hand edit and writes the new version beside it", async () => {
    const repo = copyExample();
    const tiltfile = path.join(repo, "applications/media/Tiltfile");
    writeFileSync(tiltfile, readFileSync(tiltfile, "utf8") + "\n# my own addition\n");
    writeFileSync(
      path.join(repo, "applications/media/base/namespace.yaml"),
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: media\n  labels:\n    team: media\n",
    );
    const run = await plop(repo, ["applications/media"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/kept \(edited by hand\)/);
    expect(readFileSync(tiltfile, "utf8")).toContain("# my own addition");
    expect(readFileSync(`${tiltfile}.new`, "utf8")).not.toContain("# my own addition");
  });

  it("--tilt observe is remembered, and --tilt develop switches back", async () => {
    const repo = copyExample();
    const tiltfile = path.join(repo, "applications/media/Tiltfile");
    expect((await plop(repo, ["applications/media", "--", "--tilt", "observe"])).exitCode).toBe(0);
    expect(readFileSync(tiltfile, "utf8")).toContain('lib["attach"](');
    expect(readFileSync(path.join(repo, "applications/media/.tilt-scaffold.yaml"), "utf8")).toMatch(
      /^ {2}tilt: observe$/m,
    );
    expect((await plop(repo, ["applications/media", "--", "--mode", "check"])).exitCode).toBe(0);
    expect((await plop(repo, ["applications/media", "--", "--tilt", "develop"])).exitCode).toBe(0);
    expect(readFileSync(tiltfile, "utf8")).not.toContain('lib["attach"](');
    expect(readFileSync(tiltfile, "utf8")).toContain('lib["suspend_flux"](');
  });

  it("check mode fails on stale tooling and passes once updated", async () => {
    const repo = copyExample();
    writeFileSync(
      path.join(repo, "applications/media/base/legacy-nzbget/service.yaml"),
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: legacy-nzbget\nspec:\n  selector:\n    app.kubernetes.io/name: sonarr\n  ports:\n    - port: 6789\n      targetPort: http\n",
    );
    const before = await snapshot(repo);
    const check = await plop(repo, ["applications/media", "--", "--mode", "check"]);
    expect(check.exitCode).not.toBe(0);
    expect(await snapshot(repo)).toBe(before);
    expect((await plop(repo, ["applications/media"])).exitCode).toBe(0);
    expect((await plop(repo, ["applications/media", "--", "--mode", "check"])).exitCode).toBe(0);
  });

  const badInputs: [string, (repo: string) => string[], string][] = [
    ["a folder that does not exist", () => ["applications/nope"], "/homelab/applications/nope does not exist"],
    [
      "a file instead of a folder",
      () => ["applications/media/base/namespace.yaml"],
      "/homelab/applications/media/base/namespace.yaml is not a directory",
    ],
    [
      "a path with .. that leaves the repository",
      (repo) => (execaSync("git", ["init", "-q", repo]), ["applications/../../elsewhere"]),
      "/elsewhere, outside the repository ",
    ],
    [
      "a folder outside the repository",
      () => ["/tmp"],
      "/tmp is not in a git repository, nor below a folder of Flux manifests",
    ],
    [
      "a folder without base/kustomization.yaml",
      (repo) => (mkdirSync(path.join(repo, "applications/empty/base"), { recursive: true }), ["applications/empty"]),
      "applications/empty has no base/kustomization.yaml and lies in no Flux Kustomization's path: scaffold applications/media or ",
    ],
    [
      "malformed YAML in a manifest",
      (repo) => (
        writeFileSync(path.join(repo, "applications/media/base/namespace.yaml"), "kind: [unclosed\n"),
        ["applications/media"]
      ),
      "kustomize build of applications/media/overlays/prod failed: ",
    ],
    // .invalid never resolves (RFC 2606): the same answer offline and online.
    [
      "a remote resource while offline",
      (repo) => (
        writeFileSync(
          path.join(repo, "applications/media/base/kustomization.yaml"),
          "resources:\n  - https://manifests.invalid/app.yaml\n",
        ),
        ["applications/media"]
      ),
      "it fetches https://manifests.invalid/app.yaml and needs the network, which did not answer (run it online, or vendor the file into the repository)",
    ],
    [
      "a kustomization listing a missing file",
      (repo) => (
        writeFileSync(path.join(repo, "applications/media/base/kustomization.yaml"), "resources:\n  - missing.yaml\n"),
        ["applications/media"]
      ),
      "missing.yaml: no such file or directory",
    ],
    [
      "an unknown mode",
      () => ["applications/media", "--", "--mode", "yolo"],
      'unknown mode "yolo": use write, dry-run or check',
    ],
    [
      "an unknown option",
      () => ["applications/media", "--", "--colour", "red"],
      "unknown option --colour (npx plop namespace --help lists its options)",
    ],
    [
      "a mistyped option before --",
      () => ["applications/media", "--mdoe", "check"],
      "unknown option --mdoe: did you mean --mode? (npx plop namespace --help lists its options)",
    ],
    [
      "an option of the other generator",
      () => ["applications/media", "--namespaces", "coder"],
      "--namespaces is an option of tilt-lib, not of namespace: npx plop namespace --help lists its options",
    ],
    ["two folders", () => ["applications/media", "check"], "one namespace folder only, got applications/media check"],
    [
      "an unknown Tilt mode",
      () => ["applications/media", "--", "--tilt", "watch"],
      "--tilt watch: use develop or observe",
    ],
    [
      "a kube context the kubeconfig lacks",
      (repo) => {
        writeFileSync(
          path.join(repo, "kubeconfig"),
          "apiVersion: v1\nkind: Config\ncontexts:\n- name: dev\n  context: {cluster: dev, user: dev}\nclusters:\n- name: dev\n  cluster: {server: https://127.0.0.1:1}\nusers:\n- name: dev\n  user: {}\ncurrent-context: dev\n",
        );
        return ["applications/media", "--", "--context", "prod"];
      },
      'kube context "prod" is not in your kubeconfig (known: dev)',
    ],
    [
      "an answers file from a newer generator",
      (repo) => (
        writeFileSync(path.join(repo, "applications/media/.tilt-scaffold.yaml"), "generator: 99.0.0\n"),
        ["applications/media"]
      ),
      "was written by tilt-flux-scaffold 99.0.0, newer than this one",
    ],
    [
      "a Flux path that does not exist",
      (repo) => (
        rmSync(path.join(repo, "applications/media/overlays/prod"), { recursive: true }),
        ["applications/media"]
      ),
      "Flux Kustomization media (clusters/homelab/apps.yaml) has path ./applications/media/overlays/prod, which does not exist",
    ],
    [
      "a Flux path applied to another cluster",
      (repo) => {
        const file = path.join(repo, "clusters/homelab/apps.yaml");
        writeFileSync(
          file,
          readFileSync(file, "utf8").replace(
            "  path: ./applications/media/overlays/prod\n",
            "  path: ./applications/media/overlays/prod\n  kubeConfig:\n    secretRef: {name: spoke-kubeconfig}\n",
          ),
        );
        return ["applications/media"];
      },
      "Flux Kustomization media (clusters/homelab/apps.yaml) applies applications/media to another cluster (spec.kubeConfig, Secret spoke-kubeconfig): the tooling runs on one kube context and would apply it to the wrong cluster",
    ],
    // Flux generates a kustomization for a path without one, taking in every YAML file below it: the answers file too.
    [
      "a Flux path without kustomization.yaml above the tool's own files",
      (repo) => {
        writeFileSync(
          path.join(repo, "clusters/homelab/apps.yaml"),
          readFileSync(path.join(repo, "clusters/homelab/apps.yaml"), "utf8").replace(
            "./applications/media/overlays/prod",
            "./applications/media",
          ),
        );
        return ["applications/media"];
      },
      "applications/media/.tilt-scaffold.yaml is not Kubernetes YAML, and Flux takes in every YAML file below ./applications/media, which has no kustomization.yaml: list its manifests in one, or name the file in a .sourceignore",
    ],
    [
      "two other namespaces whose local ports clash",
      (repo) => {
        const answers = path.join(repo, "infrastructure/monitoring/.tilt-scaffold.yaml");
        writeFileSync(
          answers,
          readFileSync(answers, "utf8").replace(/^ports:\n/m, "ports:\n  kube-prometheus-stack/9200: 9200\n"),
        );
        return ["applications/media"];
      },
      "namespaces monitoring and observability both forward local port 9200",
    ],
    [
      "a namespace that is not a DNS-1123 label",
      (repo) => {
        const apps = path.join(repo, "clusters/homelab/apps.yaml");
        writeFileSync(
          apps,
          readFileSync(apps, "utf8").replace("  prune: true", "  targetNamespace: Media_Stack\n  prune: true"),
        );
        return ["applications/media"];
      },
      'namespace "Media_Stack" is not a valid DNS-1123 label',
    ],
    [
      "a Flux Kustomization name that is not a DNS-1123 label",
      (repo) => {
        const apps = path.join(repo, "clusters/homelab/apps.yaml");
        writeFileSync(apps, readFileSync(apps, "utf8").replace("  name: media\n", "  name: Media.Stack\n"));
        return ["applications/media"];
      },
      'Flux Kustomization name "Media.Stack" (clusters/homelab/apps.yaml) is not a valid DNS-1123 label',
    ],
    [
      "a Flux Kustomization whose path is overlays/dev",
      (repo) => {
        const apps = path.join(repo, "clusters/homelab/apps.yaml");
        writeFileSync(apps, readFileSync(apps, "utf8").replace("overlays/prod", "overlays/dev"));
        return ["applications/media"];
      },
      "Flux Kustomization media applies applications/media/overlays/dev, where the dev overlays go: point it elsewhere",
    ],
    [
      "a kubeconfig that cannot be read",
      (repo) => {
        writeFileSync(path.join(repo, "kubeconfig"), "contexts: [unclosed\n");
        return ["applications/media", "--", "--context", "dev"];
      },
      "cannot read kubeconfig ",
    ],
    [
      "an existing overlays/storage/local-path that is not a Component",
      (repo) => {
        rmSync(path.join(repo, "applications/media/.tilt-scaffold.yaml"));
        writeFileSync(
          path.join(repo, "applications/media/overlays/storage/local-path/kustomization.yaml"),
          "resources: []\n",
        );
        return ["applications/media"];
      },
      "applications/media/overlays/storage/local-path exists but is not a kustomize Component",
    ],
    [
      "a kustomize build failure (a patch whose target path is missing)",
      (repo) => {
        const prod = path.join(repo, "applications/media/overlays/prod/kustomization.yaml");
        writeFileSync(
          prod,
          readFileSync(prod, "utf8") +
            "patches:\n  - target: {kind: Deployment, name: sonarr}\n    patch: |-\n      - op: replace\n        path: /spec/nope/0\n        value: 1\n",
        );
        return ["applications/media"];
      },
      "kustomize build of applications/media/overlays/prod failed: replace operation does not apply: doc is missing path: /spec/nope/0",
    ],
    [
      "a remote resource that cannot be fetched",
      (repo) => {
        const base = path.join(repo, "applications/media/base/kustomization.yaml");
        writeFileSync(
          base,
          readFileSync(base, "utf8").replace("resources:\n", "resources:\n  - http://127.0.0.1:9/remote.yaml\n"),
        );
        return ["applications/media"];
      },
      "kustomize build of applications/media/overlays/prod failed: it fetches http://127.0.0.1:9/remote.yaml and needs the network, which did not answer",
    ],
    [
      "a malformed answers file",
      (repo) => (
        writeFileSync(path.join(repo, "applications/media/.tilt-scaffold.yaml"), "ports: [unclosed\n"),
        ["applications/media"]
      ),
      "/homelab/applications/media/.tilt-scaffold.yaml: invalid YAML at line 2: unexpected end of the stream within a flow collection; fix it or restore it from git",
    ],
    [
      "an answers file whose answers are a number",
      (repo) => (
        writeFileSync(path.join(repo, "applications/media/.tilt-scaffold.yaml"), "answers: 42\n"),
        ["applications/media"]
      ),
      "/homelab/applications/media/.tilt-scaffold.yaml: answers is 42, not a mapping; fix it or restore it from git",
    ],
    [
      "an answers file that is a list",
      (repo) => (
        writeFileSync(path.join(repo, "applications/media/.tilt-scaffold.yaml"), "- media\n- 42\n"),
        ["applications/media"]
      ),
      "/homelab/applications/media/.tilt-scaffold.yaml: a list, where a mapping of answers, ports and file hashes belongs; fix it or restore it from git",
    ],
    [
      "an empty answers file",
      (repo) => (writeFileSync(path.join(repo, "applications/media/.tilt-scaffold.yaml"), ""), ["applications/media"]),
      "/homelab/applications/media/.tilt-scaffold.yaml: empty, where a mapping of answers, ports and file hashes belongs; fix it or restore it from git",
    ],
    [
      "an answers file with a port that is no number",
      (repo) => (
        writeFileSync(path.join(repo, "applications/media/.tilt-scaffold.yaml"), "ports:\n  sonarr/8989: high\n"),
        ["applications/media"]
      ),
      '/homelab/applications/media/.tilt-scaffold.yaml: ports.sonarr/8989 is "high", not a port number; fix it or restore it from git',
    ],
    [
      "--folder all where nothing was scaffolded",
      (repo) => {
        for (const folder of EXAMPLE_FOLDERS) rmSync(path.join(repo, folder, ".tilt-scaffold.yaml"));
        return ["--", "--folder", "all"];
      },
      'no scaffolded namespace folder found for "all"',
    ],
    [
      "an option without its value",
      () => ["applications/media", "--", "--context"],
      "Option '--context <value>' argument missing",
    ],
    [
      "a symlink leaving the repository",
      (repo) => (symlinkSync("/tmp", path.join(repo, "applications/outside")), ["applications/outside"]),
      "applications/outside is a symlink to /tmp, outside the repository",
    ],
    [
      "a hand-edited overlays/dev that changes what the API server cannot update in place",
      (repo) => {
        addPatch(path.join(repo, "applications/media/overlays/dev/kustomization.yaml"), {
          target: { kind: "StatefulSet", name: "postgres" },
          patch: "- op: replace\n  path: /spec/serviceName\n  value: db\n",
        });
        return ["applications/media"];
      },
      "applications/media/overlays/dev changes spec.serviceName of StatefulSet/media/postgres, which the API server cannot update in place: Tilt would delete and re-create it on the cluster Flux manages",
    ],
    [
      "a hand-edited overlays/dev that leaves out an object the Tiltfile names",
      (repo) => {
        addPatch(path.join(repo, "applications/media/overlays/dev/kustomization.yaml"), {
          target: { kind: "ConfigMap", name: "homepage-config" },
          patch: "$patch: delete\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: homepage-config\n",
        });
        return ["applications/media"];
      },
      "applications/media/overlays/dev does not build homepage-config:configmap, which the Tiltfile names",
    ],
    // Outside this project the embedded example is no default: a copy of it is a user's repository.
    [
      "no folder and no terminal",
      () => [],
      "no folder given and no terminal to ask on: name a namespace folder: npx plop namespace <folder>, or npx plop namespace -- --folder all",
    ],
  ];

  it.each(badInputs)(
    "refuses %s with one line, a non-zero exit and nothing written",
    async (_name, setup, expected) => {
      const repo = copyExample();
      const args = setup(repo);
      const env: Record<string, string> = existsSync(path.join(repo, "kubeconfig"))
        ? { KUBECONFIG: path.join(repo, "kubeconfig") }
        : {};
      const before = await snapshot(repo);
      const run = await plop(repo, args, env);
      expect(run.exitCode).not.toBe(0);
      const message = (run.stdout + run.stderr).split("\n").filter((line) => line.includes("✖"));
      expect(message, run.stdout + run.stderr).toHaveLength(1);
      if (process.env.SHOW_ERRORS) console.log(`${_name}: ${message[0]}`);
      expect(message[0]).toContain(expected);
      expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
      expect(await snapshot(repo)).toBe(before);
    },
  );
});

describe("the command line: tilt-flux-scaffold and npx plop", () => {
  /** A Service the Tiltfile does not forward yet: the tooling of applications/media is stale. */
  function makeStale(repo: string): void {
    writeFileSync(
      path.join(repo, "applications/media/base/legacy-nzbget/service.yaml"),
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: legacy-nzbget\nspec:\n  selector:\n    app.kubernetes.io/name: sonarr\n  ports:\n    - port: 6789\n      targetPort: http\n",
    );
  }

  it("takes options after the folder without --: check mode fails on stale files, names them truthfully, writes nothing", async () => {
    const repo = copyExample();
    const media = path.join(repo, "applications/media");
    makeStale(repo);
    const before = await snapshot(repo);
    const check = await bin(media, ["namespace", ".", "--mode", "check"]);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toMatch(/^would be written +applications\/media\/Tiltfile$/m);
    expect(check.stdout).not.toMatch(/^written/m);
    expect(marked(check.stderr)).toEqual([
      expect.stringMatching(
        /^✖ +write-plan tooling is stale: media: \d+ would be written, \d+ unchanged in \d+ ms \(check: nothing written\)$/,
      ),
    ]);
    expect(await snapshot(repo)).toBe(before);
    // The same through plop, options before and after its --.
    const plopCheck = await plop(media, [".", "--mode", "check"]);
    expect(plopCheck.exitCode).toBe(1);
    expect(marked(plopCheck.stdout)).toEqual([
      expect.stringMatching(
        /^✖ +write-plan tooling is stale: media: \d+ would be written, \d+ unchanged in \d+ ms \(check: nothing written\)$/,
      ),
    ]);
    expect(await snapshot(repo)).toBe(before);
  });

  it("takes --context and --force after the folder too", async () => {
    const repo = copyExample();
    const media = path.join(repo, "applications/media");
    const kubeconfig = path.join(repo, "kubeconfig");
    writeFileSync(
      kubeconfig,
      "apiVersion: v1\nkind: Config\ncontexts:\n- name: dev\n  context: {cluster: dev, user: dev}\nclusters:\n- name: dev\n  cluster: {server: https://127.0.0.1:1}\nusers:\n- name: dev\n  user: {}\ncurrent-context: dev\n",
    );
    const context = await bin(media, ["namespace", ".", "--context", "prod"], { KUBECONFIG: kubeconfig });
    expect(context.exitCode).toBe(1);
    expect(marked(context.stderr)).toEqual([
      '✖  write-plan kube context "prod" is not in your kubeconfig (known: dev)',
    ]);
    const tiltfile = path.join(media, "Tiltfile");
    writeFileSync(tiltfile, readFileSync(tiltfile, "utf8") + "\n# my own addition\n");
    const forced = await plop(media, [".", "--force"]);
    expect(forced.exitCode, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/^overwritten \(--force\) +applications\/media\/Tiltfile$/m);
    expect(existsSync(`${tiltfile}.new`)).toBe(false);
  });

  it("prints every option of the table with --help, before or after --, and writes nothing", async () => {
    const repo = copyExample();
    const before = await snapshot(repo);
    const expected = generatorHelp(NAMESPACE_GENERATOR, "npx tilt-flux-scaffold");
    for (const args of [
      ["namespace", "--help"],
      ["namespace", "applications/media", "--", "--help"],
    ]) {
      const help = await bin(repo, args);
      expect(help.exitCode, help.stderr).toBe(0);
      expect(help.stdout).toBe(expected);
    }
    const viaPlop = await plop(repo, ["-h"]);
    expect(viaPlop.stdout).toBe(generatorHelp(NAMESPACE_GENERATOR, "npx plop"));
    for (const option of optionsOf("namespace"))
      expect(expected).toMatch(
        new RegExp(`^  --${option.name}\\b.* ${option.description.slice(0, 20).replace(/[()[\]]/g, ".")}`, "m"),
      );
    expect(await snapshot(repo)).toBe(before);
  });

  it("names a mistyped generator or a missing one in one line, never plop's own messages or picker", async () => {
    const repo = copyExample();
    const before = await snapshot(repo);
    const cases: [Awaited<ReturnType<typeof bin>>, string][] = [
      [
        await bin(repo, ["namepsace", "applications/media"]),
        '✖ unknown generator "namepsace": did you mean namespace? (generators: namespace, tilt-lib, doctor)',
      ],
      [
        await bin(repo, ["--mode", "check"]),
        "✖ name a generator first: namespace, tilt-lib or doctor (add --help for its options)",
      ],
      [
        await plopCommand(repo, ["tiltlib"]),
        '✖ unknown generator "tiltlib": did you mean tilt-lib? (generators: namespace, tilt-lib, doctor)',
      ],
      [
        await plopCommand(repo, []),
        "✖ name a generator first: namespace, tilt-lib or doctor (add --help for its options)",
      ],
      [
        await bin(repo, ["namespace", "applications/media", "--mdoe", "check"], { NODE_ENV: "" }),
        "✖  write-plan unknown option --mdoe: did you mean --mode? (npx tilt-flux-scaffold namespace --help lists its options)",
      ],
    ];
    for (const [run, line] of cases) {
      expect(run.exitCode).toBe(1);
      expect(marked(run.stderr), run.stdout + run.stderr).toEqual([line]);
      expect(run.stdout + run.stderr).not.toContain("[PLOP]");
    }
    expect(await snapshot(repo)).toBe(before);
  });

  it("takes a .. folder relative to where you are while it stays in the repository", async () => {
    const repo = copyExample();
    await execa("git", ["init", "-q"], { cwd: repo });
    const media = path.join(repo, "applications/media");
    const sibling = await plop(media, ["../tools/whoami", "--mode", "dry-run"]);
    expect(sibling.exitCode, sibling.stdout + sibling.stderr).toBe(0);
    expect(marked(sibling.stdout)).toEqual([
      expect.stringMatching(/^✔ +write-plan whoami: \d+ unchanged in \d+ ms \(dry-run: nothing written\)$/),
    ]);
    const before = await snapshot(path.dirname(repo));
    const outside = await plop(media, ["../../../elsewhere"]);
    expect(outside.exitCode).toBe(1);
    expect(marked(outside.stdout)).toEqual([
      `✖  write-plan folder ../../../elsewhere is ${path.dirname(repo)}/elsewhere, outside the repository ${repo}: name a folder inside it`,
    ]);
    expect(await snapshot(path.dirname(repo))).toBe(before);
  });

  it("asks on a terminal what it does not know, through plop's questions", async () => {
    const repo = copyExample();
    const media = path.join(repo, "applications/media");
    rmSync(path.join(media, ".tilt-scaffold.yaml"));
    const kubeconfig = path.join(repo, "kubeconfig");
    writeFileSync(
      kubeconfig,
      "apiVersion: v1\nkind: Config\ncontexts:\n- name: dev\n  context: {cluster: dev, user: dev}\nclusters:\n- name: dev\n  cluster: {server: https://127.0.0.1:1}\nusers:\n- name: dev\n  user: {}\ncurrent-context: dev\n",
    );
    // Enter takes the question's default.
    const run = await binOnTerminal(media, ["namespace", ".", "--mode", "dry-run", "--quiet"], "\r", {
      KUBECONFIG: kubeconfig,
    });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toContain("? Kube context of the cluster Flux manages");
    expect(run.stdout).toMatch(/^media: Flux cluster: kube context dev \(chosen on a terminal\)/m);
  });

  it("prints warnings on stderr, with plop's ✔ and ✖, and results on stdout", async () => {
    const repo = copyExample();
    // kube-prometheus-stack's chart is not reachable from the tests: the run warns about it.
    const run = await bin(repo, ["namespace", "infrastructure/monitoring", "--mode", "dry-run"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /^warning: monitoring: HelmRelease kube-prometheus-stack: helm could not get the chart here: /m,
    );
    expect(run.stdout).not.toContain("warning:");
    expect(run.stdout).toMatch(/^would be written +infrastructure\/monitoring\/Tiltfile$/m);
  });
});

describe("npx plop namespace -- --folder all", () => {
  it("updates every scaffolded namespace and keeps local ports unique across them", async () => {
    const repo = copyExample();
    const run = await plop(repo, ["--", "--folder", "all", "--mode", "dry-run"]);
    expect(run.exitCode, run.stderr).toBe(0);
    // Every folder with an answers file, the app and flat folders included, by its name.
    expect(run.stdout).toMatch(/media, tools, files, whoami, monitoring, observability: \d+ unchanged in/);
    expect(run.stdout).not.toMatch(/^written/m);
    const ports = [
      "applications/media",
      "infrastructure/observability",
      "applications/tools/files",
      "applications/tools/whoami",
    ].flatMap((ns) =>
      [...readFileSync(path.join(repo, ns, ".tilt-scaffold.yaml"), "utf8").matchAll(/^ {2}\S+: (\d+)$/gm)].map(
        (m) => m[1],
      ),
    );
    expect(ports.length).toBeGreaterThan(5);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it("dry-run prints a unified diff and writes nothing", async () => {
    const repo = copyExample();
    const overlay = path.join(repo, "infrastructure/monitoring/overlays/dev/kustomization.yaml");
    rmSync(overlay);
    const before = await snapshot(repo);
    const run = await plop(repo, ["infrastructure/monitoring", "--", "--mode", "dry-run"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("+++ b/infrastructure/monitoring/overlays/dev/kustomization.yaml");
    expect(run.stdout).toContain("+      tilt.dev/down-policy: keep");
    expect(await snapshot(repo)).toBe(before);
  });
});

describe("npx plop namespace -- --forward", () => {
  it("forwards a HelmRelease's chart port, remembers it, and refuses an unknown resource", async () => {
    const repo = copyExample();
    const monitoring = path.join(repo, "infrastructure/monitoring");
    // 80 is privileged, so 10080 would do, but other folders of the repository hold it and more: the next free one above.
    const taken = new Set(
      EXAMPLE_FOLDERS.flatMap((folder) =>
        [...readFileSync(path.join(repo, folder, ".tilt-scaffold.yaml"), "utf8").matchAll(/^ {2}\S+: (\d+)$/gm)].map(
          (m) => Number(m[1]),
        ),
      ),
    );
    const run = await plop(repo, ["infrastructure/monitoring", "--", "--forward", "kube-prometheus-stack:80:grafana"]);
    expect(run.exitCode, run.stderr).toBe(0);
    const tiltfile = readFileSync(path.join(monitoring, "Tiltfile"), "utf8");
    let expected = 10080;
    while (taken.has(expected)) expected++;
    expect(expected).toBeGreaterThan(10081);
    expect(tiltfile).toContain(`(${expected}, 80, "grafana"),  # given with --forward`);
    // A re-run without the answer keeps it.
    await plop(repo, ["infrastructure/monitoring"]);
    expect(readFileSync(path.join(monitoring, "Tiltfile"), "utf8")).toBe(tiltfile);
    const before = await snapshot(repo);
    const bad = await plop(repo, ["infrastructure/monitoring", "--", "--forward", "grafana:3000"]);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain(
      "--forward grafana:3000: no Tilt resource grafana (there are: echo-server, kube-prometheus-stack)",
    );
    expect(await snapshot(repo)).toBe(before);
  });
});

describe("npx plop namespace: the cluster Flux manages", () => {
  /** A kubeconfig whose current context is a local cluster, as on a developer's machine. */
  function kubeconfig(repo: string): Record<string, string> {
    const file = path.join(path.dirname(repo), "kubeconfig");
    const context = (name: string) => `- name: ${name}\n  context: {cluster: ${name}, user: ${name}}\n`;
    const cluster = (name: string) => `- name: ${name}\n  cluster: {server: https://127.0.0.1:1}\n`;
    const user = (name: string) => `- name: ${name}\n  user: {}\n`;
    const names = ["kind-dev", "admin@homelab"];
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\ncontexts:\n${names.map(context).join("")}clusters:\n${names.map(cluster).join("")}users:\n${names.map(user).join("")}current-context: kind-dev\n`,
    );
    return { KUBECONFIG: file };
  }

  it("re-running every folder with another current context rewrites nothing, and says none is recorded", async () => {
    const repo = copyExample();
    const before = await snapshot(repo);
    const run = await plop(repo, ["--", "--folder", "all"], kubeconfig(repo));
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).not.toMatch(/^written/m);
    expect(await snapshot(repo)).toBe(before);
    expect(run.stdout).toContain(
      "media: Flux cluster: none, as remembered in .tilt-scaffold.yaml; tilt up treats every cluster as a local one. Name it with `npx plop namespace applications/media -- --context <name>`",
    );
  });

  it("a folder scaffolded the first time without a terminal records no context; --context names one and none forgets it", async () => {
    const repo = copyExample();
    const env = kubeconfig(repo);
    const media = path.join(repo, "applications/media");
    rmSync(path.join(media, ".tilt-scaffold.yaml"));
    const first = await plop(repo, ["applications/media", "--", "--force"], env);
    expect(first.exitCode, first.stderr + first.stdout).toBe(0);
    expect(first.stdout).toContain("media: Flux cluster: none: no --context, no earlier answer and no terminal to ask");
    expect(readFileSync(path.join(media, "Tiltfile"), "utf8")).toContain('FLUX_CONTEXT = ""');
    expect(readFileSync(path.join(media, ".tilt-scaffold.yaml"), "utf8")).not.toContain("kind-dev");

    const named = await plop(repo, ["applications/media", "--", "--context", "admin@homelab"], env);
    expect(named.stdout).toContain("media: Flux cluster: kube context admin@homelab (named with --context)");
    const tiltfile = readFileSync(path.join(media, "Tiltfile"), "utf8");
    expect(tiltfile).toContain(
      "# The cluster Flux manages: kube context admin@homelab, named with --context. Change it with",
    );
    expect(tiltfile).toContain('FLUX_CONTEXT = "admin@homelab"');
    // Remembered: the Tiltfile still says how it was given, so a re-run changes nothing.
    const before = await snapshot(repo);
    const again = await plop(repo, ["applications/media"], env);
    expect(again.stdout).toContain(
      "media: Flux cluster: kube context admin@homelab (remembered in .tilt-scaffold.yaml)",
    );
    expect(await snapshot(repo)).toBe(before);

    expect((await plop(repo, ["applications/media", "--", "--context", "none"], env)).exitCode).toBe(0);
    expect(readFileSync(path.join(media, "Tiltfile"), "utf8")).toContain('FLUX_CONTEXT = ""');
  });

  it("on a terminal, folders scaffolded the first time share one answer, recorded with how it was given", async () => {
    const repo = copyExample();
    const folders = ["applications/media", "applications/tools/whoami", "infrastructure/observability"].map((f) =>
      path.join(repo, f),
    );
    for (const folder of folders.slice(0, 2)) rmSync(path.join(folder, ".tilt-scaffold.yaml"));
    const asked: unknown[] = [];
    const askContext = async (contexts: unknown) => (asked.push(contexts), "admin@homelab");
    const result = await scaffold({ folders, cwd: repo, askContext, force: true, env: kubeconfig(repo) });
    expect(asked).toEqual([{ names: ["kind-dev", "admin@homelab"], current: "kind-dev" }]);
    expect(result.fluxClusters).toEqual([
      "media: Flux cluster: kube context admin@homelab (chosen on a terminal); change it with `npx plop namespace applications/media -- --context <name|none>`",
      "whoami: Flux cluster: kube context admin@homelab (chosen on a terminal); change it with `npx plop namespace applications/tools/whoami -- --context <name|none>`",
      "observability: Flux cluster: none, as remembered in .tilt-scaffold.yaml; tilt up treats every cluster as a local one. Name it with `npx plop namespace infrastructure/observability -- --context <name>`",
    ]);
    expect(readFileSync(path.join(folders[0]!, "Tiltfile"), "utf8")).toContain(
      "# The cluster Flux manages: kube context admin@homelab, chosen on a terminal. Change it with",
    );
    expect(readFileSync(path.join(folders[0]!, ".tilt-scaffold.yaml"), "utf8")).toMatch(
      /^ {2}context: admin@homelab\n {2}contextFrom: terminal$/m,
    );
  });
});
