// The hostile-guest suite (tests/guests/): every guest that attacks the
// hypervisor, booted together in one Bochs on 2 CPUs next to canary
// neighbours. Each hostile guest either checks the hypervisor's defined
// answer (#GP/#UD injected, all ones, -EFAULT/-EINVAL/-ENOSYS/-EPERM) and
// passes, or is stopped for a named reason, or runs hostile forever. The
// canaries: two memory_integrity guests with the same size and arguments,
// whose checksums for each pass depend only on their memory and so must
// agree pass for pass (a byte of either changed by anyone else shows as a
// difference), a counter whose lines must count up without a gap, and
// still_alive, which passes last. What it shows: 0 host crashes, 0
// neighbour changes.
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, test } from "vitest";
import { ROOT } from "../../qemu/emulator";
import { type Guest, runGuests, checkGuests, stoppedRe } from "./guest-suite";

const MB = 1024 * 1024;
const HOSTILE_MEM_MB = 2;
const ept = (gpa: number, access: string) =>
  new RegExp(`EPT violation at 0x0*${gpa.toString(16)} \\(${access}\\) rip 0x[0-9a-f]+`);
const guest = (name: string, expect: Guest["expect"], extra: Partial<Guest> = {}): Guest =>
  ({ domain: name, file: `${name}.elf`, mem: `${HOSTILE_MEM_MB}M`, expect, ...extra });

export const HOSTILE: Guest[] = [
  // EPT escapes: past its memory, device ranges, above 4 GiB, a fetch.
  guest("ept_write_past_memory", "stopped", { stopReason: ept(HOSTILE_MEM_MB * MB, "write") }),
  guest("ept_outside_memory_stops_domain", "stopped", { stopReason: ept((HOSTILE_MEM_MB + 16) * MB, "read") }),
  guest("ept_fetch_outside_memory", "stopped", { stopReason: ept(0x10000000, "fetch") }),
  guest("ept_write_lapic_range", "stopped", { stopReason: ept(0xfee01000, "write") }),
  guest("ept_write_ioapic_range", "stopped", { stopReason: ept(0xfec01000, "write") }),
  guest("ept_write_hpet_range", "stopped", { stopReason: ept(0xfed000f0, "write") }),
  guest("ept_write_above_4g_pae", "stopped", { stopReason: ept(0x100000000, "write") }),
  guest("ept_write_above_4g_long_mode", "stopped", { stopReason: ept(0x800000000, "write") }),
  guest("mmio_x87_load_stops_domain", "stopped", {
    stopReason: /MMIO read at 0x0*fec00010 rip 0x[0-9a-f]+: instruction df 05 [0-9a-f ]+ not emulated/,
  }),
  // Triple faults in each mode: real, protected (paging off, PAE paging), 64-bit.
  guest("triple_fault_real_mode", "stopped", { file: "triple_fault_real_mode.bin", kind: "realmode", stopReason: /triple fault/ }),
  guest("triple_fault_stops_only_domain", "stopped", {
    test: "triple_fault_stops_only_that_domain", file: "triple_fault_stops_only_that_domain.elf", stopReason: /triple fault/,
  }),
  guest("triple_fault_pae_paging", "stopped", { stopReason: /triple fault/ }),
  guest("triple_fault_long_mode", "stopped", { stopReason: /triple fault/ }),
  // Instructions and registers the hypervisor answers for.
  guest("vmx_instruction_injects_ud", "pass"),
  guest("vmx_every_instruction", "pass"),
  guest("msr_unknown_injects_gp", "pass"),
  guest("msr_privileged_writes", "pass"),
  guest("msr_flood_is_counted", "pass"),
  guest("cr_abuse", "pass"),
  guest("xsetbv_is_validated", "pass"),
  guest("io_port_sweep_all", "pass"),
  guest("exception_storm", "pass"),
  // Hypercalls.
  guest("hypercall_every_number", "pass"),
  guest("hypercall_edge_arguments", "pass"),
  guest("hypercall_from_user_mode", "pass"),
  guest("hc_bad_pointer_fails_cleanly", "pass", {
    test: "hypercall_bad_pointer_fails_cleanly", file: "hypercall_bad_pointer_fails_cleanly.elf",
  }),
  guest("management_hypercall_eperm", "pass"),
  // For ever: interrupt, IPI and timer floods, device nonsense, a console
  // flood, a spin and a halt with interrupts off.
  guest("lapic_flood", "runs"),
  guest("x2apic_self_ipi_flood", "runs"),
  guest("event_timer_storm", "runs"),
  guest("pc_devices_fuzzed", "runs"),
  guest("console_flood", "runs"),
  guest("spin_forever", "runs"),
  guest("halt_forever", "runs"),
];

