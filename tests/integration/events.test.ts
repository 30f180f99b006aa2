// Physical interrupts delivered as events, in Bochs, without Domain 0's own
// kernel: tests/guests/serial_input_wakes_halted_dom0.asm runs as Domain 0
// (`control=1`, COM1 passed through), takes the serial console, enables
// COM1's receive interrupt and halts with interrupts enabled. We type on the
// serial line; each byte is an IRQ 4 the hypervisor turns into EVENT_SERIAL,
// and the guest echoes it. Its report shows it slept (one HLT exit per
// wake, a tiny share of the CPU, the CPU idle) rather than polled. Then the
// hypervisor's log lines reach the serial port only through the guest
// (`dmesg: ...`), and when it stops the hypervisor takes COM1 back and
// reports the interrupt-to-injection latency it measured. A second boot puts
// a CPU-bound domain next to it: the input still gets through, in time.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT } from "../../qemu/emulator";

const NAME = "serial_input_wakes_halted_dom0";
const GUEST = path.join(ROOT, "build", "guests", `${NAME}.elf`);
const SPIN = path.join(ROOT, "build", "guests", "spin_forever.elf");
const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted|hv: module \d+ not started|RESULT \S+ FAIL/;
const TYPED = "hello, dom0.";
const TEST_MS = 5 * 60_000;

