// Layers without cycles (tests/harness/layering.ts): every import of src/
// and dom0/ goes down the order, and no folders or files import each other
// in a cycle. The check is shown to catch what it is for on a copy of the
// tree with a bad import added, as the float check is shown to fail a build.
import { describe, expect, it } from "vitest";
import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { folderGraph, layeringProblems, LAYERS } from "../harness/layering";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// A copy of src/ and dom0/ with `lines` appended to the files named.
function treeWith(additions: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "layering-"));
  cpSync(join(ROOT, "src"), join(dir, "src"), { recursive: true });
  cpSync(join(ROOT, "dom0"), join(dir, "dom0"), { recursive: true });
  for (const [file, line] of Object.entries(additions)) appendFileSync(join(dir, file), `\n${line}\n`);
  return dir;
}

describe("layering", () => {
  it("has every import of the microkernel and Domain 0 going down the order, without cycles", () => {
    expect(layeringProblems(ROOT)).toEqual([]);
    const graph = folderGraph(ROOT);
    // Each folder imports only folders listed before it.
    for (const line of graph) {
      const [from, to] = line.split(" -> ");
      if (from === "dom0") continue;
      for (const f of to.split(", ")) expect(LAYERS.indexOf(f)).toBeLessThan(LAYERS.indexOf(from));
    }
    console.log(graph.join("\n"));
  });

  it("fails on an import against the order, and on the cycle it closes", () => {
    const dir = treeWith({ "src/mm/frames.ts": 'import { schedSlice } from "../sched/scheduler";' });
    try {
      const problems = layeringProblems(dir);
      expect(problems).toContain("src/mm/frames.ts imports src/sched/scheduler.ts: mm is below sched");
      expect(problems.some((p) => /^folders import each other in a cycle: .*\bmm\b.*\bsched\b/.test(p))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails on files of one folder importing each other", () => {
    const dir = treeWith({
      "src/lib/ring.ts": 'import { dec } from "./str";',
      "src/lib/str.ts": 'import { ringRead } from "./ring";',
    });
    try {
      expect(layeringProblems(dir)).toEqual(["files import each other in a cycle: src/lib/ring.ts, src/lib/str.ts"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails on Domain 0 importing hypervisor code that is not portable", () => {
    const dir = treeWith({ "dom0/main.ts": 'import { domains } from "../src/domain/domain";' });
    try {
      const problems = layeringProblems(dir);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^dom0\/main\.ts imports src\/domain\/domain\.ts: not portable/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
