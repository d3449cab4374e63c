// The rule for suites that need the real tools of `npm run tools`: skip loudly on a developer
// machine without them, fail in CI.
import { existsSync } from "node:fs";
import { toolPath } from "./cluster.ts";

/** True when every tool is built; logs a loud skip note, or throws in CI, when one is missing. */
export function requireRealTools(suite: string, names: string[]): boolean {
  const missing = names.filter((name) => !existsSync(toolPath(name)));
  if (missing.length === 0) return true;
  const message = `${suite}: ${missing.join(", ")} missing from .tools/bin; run \`npm run tools\``;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n*** SKIPPED ${message} ***\n`);
  return false;
}
