import { describe, expect, it } from "vitest";
import { UserError } from "../../helpers/errors.ts";
import { tiltLibSource } from "../../helpers/templates.ts";
import {
  FIXED_DEFAULTS,
  isRepoUrl,
  parseList,
  validateAnswers,
  type TiltLibAnswers,
} from "../../helpers/tilt-lib/answers.ts";
import { readLibraryVersion } from "../../helpers/tilt-lib/package.ts";
import { TILT_LIB_VERSION } from "../../helpers/version.ts";

const GOOD: TiltLibAnswers = {
  ...FIXED_DEFAULTS,
  repoUrl: "https://github.com/org/platform.git",
  path: "tilt-lib",
  revision: "main",
};

function refusal(change: Partial<TiltLibAnswers>): string {
  try {
    validateAnswers({ ...GOOD, ...change });
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(change)}`);
}

describe("tilt-lib answers", () => {
  it("accepts the defaults and typical answers", () => {
    expect(validateAnswers(GOOD)).toEqual(GOOD);
    const typical = {
      ...GOOD,
      namespaces: ["coder", "team-a"],
      pins: ["v1", "v2"],
      project: "platform.tools",
      revision: "release/1.2",
      repoUrl: "git@github.com:org/platform.git",
      platformGroup: "oidc:platform-team",
    };
    expect(validateAnswers(typical)).toEqual(typical);
    for (const url of ["ssh://git@example.invalid/homelab.git", "http://gitea.local:3000/org/repo", "git://host/repo"])
      expect(isRepoUrl(url), url).toBe(true);
  });

  it.each<[string, Partial<TiltLibAnswers>, RegExp]>([
    ["a pin that is not v<major>", { pins: ["1.2"] }, /^--pin "1\.2": invalid version/],
    ["a pin with a minor", { pins: ["v1.2"] }, /invalid version/],
    ["an upper-case namespace", { namespaces: ["Team-A"] }, /^--namespaces "Team-A": not a namespace name/],
    ["a namespace with an underscore", { namespaces: ["team_a"] }, /not a namespace name/],
    ["a namespace longer than 63", { namespaces: ["a".repeat(64)] }, /not a namespace name/],
    ["no namespace", { namespaces: [] }, /name at least one workspace namespace/],
    ["a repo URL that is a word", { repoUrl: "platform" }, /^--repo-url "platform": not a repository URL/],
    ["a repo URL with a file scheme", { repoUrl: "file:///srv/git/platform" }, /not a repository URL/],
    ["a revision with a space", { revision: "my branch" }, /not a git branch/],
    ["a revision with ..", { revision: "main..dev" }, /not a git branch/],
    ["an absolute path", { path: "/tilt-lib" }, /not a relative path/],
    ["a path with ..", { path: "../tilt-lib" }, /not a relative path/],
    ["an empty platform group", { platformGroup: "" }, /^--platform-group "": not a group name/],
    ["a project with capitals", { project: "Platform" }, /not an ArgoCD project name/],
    ["a container name with a dot", { container: "dev.1" }, /not a container name/],
    ["a workspace label without a value", { workspaceLabel: "app" }, /not a label/],
  ])("refuses %s with a message naming the option", (_name, change, message) => {
    const text = refusal(change);
    expect(text).toMatch(message);
    expect(text).not.toContain("\n");
  });

  it("splits comma-separated answers, dropping blanks and duplicates", () => {
    expect(parseList(" coder, team-a,,coder ")).toEqual(["coder", "team-a"]);
    expect(parseList("")).toEqual([]);
  });

  it("reads VERSION from tilt_lib.star, and it is the version generated Tiltfiles need", () => {
    expect(readLibraryVersion(tiltLibSource(), "tilt_lib.star")).toBe(TILT_LIB_VERSION);
    expect(readLibraryVersion('# a library\nVERSION = "2.3.4"\n', "x.star")).toBe("2.3.4");
    expect(() => readLibraryVersion('VERSION = "1.x"\n', "x.star")).toThrow(/x\.star: invalid version/);
    expect(() => readLibraryVersion("# no version\n", "x.star")).toThrow(UserError);
  });
});
