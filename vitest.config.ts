import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // CLI and real-tool suites start processes; a 2-core CI machine needs the headroom.
    testTimeout: 60_000,
    // Two files at a time on two cores (vitest's default is one there): the cluster suites spend
    // most of their time waiting on controllers, Flux's health checks and Tilt.
    maxWorkers: 2,
    hookTimeout: 180_000,
    // The generator runs helm (and kubectl) from PATH, as on a user's machine: the built ones first.
    // No test reaches the internet: helm pulls fail fast through a proxy that is not there (Go never
    // proxies 127.0.0.1, where the tests serve their charts), so generated files do not depend on it.
    env: {
      PATH: `${path.resolve(".tools/bin")}${path.delimiter}${process.env.PATH}`,
      HTTPS_PROXY: "http://127.0.0.1:9",
      HTTP_PROXY: "http://127.0.0.1:9",
    },
  },
});
