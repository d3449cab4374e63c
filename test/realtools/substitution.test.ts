// The generator's Flux substitution against the real flux CLI's build, which runs
// kustomize-controller's code: objects annotated `substitute: disabled` are left as written.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { substituteKnown } from "../../helpers/repository/flux.ts";
import { kustomizeBuild } from "../../helpers/repository/tools.ts";
import { parseManifests } from "../../helpers/repository/manifests.ts";
import { haveTools, toolPath } from "../support/cluster.ts";

const inCI = Boolean(process.env.CI);

describe.runIf(haveTools() || inCI)("Flux postBuild substitution", () => {
  it("leaves objects annotated substitute: disabled alone, as flux build kustomization does", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "substitution-"));
    const configMap = (name: string, annotated: boolean) =>
      [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        `  name: ${name}`,
        ...(annotated ? ["  annotations:", "    kustomize.toolkit.fluxcd.io/substitute: disabled"] : []),
        "data:",
        "  script: echo ${A} ${UNSET:-fallback} $${A}",
      ].join("\n");
    writeFileSync(path.join(dir, "substituted.yaml"), configMap("substituted", false));
    writeFileSync(path.join(dir, "kept.yaml"), configMap("kept", true));
    writeFileSync(path.join(dir, "kustomization.yaml"), "resources: [substituted.yaml, kept.yaml]\n");
    const ks = path.join(mkdtempSync(path.join(os.tmpdir(), "ks-")), "ks.yaml");
    writeFileSync(
      ks,
      "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n  postBuild:\n    substitute: {A: one}\n",
    );
    const flux = await execa(
      toolPath("flux"),
      ["build", "kustomization", "app", "--path", dir, "--kustomization-file", ks, "--dry-run"],
      { env: { HOME: os.tmpdir() } },
    );
    const data = (text: string, source: string) =>
      Object.fromEntries(
        parseManifests(text, source).map((o) => [
          o.metadata.name,
          (o as { data?: Record<string, string> }).data?.script,
        ]),
      );
    const ours = data(
      substituteKnown(
        await kustomizeBuild(dir),
        true,
        [{ name: "A", value: "one", secret: false, source: "substitute" }],
        "kustomize build of app",
      ),
      "ours",
    );
    expect(ours).toEqual(data(flux.stdout, "flux build"));
    expect(ours).toEqual({ substituted: "echo one fallback ${A}", kept: "echo ${A} ${UNSET:-fallback} $${A}" });
  });
});
