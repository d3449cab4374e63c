/**
 * An error the user can cause and fix: bad folder, bad YAML, a kustomize failure. Its message is
 * one line (a tool's multi-line output is joined), printed after plop's ✖; plop then exits 1.
 * A longer report (the table of a stale check) goes to stdout before it, never into it.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, " ").trim());
    this.name = "UserError";
  }
}

/** First non-empty line of a tool's stderr, for one-line error messages. */
export function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((line) => line.trim())
      .find((line) => line.length > 0) ?? ""
  );
}
