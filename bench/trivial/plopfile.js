// The bin's baseline: the trivial generator of plopfile.ts in plain JavaScript, no loader needed.
export default function plopfile(plop) {
  plop.setGenerator("trivial", {
    description: "writes one file",
    prompts: [],
    actions: [{ type: "add", path: `${process.cwd()}/Tiltfile.trivial`, template: "# {{cwd}}\nk8s_yaml('x.yaml')\n", force: true, data: { cwd: process.cwd() } }],
  });
}
