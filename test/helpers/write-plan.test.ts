import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../helpers/errors.ts";
import { applyPlan, planWrites, sha256 } from "../../helpers/plan/write-plan.ts";

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), "plan-"));
}

describe("planWrites", () => {
  it("tells new, regenerated, unchanged, hand-edited and foreign files apart", () => {
    const dir = tmp();
    const at = (name: string) => path.join(dir, name);
    writeFileSync(at("same"), "new");
    writeFileSync(at("ours"), "old");
    writeFileSync(at("edited"), "old + my edit");
    writeFileSync(at("foreign"), "written by hand");
    const generated = new Map([
      [at("ours"), sha256("old")],
      [at("edited"), sha256("old")],
    ]);
    const files = ["missing", "same", "ours", "edited", "foreign"].map((name) => ({ path: at(name), content: "new" }));
    const plan = planWrites(files, generated);
    expect(plan.map((w) => [path.basename(w.path), w.outcome, w.beside && path.basename(w.beside)])).toEqual([
      ["missing", "create", undefined],
      ["same", "unchanged", undefined],
      ["ours", "update", undefined],
      ["edited", "kept-edited", "edited.new"],
      ["foreign", "kept-foreign", "foreign.new"],
    ]);
    expect(planWrites(files, generated, true).map((w) => w.outcome)).toEqual([
      "create",
      "unchanged",
      "update",
      "forced",
      "forced",
    ]);
  });
});

describe("applyPlan", () => {
  it("writes changed files and new versions beside kept ones, and leaves unchanged files alone", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "same"), "x");
    writeFileSync(path.join(dir, "edited"), "mine");
    const before = statSync(path.join(dir, "same")).mtimeMs;
    const plan = planWrites(
      [
        { path: path.join(dir, "sub/new"), content: "n", executable: true },
        { path: path.join(dir, "same"), content: "x" },
        { path: path.join(dir, "edited"), content: "theirs" },
      ],
      new Map([[path.join(dir, "edited"), sha256("original")]]),
    );
    applyPlan(plan);
    expect(readFileSync(path.join(dir, "sub/new"), "utf8")).toBe("n");
    expect(statSync(path.join(dir, "sub/new")).mode & 0o111).not.toBe(0);
    expect(readFileSync(path.join(dir, "edited"), "utf8")).toBe("mine");
    expect(readFileSync(path.join(dir, "edited.new"), "utf8")).toBe("theirs");
    expect(statSync(path.join(dir, "same")).mtimeMs).toBe(before);
  });

  it.skipIf(process.getuid?.() === 0)("changes nothing when one target cannot be written", () => {
    const dir = tmp();
    const locked = path.join(dir, "locked");
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const plan = planWrites(
      [
        { path: path.join(dir, "a"), content: "a" },
        { path: path.join(locked, "b"), content: "b" },
      ],
      new Map(),
    );
    expect(() => applyPlan(plan)).toThrow(UserError);
    expect(readdirSync(dir).sort()).toEqual(["locked"]);
    expect(existsSync(path.join(locked, "b"))).toBe(false);
  });

  it("changes nothing when a target's directory cannot be created", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "file"), "not a directory");
    const plan = planWrites(
      [
        { path: path.join(dir, "a"), content: "a" },
        { path: path.join(dir, "file", "b"), content: "b" },
      ],
      new Map(),
    );
    expect(() => applyPlan(plan)).toThrow(/nothing was changed/);
    expect(readdirSync(dir).sort()).toEqual(["file"]);
  });
});