beforeAll(() => {
  const r = spawnSync("make", ["-s", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make guests failed:\n${r.stdout}\n${r.stderr}`);
}, 180_000);

const SLICE_TSC = 1n << 21n; // src/sched/scheduler.ts

interface Echo {
  bytes: number; wakes: number; hltExits: number;
  run: bigint; uptime: bigint; idle: bigint; busy: bigint;
  irqs: number; latency: { min: bigint; avg: bigint; max: bigint };
  out: string; elapsed: number;
}

// Boots the guest as Domain 0 (plus `others`), types TYPED one byte at a
// time and collects its report and the hypervisor's.
async function echo(others: Array<{ path: string; cmdline: string }>, probeId: number): Promise<Echo> {
  const iso = makeIso({
    modules: [{ path: GUEST, cmdline: `domain name=${NAME} mem=2M control=1` }, ...others],
    title: "tshv-events",
  });
  const e = await bootBochs({ iso: iso.path, failOn: FAIL_ON, memoryMb: 128 });
  try {
    await e.waitFor(`hv: domain 1 (${NAME}) is Domain 0: COM1 (0x3f8-0x3ff) and PCI configuration (0xcf8-0xcff) passed through\n`, 4 * 60_000);
    await e.waitFor(`hv: domain 1 (${NAME}) takes the serial console; the hypervisor log goes on in its dmesg\n`, 60_000);
    await e.waitFor(`${NAME}: ready\n`, 60_000);
    // One byte at a time, with pauses in which Domain 0 has nothing to do.
    for (const c of TYPED) {
      e.write(c);
      await new Promise((r) => setTimeout(r, 250));
    }
    const m = await e.waitFor(
      /slept bytes=(\d+) wakes=(\d+) hlt_exits=(\d+) run=([0-9a-f]{16}) uptime=([0-9a-f]{16}) idle=([0-9a-f]{16}) busy=([0-9a-f]{16})\n/,
      60_000,
    );
    // Hypervisor log lines come through the console holder only.
    await e.waitFor(`dmesg: hv: domain ${probeId} (probe) created by domain 1: memory 1024 KiB\n`, 60_000);
    await e.waitFor(`dmesg: hv: domain ${probeId} (probe) stopped: destroyed by domain 1\n`, 60_000);
    await e.waitFor(`RESULT ${NAME} PASS\n`, 60_000);
    const back = await e.waitFor(
      new RegExp(`hv: serial console back from domain 1 \\(${NAME}\\): exit code 0; (\\d+) interrupts delivered, ` +
        "interrupt to injection min (\\d+) avg (\\d+) max (\\d+) TSC ticks\\n"),
      60_000,
    );
    await e.waitFor(`hv: domain 1 (${NAME}) stopped: exit code 0\n`, 60_000);
    const out = e.output();
    // The echo, with the log lines it forwarded meanwhile taken out.
    const echoed = out.slice(out.indexOf(`${NAME}: ready\n`), out.indexOf(`${NAME}: slept`)).replace(/dmesg: [^\n]*\n/g, "");
    expect(echoed).toBe(`${NAME}: ready\n${TYPED}\n`);
    expect(out).not.toMatch(new RegExp(`^hv: domain ${probeId} \\(probe\\)`, "m"));
    const held = out.slice(out.indexOf("takes the serial console"), out.indexOf("hv: serial console back"));
    expect(held.split("\n").slice(1).filter((l) => l.startsWith("hv:"))).toEqual([]);
    const [bytes, wakes, hltExits] = [1, 2, 3].map((i) => Number(m[i]));
    const [run, uptime, idle, busy] = [4, 5, 6, 7].map((i) => BigInt(`0x${m[i]}`));
    return {
      bytes, wakes, hltExits, run, uptime, idle, busy, out, elapsed: e.elapsed(),
      irqs: Number(back[1]), latency: { min: BigInt(back[2]), avg: BigInt(back[3]), max: BigInt(back[4]) },
    };
  } finally {
    await e.kill();
    iso.cleanup();
  }
}

function report(what: string, r: Echo): void {
  console.log(`bochs (${what}): ${r.bytes} bytes typed, ${r.wakes} wakes, ${r.hltExits} HLT exits; Domain 0 ran ` +
    `${r.run} of ${r.uptime} TSC ticks, CPU idle ${r.idle} busy ${r.busy}; ${r.irqs} COM1 interrupts, ` +
    `interrupt to injection min ${r.latency.min} avg ${r.latency.avg} max ${r.latency.max} TSC ticks ` +
    `(emulated instructions); ${r.elapsed.toFixed(1)} s`);
}

// What both runs show: every byte came back, one HLT exit per wake, hardly
// more wakes than bytes (other events: the log, another console), a tiny
// share of the CPU.
function slept(r: Echo): void {
  expect(r.bytes).toBe(TYPED.length);
  expect(r.hltExits).toBe(r.wakes);
  expect(r.wakes).toBeGreaterThanOrEqual(1);
  expect(r.wakes).toBeLessThanOrEqual(r.bytes + 2);
  expect(Number((r.run * 10000n) / r.uptime) / 100).toBeLessThan(1);
  // Busy time is charged per slice: the one running at a snapshot straddles it.
  expect(r.busy + r.idle).toBeLessThanOrEqual(r.uptime + SLICE_TSC);
  expect(r.irqs).toBeGreaterThanOrEqual(1);
  expect(r.irqs).toBeLessThanOrEqual(r.bytes);
}

describe("events (Bochs)", () => {
  test("COM1 input wakes a halted Domain 0 as EVENT_SERIAL; the CPU idles in between; the log reaches the console through it", async () => {
    const r = await echo([], 2);
    report("alone", r);
    slept(r);
    // Nothing else to run: the CPU slept too.
    expect(Number((r.idle * 100n) / r.uptime)).toBeGreaterThan(90);
  }, TEST_MS);

  test("with a CPU hog next to it, a COM1 interrupt still reaches Domain 0 within one slice", async () => {
    // spin_forever runs with RFLAGS.IF = 0, which Bochs 2.7 lets keep
    // external interrupts from exiting: they are seen at its slice's end.
    const r = await echo([{ path: SPIN, cmdline: "domain name=spin mem=2M" }], 3);
    report("with spin_forever", r);
    slept(r);
    expect(r.out).toContain("dmesg: [spin] spin_forever: spinning with interrupts off\n");
    // The hog had the CPU; Domain 0 got it back within a slice of each byte.
    expect(Number((r.busy * 100n) / r.uptime)).toBeGreaterThan(90);
    expect(r.latency.max).toBeLessThanOrEqual(SLICE_TSC + 100_000n);
  }, TEST_MS);
});
