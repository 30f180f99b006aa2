// The guest-kernel suite (tests/guests/): every guest is a module2 of the
// hypervisor, booted together in Bochs (emulated VT-x). Each guest prints one
// `RESULT <test> PASS|FAIL <reason>` line on its UART, which the hypervisor
// logs as `[<domain name>] RESULT ...`; hostile guests are expected to be
// stopped by the hypervisor instead (`hv: domain <id> (<name>) stopped: ...`).
//
// A second block boots each ELF32 guest bare in QEMU TCG (multiboot1 -kernel,
// no hypervisor) to check the guests' own mechanics: printing, exit codes,
// the #GP/#UD catcher. Most hypervisor-specific checks FAIL there, on purpose.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { bootQemu, ROOT } from "../../qemu/emulator";
import { GUEST_DIR, type Guest, runGuests, checkGuests, testName, stoppedRe } from "./guest-suite";

const MB = 1024 * 1024;
const EPT_GUEST_MEM_MB = 2;

export const GUESTS: Guest[] = [
  { domain: "cpuid_hides_vmx", file: "cpuid_hides_vmx.elf", mem: "2M", expect: "pass" },
  { domain: "cpuid_hypervisor_leaf", file: "cpuid_hypervisor_leaf.elf", mem: "2M", expect: "pass" },
  { domain: "msr_unknown_injects_gp", file: "msr_unknown_injects_gp.elf", mem: "2M", expect: "pass" },
  { domain: "io_unassigned_reads_ones", file: "io_unassigned_reads_ones.elf", mem: "2M", expect: "pass" },
  { domain: "uart_output_reaches_log", file: "uart_output_reaches_log.elf", mem: "2M", expect: "pass" },
  { domain: "hypercall_version", file: "hypercall_version.elf", mem: "2M", expect: "pass" },
  // Domain names are at most 31 characters: the two longest tests get short ones.
  {
    domain: "hc_bad_pointer_fails_cleanly", test: "hypercall_bad_pointer_fails_cleanly",
    file: "hypercall_bad_pointer_fails_cleanly.elf", mem: "2M", expect: "pass",
  },
  { domain: "management_hypercall_eperm", file: "management_hypercall_eperm.elf", mem: "2M", expect: "pass" },
  {
    domain: "ept_outside_memory_stops_domain", file: "ept_outside_memory_stops_domain.elf", mem: `${EPT_GUEST_MEM_MB}M`,
    expect: "stopped",
    // It reads guest-physical mem + 16 MiB.
    stopReason: new RegExp(`EPT violation at 0x0*${((EPT_GUEST_MEM_MB + 16) * MB).toString(16)} \\(read\\) rip 0x[0-9a-f]+`),
  },
  {
    domain: "triple_fault_stops_only_domain", test: "triple_fault_stops_only_that_domain",
    file: "triple_fault_stops_only_that_domain.elf", mem: "2M",
    expect: "stopped", stopReason: /triple fault/,
  },
  { domain: "vmx_instruction_injects_ud", file: "vmx_instruction_injects_ud.elf", mem: "2M", expect: "pass" },
  { domain: "xsetbv_is_validated", file: "xsetbv_is_validated.elf", mem: "2M", expect: "pass" },
  { domain: "rdtsc_is_monotonic", file: "rdtsc_is_monotonic.elf", mem: "2M", expect: "pass" },
  { domain: "mmio_reaches_device", file: "mmio_reaches_device.elf", mem: "2M", args: "testdev=1", expect: "pass" },
  { domain: "timer_wakes_halted_vcpu", file: "timer_wakes_halted_vcpu.elf", mem: "2M", expect: "pass" },
  { domain: "fpu_state_isolated_1", test: "fpu_state_isolated", file: "fpu_state_isolated.elf", mem: "2M", args: "value=1", expect: "pass" },
  { domain: "fpu_state_isolated_2", test: "fpu_state_isolated", file: "fpu_state_isolated.elf", mem: "2M", args: "value=2", expect: "pass" },
  { domain: "spin_forever", file: "spin_forever.elf", mem: "2M", expect: "runs" },
  { domain: "spinning_guest_cannot_starve", file: "spinning_guest_cannot_starve.elf", mem: "2M", expect: "pass" },
  { domain: "new_domain_memory_is_zeroed", file: "new_domain_memory_is_zeroed.elf", mem: "8M", expect: "pass" },
  { domain: "large_guest_uses_2m_pages", file: "large_guest_uses_2m_pages.elf", mem: "64M", expect: "pass" },
  { domain: "real_mode_entry_runs", file: "real_mode_entry_runs.bin", mem: "2M", kind: "realmode", expect: "pass" },
  { domain: "long_mode_entry_runs", file: "long_mode_entry_runs.bin", mem: "2M", kind: "flat64", expect: "pass" },
  // Last: passes once the hostile guests have surely been stopped.
  { domain: "still_alive", file: "still_alive.elf", mem: "2M", args: "yields=300 mticks=200", expect: "pass" },
];

