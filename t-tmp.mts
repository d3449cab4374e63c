import path from "node:path";
import { execa } from "execa";
import { scaffold } from "./helpers/scaffold.ts";
import { copyFixture, namespaceFoldersOf } from "./test/support/fixtures.ts";
const root = await copyFixture("bjw-s-home-ops");
for (const f of await namespaceFoldersOf(root)) {
  try { await scaffold({ folders: [path.join(root, f)], cwd: root, env: { KUBECONFIG: "/nonexistent" } }); } catch (e) { console.log("refused", f, (e as Error).message); }
  if (f.startsWith("kubernetes/apps/home-automation")) {
    const r = await execa("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", path.join(root, "kubernetes/apps/home-automation/overlays/dev/frigate")], { reject: false });
    console.log("after", f, r.exitCode);
  }
}
console.log(root);
