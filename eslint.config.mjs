// ESLint's recommended rules and typescript-eslint's strict ones over the TypeScript the
// project ships and tests.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", "examples/", "templates/", "node_modules/", ".tools/", "docs/"] },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, tseslint.configs.strict],
    rules: {
      // tsconfig's noUncheckedIndexedAccess types every index access as possibly undefined; `!`
      // marks the ones the line before has just made sure of (a matched regex group, a key set).
      "@typescript-eslint/no-non-null-assertion": "off",
      // `const { dropped, ...kept } = object` names what it drops.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read tools' JSON output as it comes and compare it whole.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
