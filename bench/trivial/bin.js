#!/usr/bin/env node
// The baseline's bin: plop with its own plopfile where the user stands, as tilt-flux-scaffold's does.
import { fileURLToPath, pathToFileURL } from "node:url";
import { Plop, run } from "plop";

const plopfile = fileURLToPath(new URL("./plopfile.js", import.meta.url));
await import(pathToFileURL(plopfile).href);
const cwd = process.cwd();
Plop.prepare({ cwd, configPath: plopfile, preload: [] }, (env) => Plop.execute(env, (ready) => run({ ...ready, dest: cwd }, undefined, false)));
