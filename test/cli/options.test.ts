// The one table of options: what the parser takes, what --help prints and what docs/options.md lists.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generatorNameError, readCommandLine } from "../../generators/args.ts";
import { NAMESPACE_GENERATOR } from "../../generators/namespace.ts";
import { generatorHelp, OPTIONS, optionsMarkdown, optionsOf, spelling } from "../../generators/options.ts";
import { TILT_LIB_GENERATOR } from "../../generators/tilt-lib.ts";
import { DOCTOR_GENERATOR } from "../../generators/doctor.ts";
import { PROJECT_ROOT } from "../support/example.ts";

const GENERATORS = [NAMESPACE_GENERATOR, TILT_LIB_GENERATOR, DOCTOR_GENERATOR];

describe("the table of options", () => {
  it("is the option reference, docs/options.md", () => {
    const reference = readFileSync(path.join(PROJECT_ROOT, "docs", "options.md"), "utf8");
    expect(reference, `paste into docs/options.md:\n${optionsMarkdown()}`).toContain(`\n${optionsMarkdown()}\n\n`);
    for (const option of OPTIONS) expect(reference).toContain(`| \`${spelling(option)}\` |`);
  });

  it.each(GENERATORS)("is what $name --help prints, one line an option", (generator) => {
    const help = generatorHelp(generator, "npx tilt-flux-scaffold").split("\n");
    const optionLines = help.filter((line) => line.startsWith("  --"));
    expect(optionLines).toHaveLength(optionsOf(generator.name).length);
    for (const option of optionsOf(generator.name)) {
      expect(optionLines.find((line) => line.startsWith(`  ${spelling(option)} `))).toContain(option.description);
    }
  });

  it.each(GENERATORS)("is what the $name parser takes, before -- and after it", (generator) => {
    for (const option of optionsOf(generator.name)) {
      const given = option.value ? [`--${option.name}`, "x"] : [`--${option.name}`];
      for (const argv of [
        [generator.name, "folder", ...given],
        [generator.name, "folder", "--", ...given],
      ]) {
        const { positional, named } = readCommandLine(argv, generator.name);
        expect(positional).toEqual(["folder"]);
        expect(named[option.name]).toEqual(option.value ? (option.multiple ? ["x"] : "x") : true);
      }
    }
  });
});

describe("a mistyped command line", () => {
  it.each([
    [
      ["namespace", ".", "--mdoe", "check"],
      "unknown option --mdoe: did you mean --mode? (npx plop namespace --help lists its options)",
    ],
    [
      ["namespace", "--contxt", "dev"],
      "unknown option --contxt: did you mean --context? (npx plop namespace --help lists its options)",
    ],
    [["namespace", "--colour", "red"], "unknown option --colour (npx plop namespace --help lists its options)"],
    [
      ["namespace", "--", "--pin", "v1"],
      "--pin is an option of tilt-lib, not of namespace: npx plop namespace --help lists its options",
    ],
    [
      ["tilt-lib", "--namespace", "coder"],
      "unknown option --namespace: did you mean --namespaces? (npx plop tilt-lib --help lists its options)",
    ],
    [
      ["tilt-lib", "--repo", "x"],
      "unknown option --repo: did you mean --repo-url? (npx plop tilt-lib --help lists its options)",
    ],
  ] as const)("%j: %s", (argv, message) => {
    expect(() => readCommandLine([...argv], argv[0])).toThrow(message);
  });

  it("names an unknown generator and the closest one", () => {
    const names = GENERATORS.map((g) => g.name);
    expect(generatorNameError("namespace", names, false)).toBeUndefined();
    expect(generatorNameError("namepsace", names, false)).toBe(
      'unknown generator "namepsace": did you mean namespace? (generators: namespace, tilt-lib, doctor)',
    );
    expect(generatorNameError("tilt", names, false)).toBe(
      'unknown generator "tilt": did you mean tilt-lib? (generators: namespace, tilt-lib, doctor)',
    );
    expect(generatorNameError("deploy", names, false)).toBe(
      'unknown generator "deploy" (generators: namespace, tilt-lib, doctor)',
    );
    expect(generatorNameError(undefined, names, true)).toBeUndefined();
    expect(generatorNameError(undefined, names, false)).toBe(
      "name a generator first: namespace, tilt-lib or doctor (add --help for its options)",
    );
  });
});
