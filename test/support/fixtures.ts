// The real GitOps repositories of ../shared/fixtures/gitops: copies to write into, and the
// namespace folders a user would scaffold in them.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { parseAllDocuments, parseDocument } from "yaml";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { scanRepository } from "../../helpers/repository/scan.ts";
import { copyExample, EXAMPLE_FOLDERS, PROJECT_ROOT } from "./example.ts";
import { toolPath } from "./cluster.ts";
import { fluxLayouts, siblingClusters } from "./flux-layouts.ts";

export const FIXTURES_DIR = path.resolve(PROJECT_ROOT, "..", "shared", "fixtures", "gitops");

/** The real charts of ../shared/fixtures/charts, as their .source files say. */
export const APP_TEMPLATE = path.resolve(PROJECT_ROOT, "..", "shared", "fixtures", "charts", "app-template");
export const KUBE_PROMETHEUS_STACK = path.resolve(
  PROJECT_ROOT,
  "..",
  "shared",
  "fixtures",
  "charts",
  "kube-prometheus-stack",
);

/**
 * A copy of the fixture's kube-prometheus-stack that helm packages: of its dependencies only the
 * vendored ones (crds) stay in Chart.yaml, as if the others (grafana, the exporters) were disabled.
 */
export function packagedKubePrometheusStack(): string {
  const chart = path.join(mkdtempSync(path.join(os.tmpdir(), "kps-")), "kube-prometheus-stack");
  cpSync(KUBE_PROMETHEUS_STACK, chart, { recursive: true });
  const file = path.join(chart, "Chart.yaml");
  const doc = parseDocument(readFileSync(file, "utf8"));
  const dependencies = (doc.toJS().dependencies ?? []) as { name: string }[];
  doc.set(
    "dependencies",
    dependencies.filter((d) => existsSync(path.join(chart, "charts", d.name))),
  );
  writeFileSync(file, String(doc));
  return chart;
}

export function haveFixtures(): boolean {
  return existsSync(FIXTURES_DIR);
}

/** A git work tree holding a copy of the fixture repository `name`. */
export async function copyFixture(name: string): Promise<string> {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), "fixture-")), name);
  cpSync(path.join(FIXTURES_DIR, name), root, { recursive: true });
  await execa("git", ["init", "-q", root]);
  return root;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES_DIR).filter((name) => statSync(path.join(FIXTURES_DIR, name)).isDirectory());
}

/** Copies of the example, of every fixture repository and of the synthetic layouts, each with the folders its picker offers. */
export async function realRepositories(): Promise<{ label: string; root: string; folders: string[] }[]> {
  // In git, as a user's repository is: without it, the search for Flux's paths stops at a folder's grandparent.
  const example = copyExample();
  await execa("git", ["init", "-q", example]);
  const repos = [{ label: "examples/homelab", root: example, folders: EXAMPLE_FOLDERS }];
  for (const name of fixtureNames()) {
    const root = await copyFixture(name);
    // A repository written for an older Flux (flux2-multi-tenancy's v1beta2 OCIRepository) is brought to the
    // Flux of the tests' cluster by Flux's own `flux migrate`, as its users do before upgrading.
    await execa(toolPath("flux"), ["migrate", "-f", ".", "--yes"], { cwd: root, env: { KUBECONFIG: "/nonexistent" } });
    repos.push({ label: name, root, folders: await namespaceFoldersOf(root) });
  }
  // Layouts none of them has: app folders inside Flux paths, a path of paths, sibling clusters.
  for (const [label, make] of [
    ["synthetic/flux-layouts", fluxLayouts],
    ["synthetic/sibling-clusters", siblingClusters],
  ] as const) {
    const root = await make();
    repos.push({ label, root, folders: await namespaceFoldersOf(root) });
  }
  return repos;
}

/** The folders of a repository a user would scaffold, as the generator's picker offers them. */
export async function namespaceFoldersOf(root: string): Promise<string[]> {
  return (await scanRepository(root, root)).namespaceFolders;
}

/** Where bjw-s-home-ops pulls app-template from; the tests serve the fixture chart instead. */
const UPSTREAM = "oci://ghcr.io/bjw-s-labs/helm/app-template";

export function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? yamlFiles(file) : /\.ya?ml$/.test(name) ? [file] : [];
  });
}

/** Points every app-template OCIRepository at the local registry; returns the files edited. */
export function redirectAppTemplate(root: string, host: string): string[] {
  const edited: string[] = [];
  for (const file of yamlFiles(path.join(root, "kubernetes"))) {
    const text = readFileSync(file, "utf8");
    if (!text.includes(UPSTREAM)) continue;
    const docs = parseAllDocuments(text);
    for (const doc of docs.filter((d) => d.getIn(["spec", "url"]) === UPSTREAM)) {
      doc.setIn(["spec", "url"], `oci://${host}/charts/app-template`);
      doc.setIn(["spec", "insecure"], true);
    }
    writeFileSync(file, docs.map(String).join(""));
    edited.push(file);
  }
  return edited;
}
