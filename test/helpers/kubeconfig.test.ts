// readKubeContexts reads one kubeconfig without client-node's KubeConfig class (its import is most
// of a run): what it finds must be what KubeConfig finds in the same file, errors included.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { readKubeContexts } from "../../helpers/live-cluster/kubeconfig.ts";
import { UserError } from "../../helpers/errors.ts";

const cluster = (name: string) => ({ name, cluster: { server: `https://${name}.example:6443` } });
const context = (name: string, clusterName = "home") => ({ name, context: { cluster: clusterName, user: "admin" } });
const users = [{ name: "admin", user: { token: "t" } }];

const kubeconfigs: Record<string, string> = {
  "two contexts, the current one among them": JSON.stringify({
    clusters: [cluster("home"), cluster("kind")],
    contexts: [context("home"), context("kind-dev", "kind")],
    users,
    "current-context": "kind-dev",
  }),
  "a current context that is not defined": JSON.stringify({
    clusters: [cluster("home")],
    contexts: [context("home")],
    users,
    "current-context": "gone",
  }),
  "no contexts at all": JSON.stringify({ clusters: [cluster("home")], users }),
  "a context without a name": JSON.stringify({
    clusters: [cluster("home")],
    contexts: [{ context: { cluster: "home", user: "admin" } }],
    users,
  }),
  "a cluster without a server": JSON.stringify({
    clusters: [{ name: "home", cluster: {} }],
    contexts: [context("home")],
    users,
  }),
  "not YAML": "clusters: [\n  - {",
};

/** What client-node's own KubeConfig makes of the file, in readKubeContexts' terms. */
function viaKubeConfig(file: string): { names: string[]; current?: string } | "error" {
  const config = new KubeConfig();
  try {
    config.loadFromFile(file);
  } catch {
    return "error";
  }
  const names = config.getContexts().map((c) => c.name);
  const current = config.getCurrentContext();
  return { names, current: current && names.includes(current) ? current : undefined };
}

describe("readKubeContexts", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));

  for (const [what, text] of Object.entries(kubeconfigs)) {
    it(`reads ${what} as client-node's KubeConfig does`, async () => {
      const file = path.join(dir, what.replace(/\W+/g, "-"));
      writeFileSync(file, text);
      const expected = viaKubeConfig(file);
      const read = readKubeContexts({ KUBECONFIG: file });
      if (expected === "error") {
        await expect(read).rejects.toThrow(UserError);
        await expect(read).rejects.toThrow(`cannot read kubeconfig ${file}: `);
      } else {
        expect(await read).toEqual(expected);
      }
    });
  }

  it("finds no contexts, and no error, where no kubeconfig exists", async () => {
    expect(await readKubeContexts({ KUBECONFIG: path.join(dir, "missing") })).toEqual({ names: [] });
  });
});