const UART_LINE = "[uart_output_reaches_log] uart_output_reaches_log: the quick brown fox jumps over the lazy dog 0123456789";
const LARGE_PAGES_RE =
  /hv: domain (\d+) \(large_guest_uses_2m_pages\) memory 64 MiB: (\d+) x 2M pages, (\d+) x 4K pages/;
// Measured: all results in ~36 s of wall time (boot ~11 s) on this machine.
const BOCHS_RESULTS_MS = 5 * 60_000;
const BOCHS_TEST_MS = 8 * 60_000;

beforeAll(() => {
  // Normally built by `make guests` (a dependency of `make test`); this makes
  // the file runnable on its own.
  const r = spawnSync("make", ["-s", "-f", "tests/guests/guests.mk", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make guests failed:\n${r.stdout}\n${r.stderr}`);
}, 120_000);

describe("guest kernels under the hypervisor (Bochs)", () => {
  test("every guest passes, hostile guests are stopped, the hypervisor survives", async () => {
    const { out, results } = await runGuests(GUESTS, { title: "tshv-guests", resultsMs: BOCHS_RESULTS_MS });
    checkGuests(GUESTS, out, results, expect);
    // fpu_state_isolated ran twice, once per value.
    expect(GUESTS.filter((g) => testName(g) === "fpu_state_isolated").map((g) => results.get(g.domain)?.verdict)).toEqual(["PASS", "PASS"]);
    expect(out, "spin_forever started").toMatch(/\[spin_forever\] spin_forever: spinning with interrupts off/);
    expect(out).toContain(UART_LINE + "\n");
    const large = LARGE_PAGES_RE.exec(out);
    expect(large, "the EPT page-count line of large_guest_uses_2m_pages").not.toBeNull();
    expect(Number(large![2]), "2M pages of a 64 MiB domain").toBeGreaterThanOrEqual(31);
    // The guest timer's wake-up, next to the spinning guests.
    console.log(/timer_wakes_halted_vcpu: late=.*/.exec(out)?.[0]);
    // still_alive passes last, after the hostile domains were stopped.
    const last = [...results.values()].sort((a, b) => a.at - b.at).at(-1)!;
    expect(last.domain).toBe("still_alive");
    for (const g of GUESTS.filter((x) => x.expect === "stopped")) {
      const stop = stoppedRe(g.domain, "").exec(out)!;
      expect(stop.index, `${g.domain} stopped before still_alive passed`).toBeLessThan(last.at);
    }
  }, BOCHS_TEST_MS);
});

// Bare QEMU TCG, no hypervisor: the outcome each guest must show there.
interface Bare {
  guest: string;
  append?: string;
  memoryMb?: number;
  /** PASS/FAIL: that RESULT and exit code 0/1; none: no RESULT, QEMU stops (triple fault); banner: prints and spins. */
  expect: "PASS" | "FAIL" | "none" | "banner";
  reason?: RegExp;
  /** Also expected in the output. */
  output?: RegExp;
}

const BARE: Bare[] = [
  { guest: "cpuid_hides_vmx", expect: "PASS" },
  // TCG's leaf 0x40000000 is not ours.
  { guest: "cpuid_hypervisor_leaf", expect: "FAIL", reason: /signature is not tshvTSHVtshv|hypervisor\[31\] is clear/ },
  // QEMU 7.2 TCG reads unknown MSRs as 0 (no #GP); the guest's catcher
  // self-test (#GP loading a selector beyond its GDT) must have passed first.
  {
    guest: "msr_unknown_injects_gp", expect: "FAIL", reason: /^rdmsr 0x1234: no #GP\(0\), vector\/error 0xffffffff$/,
    output: /msr_unknown_injects_gp: catcher self-test: #GP\(0xff8\) caught\n/,
  },
  { guest: "io_unassigned_reads_ones", expect: "PASS" },
  { guest: "uart_output_reaches_log", expect: "PASS" },
  // No VMX: VMCALL is #UD, caught by the guest's IDT.
  { guest: "hypercall_version", expect: "FAIL", reason: /^vmcall faulted: vector 0x00000006$/ },
  { guest: "hypercall_bad_pointer_fails_cleanly", expect: "FAIL", reason: /^vmcall faulted: vector 0x00000006$/ },
  // Bare, nothing stops the read (QEMU keeps 128 KiB at the top of RAM out of mem_upper).
  { guest: "ept_outside_memory_stops_domain", memoryMb: 16, expect: "FAIL", reason: /^read beyond guest memory succeeded at 0x01fe0000$/ },
  { guest: "triple_fault_stops_only_that_domain", expect: "none" },
  { guest: "vmx_instruction_injects_ud", expect: "PASS", output: /: 11 VMX instructions raised #UD\n/ },
  { guest: "rdtsc_is_monotonic", expect: "PASS" },
  { guest: "fpu_state_isolated", append: "value=1", expect: "PASS" },
  { guest: "fpu_state_isolated", expect: "FAIL", reason: /^no value=<n> on the command line$/ },
  { guest: "spinning_guest_cannot_starve", expect: "PASS" },
  // QEMU's multiboot loader leaves bytes after the image's end.
  { guest: "new_domain_memory_is_zeroed", expect: "FAIL", reason: /^non-zero dword 0x[0-9a-f]{8} at 0x[0-9a-f]{8}$/ },
  { guest: "spin_forever", expect: "banner" },
  { guest: "large_guest_uses_2m_pages", memoryMb: 65, expect: "PASS" },
  { guest: "large_guest_uses_2m_pages", memoryMb: 32, expect: "FAIL", reason: /^memory size below 64 MiB: 0x01fe0000$/ },
  { guest: "still_alive", append: "mticks=50", expect: "PASS" },
];

describe("guest kernels bare in QEMU TCG (their own mechanics, no hypervisor)", () => {
  for (const b of BARE) {
    const what = `${b.guest}${b.append ? ` ${b.append}` : ""}${b.memoryMb ? ` (${b.memoryMb} MiB)` : ""}`;
    test(`${what}: ${b.expect}${b.reason ? ` ${b.reason.source}` : ""}`, async () => {
      const e = await bootQemu({
        boot: "kernel", kernel: path.join(GUEST_DIR, `${b.guest}.elf`), append: b.append, memoryMb: b.memoryMb ?? 16,
      });
      try {
        if (b.expect === "banner") {
          await e.waitFor(`${b.guest}: spinning with interrupts off`, 30_000);
          return;
        }
        const status = await Promise.race([e.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 60_000))]);
        await new Promise((r) => setTimeout(r, 300));
        const out = e.output();
        const results = [...out.matchAll(/^RESULT (\S+) (PASS|FAIL)(?: ([^\n]*))?$/gm)];
        if (b.expect === "none") {
          expect(results, out).toEqual([]);
          expect(status, out).toEqual({ code: 0, signal: null }); // -no-reboot: a triple fault stops QEMU
          return;
        }
        expect(results.length, out).toBe(1);
        const [, test, verdict, reason = ""] = results[0];
        expect(test).toBe(b.guest);
        expect(verdict, out).toBe(b.expect);
        if (b.reason) expect(reason).toMatch(b.reason);
        if (b.output) expect(out).toMatch(b.output);
        // isa-debug-exit: status (code << 1) | 1.
        expect(status, out).toEqual({ code: b.expect === "PASS" ? 1 : 3, signal: null });
      } finally {
        await e.kill();
      }
    }, 90_000);
  }
});
