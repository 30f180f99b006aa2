// The order test files start in: the longest first, so that the two workers
// (two cores) finish together instead of one Bochs suite on 4 CPUs running
// alone at the end. Measured on the CI machine; files not named here follow,
// in vitest's own order (unit files take a second or less).
import * as path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const LONGEST_FIRST = [
  "linux", "linux-two", "linux-save", "shell", "snapshot", "save", "dedup", "flood", "sched-4cpus", "hostile", "sched-2cpus", "heap", "sched", "guests", "smp", "boot", "events", "fuzz", "dom0", "float-check",
];

function rank(spec: TestSpecification): number {
  const i = LONGEST_FIRST.indexOf(path.basename(spec.moduleId, ".test.ts"));
  return i < 0 ? LONGEST_FIRST.length : i;
}

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
