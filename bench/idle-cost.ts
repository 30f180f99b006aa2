// Idle host benchmark: what CPUs with nothing to run cost the host. In
// Bochs with 2 and 4 CPUs, tests/guests/cpu_idle_report.asm runs pinned to
// CPU 0 next to a halted domain and reads every CPU's busy and idle ticks
// (HC_CPU_INFO) over 200 million TSC ticks. On the other CPUs nothing runs:
// what is neither busy nor idle there is the host's own work (waking for the
// LAPIC timer every slice while some vCPU is runnable, to steal work or
// serve a capped domain's next period). With every vCPU halted no timer is
// armed and an idle CPU stays in HLT. Then, on 2 CPUs, the halted domain
// is replaced by a tickful guest on CPU 1 (tests/guests/lapic_timer_100hz:
// its LAPIC timer periodic at 100 Hz, halting between ticks), side by side
// with the halted one: what its timer costs the host. It prints; it does not
// judge.
//
//   make -s build/hv.iso guests && node_modules/.bin/tsx bench/idle-cost.ts
import * as path from "node:path";
import { bootBochs, makeIso, ROOT } from "../qemu/emulator";

const GUESTS = path.join(ROOT, "build", "guests");
const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted/;
const CPU_RE = /\[report\] BENCH cpu (\d+) busy (\d+) idle (\d+) of (\d+)/g;

interface CpuRow { cpu: number; busy: number; idle: number; of: number }

let tscKhz = 0;   // the host TSC's rate as the hypervisor measured it

async function measure(cpus: number, ticking = false): Promise<CpuRow[]> {
  const iso = makeIso({
    // The halted domain first: the first one with the control right is
    // Domain 0, on the real COM1; the reporting one keeps its [report] prefix.
    modules: [
      { path: path.join(GUESTS, "halt_forever.elf"), cmdline: "domain name=idle mem=2M control=1" },
      ...(ticking ? [{ path: path.join(GUESTS, "lapic_timer_100hz.elf"), cmdline: "domain name=tick100 mem=2M cpus=1" }] : []),
      { path: path.join(GUESTS, "cpu_idle_report.elf"), cmdline: "domain name=report mem=2M control=1 cpus=0 from=30 to=230" },
    ],
  });
  const e = await bootBochs({ iso: iso.path, failOn: FAIL_ON, cpus });
  try {
    await e.waitFor("[report] RESULT cpu_idle_report PASS", 10 * 60_000);
    tscKhz = +(/hv: TSC (\d+) kHz/.exec(e.output())?.[1] ?? 0);
    return [...e.output().matchAll(CPU_RE)].map((m) => ({ cpu: +m[1], busy: +m[2], idle: +m[3], of: +m[4] }));
  } finally {
    await e.kill();
    iso.cleanup();
  }
}

async function main(): Promise<number> {
  try {
    for (const cpus of [2, 4]) {
      const rows = await measure(cpus);
      console.log(`${cpus} CPUs, over ${rows[0]?.of} TSC ticks (Bochs: emulated instructions):`);
      for (const r of rows) {
        const host = r.of - r.busy - r.idle;
        console.log(`  CPU ${r.cpu}: running vCPUs ${(100 * r.busy / r.of).toFixed(3)}%, idle ${(100 * r.idle / r.of).toFixed(3)}%, ` +
          `host work ${(100 * host / r.of).toFixed(3)}%${r.cpu === 0 ? "  (the reporting guest's CPU)" : ""}`);
      }
    }
    // CPU 1 with the 100 Hz guest against CPU 1 with nothing but halted vCPUs.
    const quiet = (await measure(2)).find((r) => r.cpu === 1)!;
    const tick = (await measure(2, true)).find((r) => r.cpu === 1)!;
    const share = (r: CpuRow) => [r.busy / r.of, (r.of - r.busy - r.idle) / r.of, r.idle / r.of].map((x) => (100 * x).toFixed(3) + "%");
    const [qb, qh, qi] = share(quiet);
    const [tb, th, ti] = share(tick);
    console.log(`CPU 1 of 2, over ${tick.of} TSC ticks: a 100 Hz LAPIC-timer guest halting between ticks, against halted vCPUs only:`);
    console.log(`  100 Hz guest: in the guest ${tb}, host work ${th}, idle ${ti}`);
    console.log(`  halted only:  in the guest ${qb}, host work ${qh}, idle ${qi}`);
    if (tscKhz > 0) {
      const timerTicks = tick.of / (tscKhz * 1000) * 100;
      console.log(`  ${Math.round((tick.of - tick.idle) / timerTicks)} TSC ticks of CPU 1 per timer tick, guest and host (TSC ${tscKhz} kHz)`);
    }
    return 0;
  } catch (err) {
    console.error(`bench/idle-cost: run failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main();