const CANARY_ARGS = "scribble=37";
export const CANARIES: Guest[] = [
  { domain: "canary_a", test: "memory_integrity", file: "memory_integrity.elf", mem: "4M", args: CANARY_ARGS, expect: "runs" },
  { domain: "canary_b", test: "memory_integrity", file: "memory_integrity.elf", mem: "4M", args: CANARY_ARGS, expect: "runs" },
  { domain: "canary_counter", test: "counter", file: "counter.elf", mem: "2M", args: "delay=200000", expect: "runs" },
];
// Last: passes once the hostile domains have surely been stopped.
const STILL_ALIVE: Guest = { domain: "still_alive", file: "still_alive.elf", mem: "2M", args: "yields=300 mticks=200", expect: "pass" };
const GUESTS = [...HOSTILE, ...CANARIES, STILL_ALIVE];

// Measured: 62 s of wall time in all, 193 s with another Bochs beside it.
const RESULTS_MS = 6 * 60_000;
const TEST_MS = 9 * 60_000;
// Canary progress after the last hostile guest was done with.
const CANARY_MS = 120_000;

// The flooding guests' progress: each kept at it.
const FLOODING = [
  /\[x2apic_self_ipi_flood\] x2apic_self_ipi_flood: ticks 1024 ipis [1-9]\d*\n/,
  /\[event_timer_storm\] event_timer_storm: events 4096\n/,
  /\[lapic_flood\] lapic_flood: ticks 1024 rounds \d+\n/,
  /\[pc_devices_fuzzed\] pc_devices_fuzzed: round 1024\n/,
  /\[console_flood\] flood \d+\n/,
];

const integrityRe = (domain: string) => new RegExp(`\\[${domain}\\] integrity (\\d+) ([0-9a-f]{8})\\n`, "g");
const sums = (out: string, domain: string) => new Map([...out.matchAll(integrityRe(domain))].map((m) => [Number(m[1]), m[2]]));
const counts = (out: string) => [...out.matchAll(/\[canary_counter\] counter (\d+)\n/g)].map((m) => Number(m[1]));

beforeAll(() => {
  const r = spawnSync("make", ["-s", "-f", "tests/guests/guests.mk", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make guests failed:\n${r.stdout}\n${r.stderr}`);
}, 120_000);

describe("hostile guests next to canaries (Bochs, 2 CPUs)", () => {
  test(`${HOSTILE.length} hostile guests: 0 host crashes, 0 neighbour changes`, async () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(30);
    let doneAt = 0;
    const { out, results } = await runGuests(GUESTS, {
      title: "tshv-hostile", cpus: 2, resultsMs: RESULTS_MS,
      // Every hostile guest passed or was stopped: the canaries go on, the
      // floods too.
      live: async (e) => {
        doneAt = e.output().length;
        const a = Math.max(0, ...sums(e.output(), "canary_a").keys());
        const b = Math.max(0, ...sums(e.output(), "canary_b").keys());
        const c = Math.max(0, ...counts(e.output()));
        await e.waitFor(new RegExp(`\\[canary_a\\] integrity ${a + 2} `), CANARY_MS, { fromStart: true });
        await e.waitFor(new RegExp(`\\[canary_b\\] integrity ${b + 2} `), CANARY_MS, { fromStart: true });
        await e.waitFor(new RegExp(`\\[canary_counter\\] counter ${c + 2}\\n`), CANARY_MS, { fromStart: true });
        for (const re of FLOODING) await e.waitFor(re, CANARY_MS, { fromStart: true });
      },
    });
    checkGuests(GUESTS, out, results, expect);
    // The host: no crash, no failed VM entry.
    expect(out).not.toMatch(/hv: PANIC|hv: EXCEPTION|VM-entry fail/i);
    // The canaries: the same sum for every pass both printed, passes after
    // the hostile guests were done, a counter without gaps.
    const a = sums(out, "canary_a");
    const b = sums(out, "canary_b");
    const both = [...a.keys()].filter((n) => b.has(n));
    const changed = both.filter((n) => a.get(n) !== b.get(n));
    const c = counts(out);
    const gaps = c.filter((n, i) => n !== i + 1);
    console.log(`hostile: ${HOSTILE.length} guests; canaries: ${both.length} passes compared, ${changed.length} differ; ` +
      `counter ${c.length} lines, ${gaps.length} out of order; the stops:`);
    for (const g of HOSTILE) console.log(`  ${g.domain}: ${stoppedRe(g.domain, "([^\\n]*)").exec(out)?.[2] ?? results.get(g.domain)?.verdict ?? "running"}`);
    expect(changed, "passes whose checksums differ between the canaries").toEqual([]);
    expect(both.length, "canary passes compared").toBeGreaterThanOrEqual(3);
    expect(gaps, "counter lines out of order").toEqual([]);
    expect(out.slice(doneAt)).toMatch(/\[canary_a\] integrity \d+ /);
    for (const g of CANARIES) expect(out, `${g.domain} stopped`).not.toMatch(stoppedRe(g.domain, ""));
    // The flooding guests kept at it.
    for (const re of FLOODING) expect(out).toMatch(re);
    expect(out).toMatch(/\[spin_forever\] spin_forever: spinning with interrupts off/);
    expect(out).toMatch(/\[halt_forever\] halt_forever: halting with interrupts off/);
  }, TEST_MS);
});
