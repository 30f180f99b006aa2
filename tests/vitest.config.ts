import { defineConfig } from "vitest/config";
import LongestFirst from "./sequencer";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Integration tests boot emulators; each sets its own longer timeout.
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // Emulators are CPU-bound and the machine has two cores.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    sequence: { sequencer: LongestFirst },
  },
});
