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
  },
});
