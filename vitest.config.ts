import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // CLI and real-tool suites start processes; a 2-core CI machine needs the headroom.
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
