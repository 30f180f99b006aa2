// Physical interrupts delivered as events, in Bochs, without Domain 0's own
// kernel: tests/guests/serial_input_wakes_halted_dom0.asm runs as Domain 0
// (`control=1`, COM1 passed through), takes the serial console, enables
// COM1's receive interrupt and halts with interrupts enabled. We type on the
// serial line; each byte is an IRQ 4 the hypervisor turns into EVENT_SERIAL,
// and the guest echoes it. Its report shows it slept (one HLT exit per
// wake, a tiny share of the CPU, the CPU idle) rather than polled. Then the
// hypervisor's log lines reach the serial port only through the guest
// (`dmesg: ...`), and when it stops the hypervisor takes COM1 back and
// reports the interrupt-to-injection latency it measured.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT } from "../../qemu/emulator";

const NAME = "serial_input_wakes_halted_dom0";
const GUEST = path.join(ROOT, "build", "guests", `${NAME}.elf`);
const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted|hv: module \d+ not started|RESULT \S+ FAIL/;
const TYPED = "hello, dom0.";
const TEST_MS = 5 * 60_000;

beforeAll(() => {
  const r = spawnSync("make", ["-s", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make guests failed:\n${r.stdout}\n${r.stderr}`);
}, 180_000);

describe("events (Bochs)", () => {
  test("COM1 input wakes a halted Domain 0 as EVENT_SERIAL; the log reaches the console through it", async () => {
    const iso = makeIso({ modules: [{ path: GUEST, cmdline: `domain name=${NAME} mem=2M control=1` }], title: "tshv-events" });
    const e = await bootBochs({ iso: iso.path, failOn: FAIL_ON, memoryMb: 128 });
    try {
      await e.waitFor(`hv: domain 1 (${NAME}) is Domain 0: COM1 (0x3f8-0x3ff) and PCI configuration (0xcf8-0xcff) passed through\n`, 4 * 60_000);
      await e.waitFor(`hv: domain 1 (${NAME}) takes the serial console; the hypervisor log goes on in its dmesg\n`, 60_000);
      await e.waitFor(`${NAME}: ready\n`, 60_000);
      // One byte at a time, with pauses in which the CPU has nothing to do.
      for (const c of TYPED) {
        e.write(c);
        await new Promise((r) => setTimeout(r, 250));
      }
      await e.waitFor(TYPED, 60_000);
      const m = await e.waitFor(
        /slept bytes=(\d+) wakes=(\d+) hlt_exits=(\d+) run=([0-9a-f]{16}) uptime=([0-9a-f]{16}) idle=([0-9a-f]{16}) busy=([0-9a-f]{16})\n/,
        60_000,
      );
      const [bytes, wakes, hltExits] = [1, 2, 3].map((i) => Number(m[i]));
      const [run, uptime, idle, busy] = [4, 5, 6, 7].map((i) => BigInt(`0x${m[i]}`));
      expect(bytes).toBe(TYPED.length);
      // Each wake is one HLT exit; an interrupt wakes it at most once.
      expect(hltExits).toBe(wakes);
      expect(wakes).toBeGreaterThanOrEqual(1);
      expect(wakes).toBeLessThanOrEqual(bytes + 2);
      // It used almost none of the CPU while waiting, and the CPU idled.
      expect(Number((run * 10000n) / uptime) / 100).toBeLessThan(1);
      expect(Number((idle * 100n) / uptime)).toBeGreaterThan(90);
      expect(busy + idle).toBeLessThanOrEqual(uptime);

      // Hypervisor log lines come through the console holder only.
      await e.waitFor(`dmesg: hv: domain 2 (probe) created by domain 1: memory 1024 KiB\n`, 60_000);
      await e.waitFor(`dmesg: hv: domain 2 (probe) stopped: destroyed by domain 1\n`, 60_000);
      await e.waitFor(`RESULT ${NAME} PASS\n`, 60_000);
      const back = await e.waitFor(
        new RegExp(`hv: serial console back from domain 1 \\(${NAME}\\): exit code 0; (\\d+) interrupts delivered, ` +
          "interrupt to injection min (\\d+) avg (\\d+) max (\\d+) TSC ticks\\n"),
        60_000,
      );
      await e.waitFor(`hv: domain 1 (${NAME}) stopped: exit code 0\n`, 60_000);
      const out = e.output();
      expect(out).not.toMatch(/^hv: domain 2 \(probe\)/m);
      const held = out.slice(out.indexOf("takes the serial console"), out.indexOf("hv: serial console back"));
      expect(held.split("\n").slice(1).filter((l) => l.startsWith("hv:"))).toEqual([]);
      const irqs = Number(back[1]);
      expect(irqs).toBeGreaterThanOrEqual(wakes);
      console.log(`bochs: ${bytes} bytes typed, ${wakes} wakes, ${hltExits} HLT exits; Domain 0 ran ` +
        `${run} of ${uptime} TSC ticks, CPU idle ${idle} busy ${busy}; ${irqs} COM1 interrupts, ` +
        `interrupt to injection min ${back[2]} avg ${back[3]} max ${back[4]} TSC ticks (emulated instructions); ` +
        `${e.elapsed().toFixed(1)} s`);
    } finally {
      await e.kill();
      iso.cleanup();
    }
  }, TEST_MS);
});
