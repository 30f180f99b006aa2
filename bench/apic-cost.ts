// LAPIC benchmark: the exit-cost guest (tests/guests/exit_cost.asm) with
// `lapic` in two boots of the hypervisor in Bochs, one with APIC
// virtualization (APIC-access page, register virtualization, virtual-
// interrupt delivery) and one with `apicv=0` (every LAPIC access exits and is
// emulated). Prints, side by side, the guest TSC ticks of a LAPIC register
// read, a TPR write, a self-IPI (ICR write to the return from its handler,
// EOI included), and the TSC-deadline timer's lateness with the vCPU
// spinning and halted, and a fixed IPI from vCPU 0 to vCPU 1 (halted, or
// spinning) until vCPU 0 sees its handler run, on 2 CPUs where the
// scheduler puts the two vCPUs on a CPU each; CPUID for scale. In Bochs the
// TSC counts emulated instructions. It prints, it does not judge.
//
//   make bench    (or: make -s build/hv.iso guests && node_modules/.bin/tsx bench/apic-cost.ts)
import * as path from "node:path";
import { bootBochs, makeIso, ROOT, type Emulator, type Iso } from "../qemu/emulator";

const GUEST = path.join(ROOT, "build", "guests", "exit_cost.elf");
const KINDS = ["cpuid", "apic_read", "tpr_write", "self_ipi", "timer_running", "timer_halted", "ipi_halted", "ipi_running"] as const;
type Kind = (typeof KINDS)[number];
const LABELS: Record<Kind, string> = {
  cpuid: "CPUID (for scale)", apic_read: "LAPIC register read", tpr_write: "TPR write",
  self_ipi: "self-IPI, EOI and return", timer_running: "timer late, vCPU running", timer_halted: "timer late, vCPU halted",
  ipi_halted: "IPI to a halted vCPU, seen back", ipi_running: "IPI to a running vCPU, seen back",
};
const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted/;
const TIMEOUT_MS = 10 * 60_000;
// [<domain>] BENCH <label> <kind> <per> total <t> n <n> kept <k> min <m>
const BENCH_RE = /\[apic_cost\] BENCH \S+ (\w+) (\d+) total \d+ n (\d+) kept (\d+) min (\d+)/g;

interface Figure { per: number; n: number; kept: number; min: number }

async function run(apicv: boolean): Promise<{ got: Map<string, Figure>; seconds: number; mode: string }> {
  let iso: Iso | undefined;
  let e: Emulator | undefined;
  try {
    iso = makeIso({
      modules: [{ path: GUEST, cmdline: "domain name=apic_cost mem=2M vcpus=2 lapic ipi" }],
      title: "tshv-bench-apic-cost", cmdline: apicv ? "" : "apicv=0",
    });
    e = await bootBochs({ iso: iso.path, failOn: FAIL_ON, memoryMb: 512, cpus: 2 });
    await e.waitFor(/\[apic_cost\] RESULT [^\n]*\n|hv: domain \d+ \(apic_cost\) stopped[^\n]*\n/, TIMEOUT_MS);
    const out = e.output();
    const got = new Map<string, Figure>();
    for (const m of out.matchAll(BENCH_RE)) got.set(m[1], { per: +m[2], n: +m[3], kept: +m[4], min: +m[5] });
    const missing = KINDS.filter((k) => !got.has(k));
    if (missing.length > 0) throw new Error(`no BENCH line for ${missing.join(", ")}:\n${out.slice(-2000)}`);
    const mode = /hv: guests' LAPICs [^\n]*/.exec(out)?.[0] ?? "(no LAPIC mode line)";
    return { got, seconds: e.elapsed(), mode };
  } finally {
    await e?.kill();
    iso?.cleanup();
  }
}

async function main(): Promise<number> {
  try {
    const on = await run(true);
    const off = await run(false);
    console.log(`LAPIC costs in guest TSC ticks (Bochs: emulated instructions), N=${on.got.get("cpuid")!.n} per batch; ` +
      `Bochs runs ${on.seconds.toFixed(1)} s and ${off.seconds.toFixed(1)} s\n  ${on.mode}\n  ${off.mode}\n`);
    const rows = [["", "APICv", "emulated", "emulated/APICv", "min (APICv/emulated)", "kept"]];
    for (const k of KINDS) {
      const a = on.got.get(k)!;
      const b = off.got.get(k)!;
      rows.push([LABELS[k], String(a.per), String(b.per), a.per > 0 ? (b.per / a.per).toFixed(2) : "-", `${a.min}/${b.min}`, `${a.kept}/${b.kept}`]);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    console.log(rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n"));
    console.log("\n(register read, TPR write, IPIs: the empty loop subtracted; timers: ticks from the deadline to the handler)");
    return 0;
  } catch (err) {
    console.error(`bench/apic-cost: run failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main();
