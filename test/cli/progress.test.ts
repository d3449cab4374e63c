// What a run prints while it works: progress on stderr, one line per folder, and no residue of
// plop's spinner; the report on stdout.
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { bin, marked, snapshot } from "../support/cli.ts";
import { copyExample, EXAMPLE_FOLDERS, PROJECT_ROOT } from "../support/example.ts";

const PROGRESS = /^\[(\d+)\/(\d+)\] (\S+) \d+ ms$/;

describe("progress", () => {
  it("without a terminal: one line per folder as it finishes on stderr, nothing else but warnings and the ✔ line", async () => {
    const repo = copyExample();
    const before = await snapshot(repo);
    const run = await bin(repo, ["namespace", "--folder", "all", "--mode", "dry-run"]);
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = run.stderr.split("\n");
    const progress = lines.filter((line) => PROGRESS.test(line)).map((line) => PROGRESS.exec(line)!.slice(1, 4));
    expect(progress.map(([index, total]) => `${index}/${total}`)).toEqual(
      EXAMPLE_FOLDERS.map((_, i) => `${i + 1}/${EXAMPLE_FOLDERS.length}`),
    );
    expect(progress.map(([, , folder]) => folder).sort()).toEqual([...EXAMPLE_FOLDERS].sort());
    // Not one `- ` line of plop's spinner, nor anything else.
    expect(
      lines.filter((line) => !PROGRESS.test(line) && !line.startsWith("warning: ") && !/^[✔✖]/.test(line)),
    ).toEqual([]);
    expect(marked(run.stderr)).toEqual([
      expect.stringMatching(
        /^✔ +write-plan media, .*: \d+ would be written, \d+ unchanged in \d+ ms \(dry-run: nothing written\)$/,
      ),
    ]);
    expect(run.stdout).not.toMatch(/^\[\d+\//m);
    expect(run.stdout).toMatch(/^unchanged +tilt-lib\/tilt_lib\.star$/m);
    expect(await snapshot(repo)).toBe(before);
  });

  it("--quiet: no progress, and the report lists only what changes", async () => {
    const repo = copyExample();
    const run = await bin(repo, ["namespace", "--folder", "all", "--mode", "dry-run", "--quiet"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr.split("\n").filter((line) => !line.startsWith("warning: ") && !/^[✔✖]/.test(line))).toEqual([]);
    expect(run.stdout).not.toMatch(/^unchanged /m);
    expect(run.stdout).toMatch(/^would be written +applications\/media\/Tiltfile$/m);
  });

  it("on a terminal: the folder being worked on, rewritten in place by its finished line, and no half line left", async () => {
    const repo = copyExample();
    const node = `${process.execPath} ${path.join(PROJECT_ROOT, "bin", "tilt-flux-scaffold.ts")} namespace applications/media --mode dry-run 2>&1 >/dev/null`;
    // script(1) gives the run a terminal; only stderr reaches it.
    const run = await execa("script", ["-qec", node, "/dev/null"], {
      cwd: repo,
      reject: false,
      env: {
        KUBECONFIG: "/nonexistent",
        NO_COLOR: "1",
        NODE_ENV: "",
        NODE_OPTIONS: `--import ${new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href}`,
        TERM: "xterm",
      },
    });
    expect(run.exitCode, run.stdout).toBe(0);
    /* eslint-disable no-control-regex -- what a terminal receives: escape sequences */
    expect(run.stdout).toMatch(
      /\r\x1b\[2K\[1\/1\] applications\/media …\r\x1b\[2K\[1\/1\] applications\/media \d+ ms\r?\n/,
    );
    // What the terminal shows last before plop's ✔: the progress line cleared.
    expect(run.stdout).toMatch(/\r\x1b\[2K(\x1b\[[0-9;?]*[A-Za-z])*✔/);
    /* eslint-enable no-control-regex */
  });
});
