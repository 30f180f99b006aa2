// A guest that floods its console, beside a counter, from Domain 0's shell
// in Bochs (2 CPUs): the live log takes the flood's lines at its rate and
// says how many it left out, at most once a second; the domain's own ring
// has them all; dmesg (the hypervisor's own lines) still begins with its
// boot lines and says once that the flood was cut; the counter counts on.
import { expect, test } from "vitest";
import { bootShell, run, sleep, waitForLog } from "./dom0-console";

const counts = (log: string) => [...log.matchAll(/^counter (\d+)$/gm)].map((m) => Number(m[1]));
const floods = (log: string) => [...log.matchAll(/^flood (\d+)$/gm)].map((m) => Number(m[1]));

test("a console flood is rate-limited in the log; dmesg keeps the boot lines; the neighbour counts on", async () => {
  const { e, done } = await bootShell("tshv-flood", ["counter", "console_flood"], 2);
  try {
    expect(await run(e, "create counter.elf name=c memory=2")).toMatch(/created domain \d+ \(c\)/);
    expect(await run(e, "create console_flood.elf name=flood memory=2")).toMatch(/created domain \d+ \(flood\)/);
    // Its ring fills far past what the log took.
    const from = e.output().length;
    const ring = await waitForLog(e, "the flood", "flood", (l) => (floods(l).at(-1) ?? 0) > 3000);
    const printed = floods(ring).at(-1)!;
    await sleep(3000);
    const live = e.output().slice(from);
    const logged = [...live.matchAll(/^\[flood\] flood (\d+)$/gm)].length;
    const notLogged = [...live.matchAll(/^hv: \[flood\] (\d+) lines not logged \(over 32 a second; its console ring has them\)$/gm)]
      .map((m) => Number(m[1]));
    console.log(`bochs: the flood printed ${printed}+ lines; the live log took ${logged}, left out ${notLogged.reduce((a, b) => a + b, 0)} (${notLogged.length} notes)`);
    expect(logged).toBeLessThan(printed / 2);
    expect(notLogged.length).toBeGreaterThan(0);
    expect(notLogged.length).toBeLessThan(logged / 16);

    // The neighbour counts on, every line in order.
    const c = counts(await run(e, "log c"));
    const later = counts(await waitForLog(e, "c counting on", "c", (l) => counts(l).at(-1)! >= c.at(-1)! + 2));
    for (let i = 1; i < later.length; i++) expect(later[i]).toBe(later[i - 1] + 1);
    // dmesg, the hypervisor's own lines (the unit tests show the flood's are
    // not among them), from its first: the boot lines, then the flood's
    // first note and, once it is gone, its total.
    expect(await run(e, "destroy flood")).toContain("destroyed");
    await sleep(2000);
    const dmesg = await run(e, "dmesg");
    expect(dmesg).toMatch(/^hv: tshv /);
    expect(dmesg).toMatch(/^hv: wall clock /m);
    expect([...dmesg.matchAll(/^hv: \[flood\] \d+ lines not logged/gm)].length).toBe(1);
    expect(dmesg).toMatch(/^hv: \[flood\] \d+ lines in all not logged/m);
  } finally {
    await done();
  }
}, 20 * 60_000);
