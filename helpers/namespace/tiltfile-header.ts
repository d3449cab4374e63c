// The prose of a namespace Tiltfile's comments that depends on its mode (observe or develop) and
// on whether a Flux cluster is named: chosen here, so the template only writes the lines out.
import type { NamespaceModel } from "./model.ts";

const dirs = (model: NamespaceModel, overlay: "live" | "localPath" | "devClaims") =>
  model.builds.map((build) => build[overlay].dir).join(", ");

/** How to use the Tiltfile: the comment lines after its first three, with the blank line that ends them. */
export function tiltfileUsage(model: NamespaceModel): string[] {
  const update = `\`${model.generatorCommand} namespace ${model.folderInRepo}`;
  const cluster = model.context
    ? [
        `# The cluster Flux manages: kube context ${model.context}, ${model.contextSource}. Change it with`,
        `# ${update} -- --context <name>\` (\`--context none\`: no cluster is Flux's).`,
      ]
    : [
        "# The cluster Flux manages: none recorded (none named with --context or chosen on a terminal; the",
        "# current kube context is never taken on its own), so every cluster is a local one. Name it with",
        `# ${update} -- --context <name>\`.`,
      ];
  const commands = model.observe
    ? [
        `#   tilt up      observe mode: attach to what Flux runs${model.context ? ` on ${model.context}` : ""}. Tilt applies nothing and never`,
        "#                suspends Flux; it shows the workloads' pods, streams their logs and forwards their ports.",
        "#   tilt down    deletes nothing.",
        "#",
        `# The buttons on ${model.fluxResource} suspend, resume and reconcile Flux, run deploy.sh --dry-run and the`,
        `# dashboard. ${update} -- --tilt develop\` writes the Tiltfile that applies`,
        `# ${dirs(model, "live")} instead.`,
      ]
    : [
        `#   tilt up                          ${model.context ? `on ${model.context}, the cluster Flux manages: storage live` : "storage local-path (no Flux cluster was named)"}`,
        `#   tilt up -- --storage=live        the namespace exists, made by Flux: apply ${dirs(model, "live")} over it`,
        "#                                    (in-place changes only, the live claims stay) and suspend Flux",
        "#   tilt up -- --storage=local-path  a local cluster (kind, k3d, minikube, Docker Desktop): apply",
        `#                                    ${dirs(model, "localPath")}, claims from the local-path provisioner;`,
        `#                                    on the Flux cluster: ${dirs(model, "devClaims")}, claims of its own (<claim>-dev)`,
        "#   tilt up -- --no-suspend          keep Flux reconciling (or SUSPEND_FLUX=false tilt up)",
        "#   tilt down                        live: delete nothing Flux applies, resume Flux; local-path: delete what Tilt applied",
        "#",
        "# Ctrl-C resumes Flux (it re-applies its own spec over the in-place changes); so does Tilt dying,",
        "# noticed within a second. Only if the suspend process is killed too does Flux stay suspended:",
        "# ./dashboard.sh then says so and prints the command that resumes it.",
      ];
  return [...cluster, "#", ...commands, ""];
}

/** Who deploys the folder and what Tilt leaves alone of it: comment lines. */
export function deployerNotes(model: NamespaceModel): string[] {
  const lines: string[] = [];
  if (model.flux.kustomizations.length > 0) {
    lines.push("# Flux Kustomizations that apply this folder:");
    for (const k of model.flux.kustomizations) {
      lines.push(
        `#   ${k.namespace}/${k.name}  path ./${k.path}  (${k.file})${k.dependsOn.length > 0 ? `  dependsOn ${k.dependsOn.join(", ")}` : ""}`,
      );
    }
  }
  if (model.argocd.applications.length > 0) {
    lines.push(`# Argo CD Applications that deploy this folder (the cluster "Flux manages" above is Argo CD's):`);
    for (const app of model.argocd.applications)
      lines.push(`#   ${app.namespace}/${app.name}  path ./${app.path}  (${app.file})`);
    for (const note of model.argocd.notes) lines.push(`# ${note}`);
  }
  for (const k of model.flux.ancestors)
    lines.push(
      `# Not suspended: ${k.namespace}/${k.name} (path ./${k.path}) applies other folders too; suspending it would freeze them.`,
    );
  for (const k of model.flux.alreadySuspended)
    lines.push(`# Not touched: ${k.namespace}/${k.name} is suspended in git (spec.suspend: true).`);
  return lines;
}

/** What Tilt leaves to Flux with storage live, after the builds: comment lines (a blank one first when there are exclusions). */
export function liveNotes(model: NamespaceModel): string[] {
  const lines: string[] = [];
  if (model.liveExclusions.length > 0) {
    lines.push("", `# With storage live, Tilt leaves these to Flux (they are not in ${dirs(model, "live")}):`);
    for (const e of model.liveExclusions) lines.push(`#   ${e.kind} ${e.name}: ${e.reason}`);
  }
  for (const name of model.liveClaimTemplates)
    lines.push(
      `# With storage live, StatefulSet ${name} keeps the volumeClaimTemplates Flux gave it (they are immutable).`,
    );
  for (const name of model.sopsSecrets)
    lines.push(`# Never applied: Secret ${name} is SOPS-encrypted; the live Secret, decrypted by Flux, stays.`);
  return lines;
}

/** Service ports not forwarded, after the resources: a blank line and comment lines, or nothing. */
export function skippedPortNotes(model: NamespaceModel): string[] {
  if (model.skippedPorts.length === 0) return [];
  return [
    "",
    "# Service ports not forwarded:",
    ...model.skippedPorts.map((p) => `#   ${p.service}:${p.port}: ${p.reason}`),
  ];
}

/** Above Flux's (or Argo CD's) state and buttons: what they do, and in develop mode what never to do. */
export function statusComments(model: NamespaceModel, argocd: boolean): string[] {
  if (argocd) {
    const intro = "# Argo CD's state for this namespace, with buttons: pause, resume, deploy.sh --dry-run, the";
    return model.observe
      ? [intro, "# dashboard."]
      : [
          intro,
          `# dashboard and "hand back to Argo CD" (restore its sync while Tilt runs on).`,
          "# On Argo CD's cluster, never disable a resource of this Tiltfile in Tilt's UI: Tilt deletes the",
          "# objects of a disabled resource, whatever their tilt.dev/down-policy.",
        ];
  }
  const intro = "# Flux's state for this namespace, with buttons: suspend, resume, reconcile, deploy.sh --dry-run,";
  return model.observe
    ? [intro, "# the dashboard."]
    : [
        intro,
        `# the dashboard and "hand back to Flux" (resume it while Tilt runs on).`,
        "# On the Flux cluster, never disable a resource of this Tiltfile in Tilt's UI: Tilt deletes the",
        "# objects of a disabled resource, Flux's too, whatever their tilt.dev/down-policy.",
      ];
}
