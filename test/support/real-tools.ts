// The rule for suites that need the real tools of `npm run tools`: skip loudly on a developer
// machine without them, fail in CI; a tool that build.sh could not provide here (recorded in
// .tools/unavailable) skips everywhere, with its one line.
import { existsSync } from "node:fs";
import { toolPath, toolUnavailable } from "./cluster.ts";

/** True when every tool is built; logs a loud skip note, or throws in CI, when one is missing. */
export function requireRealTools(suite: string, names: string[]): boolean {
  const reasons = names.map(toolUnavailable).filter((reason) => reason !== undefined);
  if (reasons.length > 0) {
    console.warn(`\n*** SKIPPED ${suite}: ${reasons.join("; ")} ***\n`);
    return false;
  }
  const missing = names.filter((name) => !existsSync(toolPath(name)));
  if (missing.length === 0) return true;
  const message = `${suite}: ${missing.join(", ")} missing from .tools/bin; run \`npm run tools\``;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n*** SKIPPED ${message} ***\n`);
  return false;
}
