// Starlark literals and call arguments as the generated Tiltfiles write them.

/** JSON literals are valid Starlark for the strings, numbers, lists and dicts we render. */
export const starlark = (value: unknown): string => JSON.stringify(value);

/** A list on one line, as Starlark is written: ["a", "b"]. */
export const starlarkList = (values: unknown[]): string => `[${values.map(starlark).join(", ")}]`;

/** One argument of a call: `value`, or `name = value`; the value is Starlark already. */
export interface StarlarkArg {
  name?: string;
  value: string;
  /** Comment lines written above the argument, in a call written one argument a line. */
  comments: string[];
}

export const positional = (value: string): StarlarkArg => ({ value, comments: [] });
export const keyword = (name: string, value: string, comments: string[] = []): StarlarkArg => ({
  name,
  value,
  comments,
});

export const renderArg = (arg: StarlarkArg): string =>
  arg.name === undefined ? arg.value : `${arg.name} = ${arg.value}`;

/** A call's arguments on one line: `a, b, name = c`. */
export const renderArgs = (args: StarlarkArg[]): string => args.map(renderArg).join(", ");
