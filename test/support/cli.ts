// Runs the generators as a user does: the bin, or plop with this project's plopfile, as
// processes without a terminal, started in copies of the example outside the project.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { PROJECT_ROOT } from "./example.ts";

const PLOP = path.join(PROJECT_ROOT, "node_modules", ".bin", "plop");
// What .npmrc gives `npx plop` in the project; these runs start in copies outside it.
const TSX_LOADER = `--import ${pathToFileURL(path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href}`;

export async function plop(cwd: string, args: string[], env: Record<string, string> = {}) {
  return plopCommand(cwd, ["namespace", ...args], env);
}

export async function plopCommand(cwd: string, args: string[], env: Record<string, string> = {}) {
  return execa(PLOP, ["--plopfile", path.join(PROJECT_ROOT, "plopfile.ts"), ...args], {
    cwd,
    reject: false,
    stdin: "ignore",
    env: { KUBECONFIG: "/nonexistent", NO_COLOR: "1", NODE_OPTIONS: TSX_LOADER, ...env },
  });
}

const BIN = path.join(PROJECT_ROOT, "bin", "tilt-flux-scaffold.ts");
const BIN_ENV = { KUBECONFIG: "/nonexistent", NO_COLOR: "1", NODE_OPTIONS: TSX_LOADER, NODE_ENV: "" };

/**
 * The bin from the sources, as a user runs it: not under vitest's NODE_ENV=test, with which
 * plop prints its ✔ and ✖ on stdout instead of stderr.
 */
export async function bin(cwd: string, args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [BIN, ...args], { cwd, reject: false, stdin: "ignore", env: { ...BIN_ENV, ...env } });
}

/** The bin on a terminal, which script(1) gives it; `input` is what the user types. Paths without spaces. */
export async function binOnTerminal(cwd: string, args: string[], input: string, env: Record<string, string> = {}) {
  const command = [process.execPath, BIN, ...args].join(" ");
  return execa("script", ["-qec", command, "/dev/null"], {
    cwd,
    input,
    reject: false,
    timeout: 60_000,
    env: { ...BIN_ENV, ...env },
  });
}

/** The lines of a run's output that are plop's ✔ or ✖ or our own ✖, without spinner residue. */
export function marked(text: string): string[] {
  return text.split("\n").filter((line) => /^[✔✖]/.test(line));
}

/** Every file below `root` with its content, to prove a failed run wrote nothing. */
export async function snapshot(root: string): Promise<string> {
  const { stdout } = await execa(
    "bash",
    ["-c", "find . -type f -print0 | sort -z | xargs -0 sha256sum; find . -type d | sort"],
    { cwd: root },
  );
  return stdout;
}
