// Which kube context is the cluster Flux manages: only ever what the user said, never a guess.
// The kubeconfig's current context is at most the default of the question on a terminal: a
// local cluster (kind, k3d, minikube) taken for Flux's would make `tilt up` suspend Flux there.
import { UserError } from "../errors.ts";
import type { KubeContexts } from "./kubeconfig.ts";

/** How the recorded context was given, kept in the answers file so the Tiltfile can say so on every run. */
export type ContextSource = "option" | "terminal";

/** `--context none`: no cluster is Flux's, Tilt runs on local clusters only. */
export const NO_CONTEXT = "none";

/** Asks on a terminal; resolves to a context name or NO_CONTEXT. */
export type AskContext = (contexts: KubeContexts) => Promise<string>;

export interface FluxContext {
  context?: string;
  from?: ContextSource;
  /** Why, for this run's report: named, remembered, chosen or none. */
  why: string;
}

export interface FluxContextInput {
  /** `--context`, when given. */
  named?: string;
  /** What the folder's answers file remembers; undefined when it has none (never scaffolded). */
  remembered?: { context?: string; contextFrom?: ContextSource };
  contexts: KubeContexts;
  /** Present only on a terminal. */
  ask?: AskContext;
}

const SOURCE: Record<ContextSource, string> = { option: "named with --context", terminal: "chosen on a terminal" };

/** How the Tiltfile explains a recorded context. */
export function describeSource(from: ContextSource | undefined): string {
  return from ? SOURCE[from] : "recorded by an earlier run";
}

export async function resolveFluxContext({ named, remembered, contexts, ask }: FluxContextInput): Promise<FluxContext> {
  if (named === NO_CONTEXT) return { why: "none (--context none)" };
  if (named !== undefined) {
    if (contexts.names.length > 0 && !contexts.names.includes(named)) {
      throw new UserError(`kube context "${named}" is not in your kubeconfig (known: ${contexts.names.join(", ")})`);
    }
    return { context: named, from: "option", why: SOURCE.option };
  }
  if (remembered) {
    const { context, contextFrom } = remembered;
    return context
      ? { context, from: contextFrom, why: "remembered in .tilt-scaffold.yaml" }
      : { why: "none, as remembered in .tilt-scaffold.yaml" };
  }
  if (ask && contexts.names.length > 0) {
    const answer = await ask(contexts);
    return answer === NO_CONTEXT
      ? { why: "none, chosen on a terminal" }
      : { context: answer, from: "terminal", why: "chosen on a terminal" };
  }
  return {
    why: "none: no --context, no earlier answer and no terminal to ask (the current context is never taken on its own)",
  };
}
