// The state tree in Bochs, from Domain 0's shell on 2 CPUs: a counter guest
// snapshotted while it runs, reverted (its count goes back to the
// snapshot's and runs on from there), a tree of three levels and two
// branches reverted into each leaf and drawn by snapshot-list --tree, and
// the memory-integrity guest (tests/guests/memory_integrity.asm), whose
// passes after a revert print the sums they printed the first time. Every
// snapshot deleted, the host's free memory is where it was before the first.
import { expect, test } from "vitest";
import { bootShell, freeKiB, run, waitForLog } from "./dom0-console";

const counts = (log: string) => [...log.matchAll(/^counter (\d+)$/gm)].map((m) => Number(m[1]));
const last = (log: string) => counts(log).at(-1) ?? 0;   // the newest
// Where the count fell back: the values it fell to, in order.
const fallbacks = (log: string) => counts(log).filter((c, i, a) => i > 0 && c < a[i - 1]);
const passes = (log: string) => [...log.matchAll(/^integrity (\d+) ([0-9a-f]{8})$/gm)].map((m) => [Number(m[1]), m[2]] as const);

test("snapshots from the shell: revert, a tree with branches, memory integrity, memory back after delete", async () => {
  const { e, done } = await bootShell("tshv-snapshot", ["counter", "memory_integrity"], 2);
  try {
    expect(await run(e, `create counter.elf name=counter memory=2`)).toMatch(/created domain \d+ \(counter\)/);
    const free0 = freeKiB(await run(e, "mem"));
    await waitForLog(e, "counter 3", "counter", (l) => last(l) >= 3);

    // The count a snapshot holds: the guest paused for it, so that its log
    // says exactly where it was (snapshot-create pauses a running domain
    // itself; the test does so to read the count). The log is read after the
    // snapshot, which waited for the guest to leave its CPU (in Bochs a
    // guest with interrupts off runs on to its slice's end after a pause).
    const snapAt = async (name: string): Promise<number> => {
      expect(await run(e, "pause counter")).toContain("paused domain");
      expect(await run(e, `snapshot-create counter ${name}`)).toMatch(new RegExp(`^snapshot ${name} \\(id \\d+\\) of domain \\d+ \\(counter\\): \\d+ KiB, \\d+ TSC ticks$`, "m"));
      const at = last(await run(e, "log counter"));
      expect(await run(e, "unpause counter")).toContain("unpaused domain");
      return at;
    };
    // A snapshot of the running guest; it runs on, and a revert takes its
    // count back to the snapshot's.
    const c1 = await snapAt("s1");
    const mem1 = await run(e, "mem");
    expect(mem1).toMatch(/^ +\d+ {2}counter +2048 +\d+ +\d+ +\d+$/m);
    await waitForLog(e, `counter ${c1 + 3}`, "counter", (l) => last(l) >= c1 + 3);
    const c2 = await snapAt("s2");
    await waitForLog(e, `counter ${c2 + 2}`, "counter", (l) => last(l) >= c2 + 2);
    expect(await run(e, "snapshot-revert counter s1")).toContain("domain 2 (counter) reverted to snapshot s1");
    await waitForLog(e, "the count after s1", "counter", (l) => fallbacks(l).at(-1) === c1 + 1);

    // A branch from s1 (s3, then s4 under it): three levels, two branches.
    const c3 = await snapAt("s3");
    await waitForLog(e, "more counting", "counter", (l) => last(l) >= c3 + 2);
    const c4 = await snapAt("s4");
    expect(await run(e, "snapshot-list counter --tree")).toBe("s1\n|-- s2\n`-- s3\n    `-- s4  <- current\n");
    // Into each leaf in turn: the count falls back to the leaf's.
    // (The log keeps the last 16 KiB: the newest fall is the revert's, and
    // each leaf's differs from the one before.)
    for (const [leaf, at] of [["s2", c2], ["s4", c4], ["s2", c2]] as const) {
      // Past the leaf's count first, so that going back to it is a fall.
      await waitForLog(e, `counter ${at + 3}`, "counter", (l) => last(l) >= at + 3);
      expect(await run(e, `snapshot-revert counter ${leaf}`)).toContain(`reverted to snapshot ${leaf}`);
      await waitForLog(e, `the count after ${leaf}`, "counter", (l) => fallbacks(l).at(-1) === at + 1);
    }
    const table = await run(e, "snapshot-list counter");
    expect(table).toMatch(/^ +\d+ {2}s2 \* +\d+ +\d+ {2}\d+$/m);
    expect(await run(e, "snapshot-revert counter nosuch")).toContain("snapshot-revert: domain 2 (counter) has no snapshot nosuch");
    expect(await run(e, "snapshot-create counter s2")).toContain("a snapshot of that name exists");
    expect(await run(e, "snapshot-create counter bad/name")).toContain("letters, digits");
    expect(await run(e, "snapshot-create dom0")).toContain("snapshot-create: domain 1 (dom0): -3 ESRCH");

    // A fork of the running counter: both count on from the same value,
    // each on its own; the fork's console starts as a copy of the source's.
    expect(await run(e, "pause counter")).toContain("paused domain");
    expect(await run(e, "fork-vm counter --name twin")).toMatch(/^forked domain \d+ \(twin\)$/m);
    const atFork = await run(e, "log counter");    // after the fork: the guest is off its CPU
    const cf = last(atFork);
    expect(await run(e, "unpause counter")).toContain("unpaused domain");
    const twin = await waitForLog(e, "the twin counting", "twin", (l) => last(l) >= cf + 3);
    const src = await waitForLog(e, "the source counting", "counter", (l) => last(l) >= cf + 3);
    for (const l of [twin, src]) {
      expect(l.startsWith(atFork)).toBe(true);
      expect(counts(l.slice(atFork.length)).slice(0, 3)).toEqual([cf + 1, cf + 2, cf + 3]);
    }
    expect(await run(e, "fork-vm counter --name twin")).toContain("a live domain has that name");
    expect(await run(e, "fork-vm counter@nosuch")).toContain("has no snapshot nosuch");

    // The memory-integrity guest: the passes after a revert print the sums
    // of the first time.
    expect(await run(e, "create memory_integrity.elf name=integrity memory=8")).toMatch(/created domain \d+ \(integrity\)/);
    await waitForLog(e, "integrity pass 2", "integrity", (l) => passes(l).length >= 2);
    expect(await run(e, "snapshot-create integrity i1")).toContain("snapshot i1");
    const p1 = passes(await run(e, "log integrity")).at(-1)![0];
    await waitForLog(e, "4 passes after i1", "integrity", (l) => passes(l).at(-1)![0] >= p1 + 4);
    expect(await run(e, "snapshot-revert integrity i1")).toContain("reverted to snapshot i1");
    const log = await waitForLog(e, "the passes after i1 again", "integrity", (l) => {
      const p = passes(l);
      return p.filter(([n]) => n === p1 + 3).length >= 2;
    });
    const seen = new Map<number, string>();
    let again = 0;
    for (const [n, sum] of passes(log)) {
      if (seen.has(n)) {
        expect(sum, `pass ${n}`).toBe(seen.get(n));
        again++;
      } else seen.set(n, sum);
    }
    expect(again).toBeGreaterThanOrEqual(3);
    const info = await run(e, "info integrity");
    expect(info).toMatch(/frames +\d+ own, \d+ shared, \d+ in its 1 snapshots/);
    // The same through two forks of i1: every pass prints the first sum.
    expect(await run(e, "fork-vm integrity@i1 --name ifork --count 2")).toMatch(/^forked domain \d+ \(ifork-1\)\nforked domain \d+ \(ifork-2\)$/m);
    for (const f of ["ifork-1", "ifork-2"]) {
      // Its console begins as i1's; the passes after it are its own.
      const flog = await waitForLog(e, `${f}'s passes`, f, (l) => passes(l).some(([n]) => n >= p1 + 3));
      for (const [n, sum] of passes(flog)) if (seen.has(n)) expect(sum, `${f} pass ${n}`).toBe(seen.get(n));
    }
    const memForks = await run(e, "mem");
    expect(memForks).toMatch(/^ +\d+ {2}ifork-1 +8192 +\d+ +\d+ +0$/m);
    for (const f of ["ifork-1", "ifork-2", "twin"]) expect(await run(e, `destroy ${f}`)).toContain("destroyed");

    // Everything deleted: the domains own all their memory again, and the
    // host has what it had before the first snapshot (less the new guest).
    expect(await run(e, "snapshot-delete counter s1 --children")).toContain("snapshot s1 and its descendants deleted");
    expect(await run(e, "snapshot-list counter")).toContain("domain 2 (counter) has no snapshots");
    expect(await run(e, "snapshot-delete integrity i1")).toContain("snapshot i1 deleted");
    expect(await run(e, "info counter")).toContain("frames        512 own, 0 shared, 0 in its 0 snapshots");
    const integrityKiB = 8 * 1024;
    const free9 = freeKiB(await run(e, "mem"));
    expect(free0 - free9).toBeGreaterThanOrEqual(integrityKiB);
    expect(free0 - free9).toBeLessThanOrEqual(integrityKiB + 128);
    const before = last(await run(e, "log counter"));
    await waitForLog(e, "the counter still counting", "counter", (l) => counts(l).at(-1)! > before);
    console.log(`bochs: snapshot suite done, ${e.elapsed().toFixed(1)} s`);
  } finally {
    await done();
  }
}, 20 * 60_000);
