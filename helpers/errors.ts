/**
 * An error the user can cause and fix: bad folder, bad YAML, a kustomize failure.
 * It carries a one-line message and an exit code; stack traces are for bugs.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
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
