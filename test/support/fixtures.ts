// The real GitOps repositories of ../shared/fixtures/gitops: copies to write into, and the
// namespace folders a user would scaffold in them.
import { cpSync, existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { scanRepository } from "../../helpers/repository/scan.ts";
import { PROJECT_ROOT } from "./example.ts";

export const FIXTURES_DIR = path.resolve(PROJECT_ROOT, "..", "shared", "fixtures", "gitops");

export function haveFixtures(): boolean {
  return existsSync(FIXTURES_DIR);
}

/** A git work tree holding a copy of the fixture repository `name`. */
export async function copyFixture(name: string): Promise<string> {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), "fixture-")), name);
  cpSync(path.join(FIXTURES_DIR, name), root, { recursive: true });
  await execa("git", ["init", "-q", root]);
  return root;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES_DIR).filter((name) => statSync(path.join(FIXTURES_DIR, name)).isDirectory());
}

/** The folders of a repository a user would scaffold, as the generator's picker offers them. */
export async function namespaceFoldersOf(root: string): Promise<string[]> {
  return (await scanRepository(root, root)).namespaceFolders;
}
