// The embedded example repository, and throw-away copies of it for tests that write.
import { cpSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const EXAMPLE_ROOT = path.join(PROJECT_ROOT, "examples", "homelab");
export const EXAMPLE_NAMESPACES = ["applications/media", "infrastructure/monitoring", "infrastructure/observability"];
/**
 * Every folder scaffolded in the example: also two flat folders deploying into one namespace
 * (tools, one with a static volume), and the folder holding both, applied by their two Kustomizations.
 */
export const EXAMPLE_FOLDERS = [
  ...EXAMPLE_NAMESPACES,
  "applications/tools",
  "applications/tools/files",
  "applications/tools/whoami",
];

/** A copy of the example repository in a temp dir (outside any git work tree). */
export function copyExample(): string {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), "homelab-")), "homelab");
  cpSync(EXAMPLE_ROOT, root, { recursive: true });
  return root;
}
