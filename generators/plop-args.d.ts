// plop's own parse of its command line (plop 4 ships no types for it): the generator name plop
// will look for is its first positional.
declare module "plop/src/args.js" {
  export const argv: { _: string[] } & Record<string, unknown>;
}
