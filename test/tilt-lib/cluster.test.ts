// The package against a real API server: everything it ships is accepted by a server dry run
// (ArgoCD's Application CRD installed), and tilt-lib-version.sh reads the version back.
// Needs `npm run tools`; without it the suite skips locally and fails in CI (CI=true).
import { readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generateTiltLibPackage } from "../../helpers/tilt-lib/package.ts";
import { haveTools, startTestCluster, toolsDir, type TestCluster } from "../support/cluster.ts";
import { copyExample, EXAMPLE_ROOT } from "../support/example.ts";
import { kustomize, writeWorkspaces } from "./support.ts";

const inCI = Boolean(process.env.CI);
const ready = haveTools();
const PACKAGE = path.join(EXAMPLE_ROOT, "tilt-lib");

if (!ready && !inCI) {
  console.warn(
    `\n!! SKIPPING test/tilt-lib/cluster.test.ts: etcd/kube-apiserver/CRDs not in ${toolsDir}; run \`npm run tools\`\n`,
  );
}

describe.runIf(!ready && inCI)("tilt-lib against a real API server in CI", () => {
  it("has the tools built by `npm run tools`", () => {
    expect.fail(`CI is set but etcd/kube-apiserver/CRDs are missing in ${toolsDir}: run \`npm run tools\` first`);
  });
});

describe.skipIf(!ready)("tilt-lib against a real API server", { timeout: 120_000 }, () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster();
    // The workspace namespaces exist before ArgoCD ships into them (the workspaces' tooling makes them).
    const saved = parse(readFileSync(path.join(PACKAGE, ".tilt-scaffold.yaml"), "utf8")) as {
      answers: { namespaces: string[] };
    };
    for (const ns of ["argocd", ...saved.answers.namespaces]) await cluster.kubectl(["create", "namespace", ns]);
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  const dryRun = (input: string) => cluster.kubectl(["apply", "--dry-run=server", "-f", "-"], { input });

  it("accepts every object of the example package", async () => {
    const { text, docs } = await kustomize(PACKAGE);
    const applied = await dryRun(text);
    const lines = applied.stdout.split("\n").filter(Boolean);
    expect(lines).toHaveLength(docs.length);
    for (const line of lines) expect(line).toMatch(/ created \(server dry run\)$/);
  });

  it("accepts the ArgoCD Application, and the CRD does check it", async () => {
    const application = readFileSync(path.join(PACKAGE, "argocd/application.yaml"), "utf8");
    expect((await dryRun(application)).stdout).toBe("application.argoproj.io/tilt-lib created (server dry run)");
    const broken = await cluster.kubectl(["apply", "--dry-run=server", "-f", "-"], {
      input: application.replace("prune: true", "prune: sometimes"),
      reject: false,
    });
    expect(broken.exitCode).not.toBe(0);
    expect(broken.stderr).toMatch(/prune/);
  });

  it("accepts workspaces patched with read-only mounts", async () => {
    const repo = copyExample();
    await generateTiltLibPackage({ dir: "tilt-lib", cwd: repo, answers: { namespaces: ["coder"] } });
    const { text, docs } = await kustomize(writeWorkspaces(repo, "coder"));
    expect(docs.map((d) => d.kind).sort()).toEqual(["Deployment", "Deployment", "Pod"]);
    const applied = await dryRun(text);
    expect(applied.stdout.split("\n")).toHaveLength(3);
    const pod = await cluster.kubectl(["apply", "--dry-run=server", "-o", "json", "-f", "-"], { input: text });
    const items = JSON.parse(pod.stdout).items as any[];
    const workspacePod = items.find((o) => o.kind === "Pod");
    expect(workspacePod.spec.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "tilt-lib", mountPath: "/apps/tilt-lib", readOnly: true }),
      ]),
    );
  });

  it("tilt-lib-version.sh shows the version in use and the one in the cluster", async () => {
    const { text } = await kustomize(PACKAGE);
    await cluster.kubectl(["apply", "--server-side", "-f", "-"], { input: text });
    const { stdout } = await execa(path.join(PACKAGE, "tilt-lib-version.sh"), ["applications/media"], {
      cwd: EXAMPLE_ROOT,
      env: { KUBECONFIG: cluster.kubeconfig, TILT_LIB_DIR: "/nonexistent" },
    });
    const version = /^VERSION = "(.*)"$/m.exec(readFileSync(path.join(PACKAGE, "tilt_lib.star"), "utf8"))![1]!;
    expect(stdout).toMatch(/^local applications\/media\/tilt_lib\.star\s+-\s+absent$/m);
    expect(stdout).toMatch(
      new RegExp(
        `^repository tilt-lib/tilt_lib\\.star\\s+${version.replaceAll(".", "\\.")}\\s+loaded by the Tiltfile$`,
        "m",
      ),
    );
    expect(stdout).toMatch(/^mounted \/nonexistent\/tilt_lib\.star\s+-\s+absent$/m);
    expect(stdout).toMatch(
      new RegExp(`^cluster coder/tilt-lib\\s+${version.replaceAll(".", "\\.")}\\s+shipped by ArgoCD$`, "m"),
    );
    expect(stdout).toMatch(/^cluster coder\/tilt-lib-v1\s+1\.\d+\.\d+\s+shipped by ArgoCD$/m);
  });
});
