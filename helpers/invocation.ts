// How the user runs the generators: generated files name that command in their "update it" lines.
export const BIN_NAME = "tilt-flux-scaffold";
let command = "npx plop";

/** `npx plop` through a plopfile (this project's or a user's with `plop.load`), else the bin's name. */
export function generatorCommand(): string {
  return command;
}

/** Called by the bin before plop loads the package's plopfile. */
export function runningAsBin(): void {
  command = `npx ${BIN_NAME}`;
}
