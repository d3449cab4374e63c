// Which kube context is recorded as the cluster Flux manages: only what the user said.
import { describe, expect, it } from "vitest";
import { resolveFluxContext } from "../../helpers/live-cluster/flux-context.ts";

const CONTEXTS = { names: ["admin@homelab", "kind-dev"], current: "kind-dev" };
const never = async (): Promise<string> => {
  throw new Error("asked although the answer was known");
};

describe("the Flux cluster's kube context", () => {
  it("is never the kubeconfig's current one on its own: without a terminal, nothing is recorded", async () => {
    expect(await resolveFluxContext({ contexts: CONTEXTS })).toEqual({
      why: expect.stringMatching(/^none: no --context, no earlier answer and no terminal/),
    });
  });

  it("is the one named with --context, which must be in the kubeconfig; --context none records none", async () => {
    expect(
      await resolveFluxContext({
        named: "admin@homelab",
        contexts: CONTEXTS,
        remembered: { context: "kind-dev" },
        ask: never,
      }),
    ).toEqual({ context: "admin@homelab", from: "option", why: "named with --context" });
    await expect(resolveFluxContext({ named: "prod", contexts: CONTEXTS })).rejects.toThrow(
      'kube context "prod" is not in your kubeconfig (known: admin@homelab, kind-dev)',
    );
    expect(
      await resolveFluxContext({ named: "none", contexts: CONTEXTS, remembered: { context: "admin@homelab" } }),
    ).toEqual({ why: "none (--context none)" });
  });

  it("is what the answers file remembers, none included, even when this machine's kubeconfig lacks it", async () => {
    expect(
      await resolveFluxContext({
        remembered: { context: "prod", contextFrom: "option" },
        contexts: CONTEXTS,
        ask: never,
      }),
    ).toEqual({ context: "prod", from: "option", why: "remembered in .tilt-scaffold.yaml" });
    expect(await resolveFluxContext({ remembered: {}, contexts: CONTEXTS, ask: never })).toEqual({
      why: "none, as remembered in .tilt-scaffold.yaml",
    });
  });

  it("is asked on a terminal for a folder scaffolded the first time, when the kubeconfig has contexts", async () => {
    const asked: unknown[] = [];
    const ask = async (contexts: unknown) => (asked.push(contexts), "admin@homelab");
    expect(await resolveFluxContext({ contexts: CONTEXTS, ask })).toEqual({
      context: "admin@homelab",
      from: "terminal",
      why: "chosen on a terminal",
    });
    expect(asked).toEqual([CONTEXTS]);
    expect(await resolveFluxContext({ contexts: CONTEXTS, ask: async () => "none" })).toEqual({
      why: "none, chosen on a terminal",
    });
    expect(await resolveFluxContext({ contexts: { names: [] }, ask: never })).toEqual({
      why: expect.stringMatching(/^none:/),
    });
  });
});
