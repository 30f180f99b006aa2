// The credit scheduler on several CPUs in Bochs, one suite per CPU count
// (sched-2cpus.test.ts, sched-4cpus.test.ts: separate files, so that they
// run side by side).
import { beforeAll, describe, expect, test } from "vitest";
import { buildGuests, BUILD_MS, boot, counts, percent, ranOn, WINDOW, END, TEST_MS, type Module } from "./sched-lib";

export function schedSmpSuite(cpus: number): void {
  beforeAll(buildGuests, BUILD_MS);
  describe(`credit scheduler on ${cpus} CPUs (Bochs)`, () => {
    test("weights 1:2:4 (a vCPU per CPU each) get 1/7, 2/7, 4/7 within 5 points; a halted domain uses almost nothing", async () => {
      // The halted domain comes first with the control right: it is Domain 0,
      // which writes to the real COM1 (one line, before the others print);
      // the reporting domain then has its own UART and the [report] prefix.
      const out = await boot(cpus, [
        { name: "idle", file: "halt_forever.elf", opts: "control=1" },
        { name: "w1", opts: `weight=1 vcpus=${cpus} ${WINDOW}` },
        { name: "w2", opts: `weight=2 vcpus=${cpus} ${WINDOW}` },
        { name: "w4", opts: `weight=4 vcpus=${cpus} ${WINDOW}` },
        { name: "report", file: "run_ticks_report.elf", opts: `control=1 weight=1 end=${END} domains=5` },
      ], ["w1", "w2", "w4", "report"]);
      const p = percent(counts(out), ["w1", "w2", "w4"]);
      const rel = { w1: p.w1 / (100 / 7) - 1, w2: p.w2 / (200 / 7) - 1, w4: p.w4 / (400 / 7) - 1 };
      console.log(`${cpus} CPUs: shares (%)`, p, "relative error", rel);
      // As on one CPU: within 5 percentage points (the relative error, printed,
      // is a few % for the weight-1 domain: its share is close to one slice per
      // accounting period, and a vCPU that starts counting late counts less).
      expect(Math.abs(p.w1 - 100 / 7)).toBeLessThan(5);
      expect(Math.abs(p.w2 - 200 / 7)).toBeLessThan(5);
      expect(Math.abs(p.w4 - 400 / 7)).toBeLessThan(5);
      for (const e of Object.values(rel)) expect(Math.abs(e)).toBeLessThan(0.1);
      // Domain 1 halted at once: its run time, against all CPUs' whole run so far.
      const run = new Map([...out.matchAll(/run_ticks_report: RUN (\d+) ([0-9a-f]{16})/g)].map((m) => [Number(m[1]), BigInt(`0x${m[2]}`)]));
      expect(out).toMatch(/halt_forever: halting with interrupts off/);
      const idleShare = Number(run.get(1)!) / (cpus * END * 1e6);
      console.log(`${cpus} CPUs: halted domain ran ${run.get(1)} ticks, ${(100 * idleShare).toFixed(4)}% of the CPUs`);
      expect(idleShare).toBeLessThan(0.001);
    }, TEST_MS);

    test("a capped domain stays at its cap; pinned vCPUs never leave their CPUs", async () => {
      // CPU 0: the capped domain and a competitor; the last CPU: a reference
      // domain alone, whose count is 100% of one CPU; CPUs between: more load.
      const last = cpus - 1;
      const mods: Module[] = [
        { name: "capped", opts: `cap=25 cpus=0 ${WINDOW}` },
        { name: "hog", opts: `cpus=0 ${WINDOW}` },
        { name: "ref", opts: `cpus=${last} ${WINDOW}` },
      ];
      if (cpus > 2) mods.push({ name: "mid", opts: `vcpus=${cpus - 2} cpus=1-${last - 1} ${WINDOW}` });
      const out = await boot(cpus, mods);
      const c = counts(out);
      const capped = (100 * c.capped) / c.ref;
      const hog = (100 * c.hog) / c.ref;
      console.log(`${cpus} CPUs: capped ${capped.toFixed(2)}%, its competitor ${hog.toFixed(2)}% of one CPU`);
      expect(capped).toBeLessThanOrEqual(25.5);
      expect(capped).toBeGreaterThan(20);
      expect(hog).toBeGreaterThan(70);
      expect(ranOn(out, "capped")).toEqual(new Map([[0, [0]]]));
      expect(ranOn(out, "hog")).toEqual(new Map([[0, [0]]]));
      expect(ranOn(out, "ref")).toEqual(new Map([[0, [last]]]));
      if (cpus > 2) {
        for (const on of ranOn(out, "mid").values()) for (const cpu of on) expect(cpu >= 1 && cpu < last).toBe(true);
      }
    }, TEST_MS);

    test("16 domains share the CPUs for a long window; none starves", async () => {
      const names = Array.from({ length: 16 }, (_, i) => `d${i + 1}`);
      const c = counts(await boot(cpus, names.map((name) => ({ name, opts: WINDOW }))));
      const p = percent(c, names);
      const worst = Math.max(...names.map((n) => Math.abs(p[n] / (100 / 16) - 1)));
      console.log(`${cpus} CPUs, 16 domains: shares ${names.map((n) => p[n].toFixed(2)).join(" ")} (%), worst relative error ${(100 * worst).toFixed(2)}%`);
      for (const n of names) expect(c[n], n).toBeGreaterThan(0);
      expect(worst).toBeLessThan(0.1);
    }, TEST_MS);

    test("a two-vCPU guest runs on two CPUs at once", async () => {
      const out = await boot(cpus, [{ name: "pair", file: "two_vcpus_run_at_once.elf", opts: "vcpus=2" }], ["pair"]);
      expect(out).toMatch(/\[pair\] two_vcpus_run_at_once: vCPU 1 ran during \d+ of vCPU 0's \d+ short spins/);
    }, TEST_MS);
  });
}
