import type { NodePlopAPI } from "plop";
export default function (plop: NodePlopAPI): void {
  plop.setGenerator("hello", { description: "x", prompts: [], actions: [() => "hi"] });
}
