// A console flood's cost to a neighbour, in Bochs from Domain 0's shell on
// 2 CPUs: the counter guest pinned to CPU 1, and the share of host time it
// runs (its rate: a line costs it a fixed number of instructions) alone,
// beside a guest that only spins (tests/guests/spin_forever.asm) and
// beside tests/guests/console_flood.asm (a line on its UART as fast as it
// can, each byte a VM exit), both pinned to CPU 0 with Domain 0, side by
// side in one run. The log takes the flood's lines at its rate
// (src/devices/console.ts), and its exits hold the big lock only briefly,
// so the counter should not notice. The shares come from `cpus` (uptime)
// and `vcpu-list` (run time), short answers that cost Domain 0 little. In
// Bochs a tick is an emulated instruction. It prints, it does not judge:
// non-zero exit only when the run itself failed.
//
//   make -s build/dom0.elf guests && node_modules/.bin/tsx bench/flood.ts
import * as path from "node:path";
import { bootBochs, makeIso, ROOT, type Emulator } from "../qemu/emulator";
import { DOM0_LINE, FAIL, IDLE_PROMPT, run, sleep, until } from "../tests/integration/dom0-console";

const IPS = 100_000_000;
const WINDOW_MS = 15_000;   // wall time a sample spans

const UPTIME = /up (\d+) TSC ticks/;
// The counter's vCPU's run time, TSC ticks (vcpu-list's Time column).
const RAN = /^c +\d+ +0 +\d+ +\w+ +(\d+) /m;
const EXITS = /VM exits +(\d+)/;
const TRIES = 5;

// Host uptime, the counter's run time and its VM exits, read together.
// An answer can come back without its figure when the live log lines
// (the flood's, the counter's) race the prompt: the three are asked again.
async function sample(e: Emulator): Promise<[number, number, number]> {
  for (let i = 0; i < TRIES; i++) {
    const t = UPTIME.exec(await run(e, "cpus"));
    const r = RAN.exec(await run(e, "vcpu-list c"));
    const x = EXITS.exec(await run(e, "info c"));
    if (t && r && x) return [Number(t[1]), Number(r[1]), Number(x[1])];
  }
  return [NaN, NaN, NaN];
}

// The share of host time the counter ran (what its rate of lines is, at
// a fixed cost a line) over one window, in %, and its VM exits then.
async function share(e: Emulator): Promise<{ pct: number; exits: number }> {
  const [t0, r0, x0] = await sample(e);
  await sleep(WINDOW_MS);
  const [t1, r1, x1] = await sample(e);
  return { pct: ((r1 - r0) * 100) / (t1 - t0), exits: x1 - x0 };
}

async function main() {
  const guest = (n: string) => ({ path: path.join(ROOT, "build", "guests", `${n}.elf`), cmdline: `/boot/guests/${n}.elf` });
  const iso = makeIso({
    title: "tshv-bench-flood",
    modules: [{ path: path.join(ROOT, "build", "dom0.elf"), cmdline: DOM0_LINE }, guest("counter"), guest("spin_forever"), guest("console_flood")],
  });
  let e: Emulator | undefined;
  try {
    e = await bootBochs({ iso: iso.path, failOn: FAIL, cpus: 2, ips: IPS });
    await e.waitFor(/dom0: shell ready after \d+ TSC ticks/, 5 * 60_000);
    await until(e, 0, IDLE_PROMPT, 60_000, "the first prompt");
    // The counter alone on CPU 1; its neighbour on CPU 0, with Domain 0.
    await run(e, "create counter.elf name=c memory=2");
    await run(e, "vcpu-pin c 0 1");
    await sleep(3000);
    const alone = await share(e);
    await run(e, "create spin_forever.elf name=spin memory=2");
    await run(e, "vcpu-pin spin 0 0");
    await sleep(3000);
    const spinning = await share(e);
    await run(e, "destroy spin");
    await run(e, "create console_flood.elf name=flood memory=2");
    await run(e, "vcpu-pin flood 0 0");
    await sleep(3000);
    const flooded = await share(e);
    // Gone before its ring and dmesg are read: a prompt is idle only once no
    // more of its lines arrive after it.
    await run(e, "destroy flood");
    await sleep(2000);
    let floodLines = 0;
    for (let i = 0; i < TRIES && floodLines < 10; i++) {
      floodLines = [...(await run(e, "log flood")).matchAll(/^flood (\d+)$/gm)].map((m) => Number(m[1])).at(-1) ?? 0;
    }
    const dmesg = await run(e, "dmesg");
    console.log("the counter guest's share of its CPU (% of host uptime it ran), on CPU 1, its neighbour on CPU 0:");
    const row = (what: string, s: { pct: number; exits: number }) => console.log(`  ${what.padEnd(24)}${s.pct.toFixed(2).padStart(7)}   (its VM exits in the window: ${s.exits})`);
    row("alone", alone);
    row("beside a spinning guest", spinning);
    row("beside a console flood", flooded);
    console.log(`  the flood: ${((flooded.pct / alone.pct) * 100).toFixed(1)}% of alone, ${((flooded.pct / spinning.pct) * 100).toFixed(1)}% of beside the spinner (goal: within 5%)`);
    console.log(`the flood printed ${floodLines}+ lines; dmesg begins "${dmesg.split("\n")[0].slice(0, 40)}..." and notes the flood ${[...dmesg.matchAll(/^hv: \[flood\] \d+ lines not logged/gm)].length} time(s)`);
    console.log(`Bochs ips=${IPS}, corei7_haswell_4770, 2 CPUs`);
  } finally {
    await e?.kill();
    iso.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
