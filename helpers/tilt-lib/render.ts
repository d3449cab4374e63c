// Renders the tilt-lib package from its model: file path → content. Templates see only the model.
import { readFileSync } from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";
import { TEMPLATES_DIR, type RenderedFile } from "../templates.ts";
import type { TiltLibAnswers } from "./answers.ts";

/** One key of a ConfigMap, from one file of the package. */
export interface PackagedKey {
  /** Key in the ConfigMap, i.e. the file name under the mount path. */
  key: string;
  /** Package-relative, `/`-separated. */
  file: string;
  /** The key differs from the file's path, so the generator entry needs `key=file`. */
  renamed: boolean;
}

/** One ConfigMap built from files of the package, mounted as one folder. */
export interface PackagedFile {
  /** ConfigMap name: tilt-lib, tilt-lib-v1, tilt-templates. */
  name: string;
  /** The file that names it, package-relative: tilt_lib.star, versions/v1/tilt_lib.star, … */
  file: string;
  /** Its keys: the library's are tilt_lib.star and the tilt_lib_*.star it loads. */
  keys: PackagedKey[];
  version: string;
  /** Shown in a comment of kustomization.yaml. */
  description: string;
  /** Set on pinned copies: v1, v2, … */
  tag?: string;
}

export interface TiltLibModel {
  generatorVersion: string;
  /** What runs the generators where the user is: the README names it. */
  generatorCommand: string;
  /** Absolute path of the package, and its path inside the repository. */
  dir: string;
  dirInRepo: string;
  /** VERSION of the package's tilt_lib.star. */
  version: string;
  /** The current library. */
  library: PackagedFile;
  /** Pinned majors, oldest first. */
  pins: PackagedFile[];
  /** library + pins: every ConfigMap holding a tilt_lib.star. */
  libraries: PackagedFile[];
  templates: PackagedFile;
  /** libraries + templates: every ConfigMap of the package, generated in each workspace namespace. */
  configMaps: PackagedFile[];
  libraryMount: string;
  templateMount: string;
  /** The repository's copy that namespace Tiltfiles load, repository-relative. */
  repoTiltLib: string;
  /** From the package folder up to the repository root: "..", "../..", … */
  rootFromPackage: string;
  application: { name: string };
  answers: TiltLibAnswers;
}

const handlebars = Handlebars.create();
// JSON strings are valid YAML double-quoted scalars, and valid bash words for the names we quote.
handlebars.registerHelper("json", (value: unknown) => JSON.stringify(value));
handlebars.registerPartial("workspaceSpec", readTemplate("workspace-spec.yaml.hbs"));

function readTemplate(name: string): string {
  return readFileSync(path.join(TEMPLATES_DIR, "tilt-lib", name), "utf8");
}

const compiled = new Map<string, Handlebars.TemplateDelegate>();
function render(name: string, context: object): string {
  let template = compiled.get(name);
  if (!template) {
    template = handlebars.compile(readTemplate(name), { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template(context);
}

/** The package's files that come from templates; the .star copies and Tiltfile.hbs are added by the caller. */
export function renderTiltLibPackage(model: TiltLibModel): RenderedFile[] {
  const at = (rel: string) => path.join(model.dir, ...rel.split("/"));
  return [
    { path: at("kustomization.yaml"), content: render("kustomization.yaml.hbs", model) },
    { path: at("rbac.yaml"), content: render("rbac.yaml.hbs", model) },
    { path: at("argocd/application.yaml"), content: render("application.yaml.hbs", model) },
    { path: at("workspace/kustomization.yaml"), content: render("workspace-kustomization.yaml.hbs", model) },
    { path: at("workspace/deployment-patch.yaml"), content: render("deployment-patch.yaml.hbs", model) },
    { path: at("workspace/pod-patch.yaml"), content: render("pod-patch.yaml.hbs", model) },
    { path: at("README.md"), content: render("README.md.hbs", model) },
    { path: at("tilt-lib-version.sh"), content: render("tilt-lib-version.sh.hbs", model), executable: true },
  ];
}
