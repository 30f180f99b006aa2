// Dedup in Bochs, from Domain 0's shell on 2 CPUs: two memory-integrity
// guests (tests/guests/memory_integrity.asm) and two counters, merged by
// `dedup` while they run. `mem` shows their own frames fall and the host's
// free memory rise; both of each pair go on correctly: a counter counts on
// by one, and each integrity pass prints the sum the other guest printed
// for the same pass (what a pass prints depends only on its memory and the
// pass number), while their scribbles copy pages apart again on both CPUs.
import { expect, test } from "vitest";
import { bootShell, freeKiB, run, waitForLog } from "./dom0-console";

const counts = (log: string) => [...log.matchAll(/^counter (\d+)$/gm)].map((m) => Number(m[1]));
const passes = (log: string) => [...log.matchAll(/^integrity (\d+) ([0-9a-f]{8})$/gm)].map((m) => [Number(m[1]), m[2]] as const);
// A domain's Own(KiB) column in `mem`.
const ownKiB = (mem: string, name: string) => Number(new RegExp(`^ +\\d+ {2}${name} +\\d+ +(\\d+) `, "m").exec(mem)?.[1] ?? NaN);

test("dedup from the shell: two pairs of identical guests share frames and run on correctly", async () => {
  const { e, done } = await bootShell("tshv-dedup", ["counter", "memory_integrity"], 2);
  try {
    for (const n of ["i1", "i2"]) {
      expect(await run(e, `create memory_integrity.elf name=${n} memory=8`)).toMatch(new RegExp(`created domain \\d+ \\(${n}\\)`));
    }
    for (const n of ["c1", "c2"]) {
      expect(await run(e, `create counter.elf name=${n} memory=2`)).toMatch(new RegExp(`created domain \\d+ \\(${n}\\)`));
    }
    for (const n of ["i1", "i2"]) await waitForLog(e, `${n} pass 2`, n, (l) => passes(l).length >= 2);
    for (const n of ["c1", "c2"]) await waitForLog(e, `${n} counting`, n, (l) => counts(l).length >= 2);
    const mem0 = await run(e, "mem");
    const free0 = freeKiB(mem0);
    expect(ownKiB(mem0, "i1")).toBe(8192);

    const out = await run(e, "dedup i1 i2");
    const m = /^dedup of 2 domains: (\d+) pages merged, (\d+) KiB freed, (\d+) TSC ticks$/m.exec(out);
    expect(m, out).not.toBeNull();
    const merged = Number(m![1]);
    // 6 MiB of each is the same pattern at the same addresses, less what the
    // guests scribbled since.
    expect(merged).toBeGreaterThan(1200);
    const out2 = await run(e, "dedup c1 c2");
    expect(out2).toMatch(/^dedup of 2 domains: \d+ pages merged/m);
    const mem1 = await run(e, "mem");
    console.log(`bochs: ${out.trim()}; ${out2.trim()}\n${mem1}`);
    expect(freeKiB(mem1) - free0).toBeGreaterThan(merged * 4 - 512);
    expect(ownKiB(mem1, "i1") + ownKiB(mem1, "i2")).toBeLessThan(8192 + 1024);
    expect(ownKiB(mem1, "c1")).toBeLessThan(2048);
    expect(mem1).toMatch(/in frames dedup shares\)/);
    expect(await run(e, "info i2")).toMatch(/frames +\d+ own, \d+ shared, 0 in its 0 snapshots/);

    // Both pairs run on: the counters by one, the integrity passes with the
    // other guest's sums (the scribbles of each pass copy pages apart).
    const at = { i1: passes(await run(e, "log i1")).at(-1)![0], i2: passes(await run(e, "log i2")).at(-1)![0] };
    const logs = new Map<string, string>();
    for (const n of ["i1", "i2"] as const) logs.set(n, await waitForLog(e, `${n} 4 passes on`, n, (l) => passes(l).at(-1)![0] >= at[n] + 4));
    const sums = new Map<number, string>();
    for (const [n, sum] of passes(logs.get("i1")!)) sums.set(n, sum);
    let compared = 0;
    for (const [n, sum] of passes(logs.get("i2")!)) {
      if (!sums.has(n)) continue;
      expect(sum, `pass ${n}`).toBe(sums.get(n));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(4);
    for (const n of ["c1", "c2"]) {
      const c = counts(await run(e, `log ${n}`));
      const l = await waitForLog(e, `${n} counting on`, n, (x) => counts(x).at(-1)! >= c.at(-1)! + 3);
      const all = counts(l);
      for (let i = 1; i < all.length; i++) expect(all[i], `${n} after ${all[i - 1]}`).toBe(all[i - 1] + 1);
    }

    // Bad groups are refused before any call; a second scan of the pair
    // finds little new.
    expect(await run(e, "dedup dom0 i1")).toContain("dedup: domain 1 (dom0) is a control domain: only DomUs share pages");
    expect(await run(e, "dedup i1 i1")).toContain("is named twice");
    // One of a pair destroyed: the other keeps its frames and runs on; all
    // the memory comes back.
    expect(await run(e, "destroy i1")).toContain("destroyed");
    expect(await run(e, "destroy c1")).toContain("destroyed");
    const p2 = passes(await run(e, "log i2")).at(-1)![0];
    const l2 = await waitForLog(e, "i2 2 passes on", "i2", (l) => passes(l).at(-1)![0] >= p2 + 2);
    for (const [n, sum] of passes(l2)) if (sums.has(n)) expect(sum, `i2 pass ${n}`).toBe(sums.get(n));
    for (const n of ["i2", "c2"]) expect(await run(e, `destroy ${n}`)).toContain("destroyed");
    const mem9 = await run(e, "mem");
    expect(mem9).not.toMatch(/in frames dedup shares/);
    expect(freeKiB(mem9) - free0).toBeGreaterThanOrEqual(2 * 8192 + 2 * 2048 - 256);
    console.log(`bochs: dedup suite done, ${e.elapsed().toFixed(1)} s`);
  } finally {
    await done();
  }
}, 20 * 60_000);
