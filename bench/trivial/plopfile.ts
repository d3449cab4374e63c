// The baseline: the smallest useful plop generator, one file from one template, run like ours.
import type { NodePlopAPI } from "plop";

export default function plopfile(plop: NodePlopAPI): void {
  plop.setGenerator("trivial", {
    description: "writes one file",
    prompts: [],
    actions: [
      {
        type: "add",
        path: `${process.cwd()}/Tiltfile.trivial`,
        template: "# {{cwd}}\nk8s_yaml('x.yaml')\n",
        force: true,
        data: { cwd: process.cwd() },
      },
    ],
  });
}
