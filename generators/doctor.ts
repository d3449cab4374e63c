// `plop doctor`: the external tools, found or not, with their versions; the work is in
// helpers/prerequisites.ts.
import type { NodePlopAPI } from "plop";
import { UserError } from "../helpers/errors.ts";
import { generatorCommand } from "../helpers/invocation.ts";
import { readAnswers } from "./wiring.ts";

export const DOCTOR_GENERATOR = {
  name: "doctor" as const,
  usage: "",
  description: "the tools the run and the generated files use: found or not, version, what is lost without each",
};

export function registerDoctorGenerator(plop: NodePlopAPI): void {
  plop.setGenerator(DOCTOR_GENERATOR.name, {
    description: DOCTOR_GENERATOR.description,
    prompts: () =>
      readAnswers(DOCTOR_GENERATOR, ({ positional }) => {
        if (positional.length > 0) throw new UserError(`doctor takes no folder, got ${positional.join(" ")}`);
        return {};
      }),
    actions: [
      async (answers) => {
        const { error } = answers as { error?: string };
        if (error) throw error;
        const { checkTools, formatChecks, prerequisites } = await import("../helpers/prerequisites.ts");
        const checks = await checkTools(prerequisites());
        console.log(formatChecks(checks).join("\n"));
        const missing = checks.filter((c) => !c.version);
        const needed = missing.filter((c) => c.runNeedsIt).map((c) => c.name);
        if (needed.length > 0)
          throw `${needed.join(" and ")} not found: ${generatorCommand()} namespace cannot run without ${needed.length === 1 ? "it" : "them"}`;
        return missing.length === 0
          ? `all ${checks.length} tools found`
          : `${missing.map((c) => c.name).join(", ")} not found: the run works, without what the lines above name`;
      },
    ],
  });
}
