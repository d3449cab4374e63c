// Renders the templates of templates/ from a NamespaceModel: file path → content.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type Handlebars from "handlebars";
import type { NamespaceModel } from "./model.ts";
import type { RootTiltfileModel } from "./root-tiltfile.ts";
import {
  REPO_SCRIPT_LIBRARIES,
  REPO_TILT_LIB,
  scriptLibrarySource,
  TEMPLATES_DIR,
  TILT_LIB_PARTS,
  tiltLibSource,
  type RenderedFile,
} from "../templates.ts";
import { LOCAL_PATH_DIR } from "./inspect.ts";
import { SOURCE_IGNORE } from "../repository/flux-generator.ts";
import { SOURCE_IGNORE_HEADER } from "./source-ignore.ts";
import { renderArg, renderArgs, starlark, starlarkList } from "./starlark.ts";
import { tiltfileView } from "./tiltfile-view.ts";
import { devOverlayHeader, productionStorage } from "./overlay-view.ts";

/** The templates of templates/ this file renders, and how they are compiled. */
export const NAMESPACE_TEMPLATES = [
  "namespace/Tiltfile.hbs",
  "namespace/dev-kustomization.yaml.hbs",
  "namespace/dashboard.sh.hbs",
  "namespace/deploy.sh.hbs",
  "namespace/local-path-component.yaml.hbs",
  "repository/Tiltfile.hbs",
];
export const COMPILE_OPTIONS = { noEscape: true, strict: true } as const;

/** A template compiled by `npm run build`, with the hash of the source it was compiled from. */
export interface PrecompiledTemplate {
  sha256: string;
  spec: Parameters<typeof Handlebars.template>[0];
}

export function templateHash(source: string): string {
  return createHash("sha256").update(source).digest("hex");
}

// Compiling costs more than a run renders: the built package ships them compiled (dist/ only).
// One is used only while its source is the one it was compiled from.
const PRECOMPILED = new URL("./templates.precompiled.js", import.meta.url);
const precompiled: Record<string, PrecompiledTemplate> = existsSync(fileURLToPath(PRECOMPILED))
  ? (await import(PRECOMPILED.href)).default
  : {};

// Each template's source, and its precompiled spec while the source is the one it was compiled from.
const templates = new Map(
  NAMESPACE_TEMPLATES.map((name) => {
    const source = readFileSync(path.join(TEMPLATES_DIR, name), "utf8");
    const built = precompiled[name];
    return [name, { source, spec: built?.sha256 === templateHash(source) ? built.spec : undefined }];
  }),
);
// The runtime alone runs precompiled templates; handlebars' compiler (with its source-map
// dependency, 15 ms of a run's start-up) loads only when a template changed since the build.
const fresh = [...templates.values()].every((t) => t.spec !== undefined);
const { default: engine } = (fresh ? await import("handlebars/runtime.js") : await import("handlebars")) as {
  default: typeof Handlebars;
};
const handlebars = engine.create();
handlebars.registerHelper("json", starlark);
handlebars.registerHelper("list", starlarkList);
// A call's arguments: `arg` one of them (a call written one argument a line), `args` all on one line.
handlebars.registerHelper("arg", renderArg);
handlebars.registerHelper("args", renderArgs);

const compiled = new Map<string, Handlebars.TemplateDelegate>();
function template(name: string): Handlebars.TemplateDelegate {
  let render = compiled.get(name);
  if (!render) {
    const { source, spec } = templates.get(name)!;
    render = spec ? handlebars.template(spec) : handlebars.compile(source, COMPILE_OPTIONS);
    compiled.set(name, render);
  }
  return render;
}

/** Every file the namespace generator writes for one model. */
export function renderNamespace(model: NamespaceModel): RenderedFile[] {
  const inFolder = (rel: string) => path.join(model.folder, rel);
  const files: RenderedFile[] = [
    {
      path: inFolder("Tiltfile"),
      content: template("namespace/Tiltfile.hbs")({ ...model, view: tiltfileView(model) }),
    },
    ...model.builds
      .flatMap((unit) => [unit.live, unit.localPath, unit.devClaims])
      .map((build) => ({
        path: inFolder(`${build.dir}/kustomization.yaml`),
        content: template("namespace/dev-kustomization.yaml.hbs")({
          ...model,
          build,
          header: devOverlayHeader(model, build),
        }),
      })),
  ];
  files.push(
    { path: inFolder("dashboard.sh"), content: template("namespace/dashboard.sh.hbs")(model), executable: true },
    { path: inFolder("deploy.sh"), content: template("namespace/deploy.sh.hbs")(model), executable: true },
  );
  if (model.sourceIgnore.length > 0) {
    files.push({
      path: inFolder(SOURCE_IGNORE),
      content: [SOURCE_IGNORE_HEADER, ...model.sourceIgnore, ""].join("\n"),
    });
  }
  if (model.storage.localPath) {
    files.push({
      path: inFolder(`${LOCAL_PATH_DIR}/kustomization.yaml`),
      content: template("namespace/local-path-component.yaml.hbs")({
        ...model,
        productionStorage: productionStorage(model),
      }),
    });
  }
  return files;
}

/** The repository's root Tiltfile, which runs several namespaces together. */
export function renderRootTiltfile(repoRoot: string, model: RootTiltfileModel): RenderedFile {
  return { path: path.join(repoRoot, "Tiltfile"), content: template("repository/Tiltfile.hbs")(model) };
}

/**
 * The repository's shared libraries: tilt_lib.star and its parts, which namespace Tiltfiles find when no local
 * one exists, and the shell libraries every namespace's dashboard.sh and deploy.sh source.
 */
export function renderRepoLibraries(repoRoot: string): RenderedFile[] {
  return [
    ...TILT_LIB_PARTS.map((file) => ({
      path: path.join(repoRoot, path.dirname(REPO_TILT_LIB), file),
      content: tiltLibSource(file),
    })),
    ...REPO_SCRIPT_LIBRARIES.map((file) => ({ path: path.join(repoRoot, file), content: scriptLibrarySource(file) })),
  ];
}
