// Boots the hypervisor image (build/hv.iso, build/hv.elf; `make` builds them)
// in Bochs (VMX emulated) and in QEMU TCG (no VT-x) and reads the serial console.
import { describe, expect, test } from "vitest";
import { bootBochs, bootQemu, makeIso, type Emulator, type QemuBoot } from "../../qemu/emulator";

const BOCHS_TEST_MS = 300_000;
const BOCHS_WAIT_MS = 240_000;
const QEMU_TEST_MS = 180_000;
const QEMU_WAIT_MS = 120_000;
// A boot that faults or halts fails at once instead of at its timeout.
const FAIL_ON = /hv: EXCEPTION|hv: halted/;
// While waiting for the deliberate fault: any halt before it.
const FAIL_ON_HALT = /hv: halted/;

function log(e: Emulator, what: string) {
  console.log(`${e.kind}: ${what} after ${e.elapsed().toFixed(1)} s`);
}

/** Waits for the #PF diagnostic the deliberate fault (debug_fault=pf) prints. */
async function expectPageFaultDump(e: Emulator, timeoutMs: number) {
  const head = await e.waitFor(/hv: EXCEPTION #PF \(vector 14\)[^\n]*\n/, timeoutMs);
  const start = head.index;
  await e.waitFor(/hv: halted\n/, 30_000, { failOn: null });
  log(e, "#PF dump");
  const dump = e.output().slice(start);
  const end = dump.indexOf("hv: halted");
  const body = dump.slice(0, end);
  // The command line reached the hypervisor: the fault is the deliberate one.
  expect(e.output().slice(0, start)).toMatch(/debug_fault=pf/);
  expect(body).toMatch(/error code/);
  for (const reg of [
    "RIP", "RFLAGS", "CR2",
    "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP",
    "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
  ]) {
    expect(body, `${reg}= in the exception dump`).toMatch(new RegExp(`\\b${reg}=`));
  }
}

describe("Bochs (emulated VT-x)", () => {
  test("boots build/hv.iso and prints the VT-x summary", async () => {
    const e = await bootBochs({ failOn: FAIL_ON });
    try {
      const avail = await e.waitFor(/vmx: VT-x available\n/, BOCHS_WAIT_MS);
      log(e, "vmx: VT-x available");
      const took = await e.waitFor(/hv: boot to VT-x summary took (\d+) TSC ticks/, 60_000);
      log(e, took[0]);
      const summary = e.output().slice(avail.index, took.index);
      expect(summary).toMatch(/EPT yes/);
      expect(summary).toMatch(/VPID yes/);
      expect(summary).toMatch(/unrestricted guest yes/);
      expect(summary).toMatch(/preemption timer yes/);
      // The image's domains (qemu/grub.cfg): Domain 0 (on the real COM1)
      // starts its own guest and reaches its shell; the boot-time guests print.
      await e.waitFor(/^dom0: Domain 0 up/m, 60_000);
      await e.waitFor("[hello] uart_output_reaches_log: the quick brown fox", 60_000, { fromStart: true });
      await e.waitFor("[version] RESULT hypercall_version PASS", 60_000, { fromStart: true });
      await e.waitFor(/^dom0: module \d+: created domain \d+ \(cpuid\)/m, 60_000, { fromStart: true });
      await e.waitFor(/^dom0# /m, 60_000, { fromStart: true });
      await e.waitFor("[cpuid] RESULT cpuid_hypervisor_leaf PASS", 60_000, { fromStart: true });
    } finally {
      await e.kill();
    }
  }, BOCHS_TEST_MS);

  test("debug_fault=pf on the command line prints the exception dump", async () => {
    const iso = makeIso({ cmdline: "debug_fault=pf" });
    try {
      const e = await bootBochs({ iso: iso.path, failOn: FAIL_ON_HALT });
      try {
        await expectPageFaultDump(e, BOCHS_WAIT_MS);
      } finally {
        await e.kill();
      }
    } finally {
      iso.cleanup();
    }
  }, BOCHS_TEST_MS);
});

describe("QEMU TCG (no VT-x)", () => {
  const boots: [QemuBoot, string][] = [
    ["bios", "from build/hv.iso with SeaBIOS"],
    ["kernel", "from -kernel build/hv.elf (multiboot1)"],
    ["uefi", "from build/hv.iso with OVMF (UEFI)"],
  ];
  for (const [boot, what] of boots) {
    test(`${what}: says VT-x is missing and powers off`, async () => {
      const e = await bootQemu({ boot, failOn: FAIL_ON });
      try {
        await e.waitFor(/^VT-x is not available: [^\n]*\n/m, QEMU_WAIT_MS);
        log(e, "VT-x is not available");
        await e.waitFor(/hv: powering off\n/, 30_000);
        const status = await Promise.race([
          e.exited,
          new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 30_000)),
        ]);
        log(e, `exit ${JSON.stringify(status)}`);
        // isa-debug-exit: the hypervisor writes 0 to port 0xf4 -> status (0 << 1) | 1.
        expect(status, `qemu exit status\n${e.logTail()}`).toEqual({ code: 1, signal: null });
      } finally {
        await e.kill();
      }
    }, QEMU_TEST_MS);
  }

  test("-kernel with -append debug_fault=pf prints the exception dump", async () => {
    const e = await bootQemu({ boot: "kernel", append: "debug_fault=pf", failOn: FAIL_ON_HALT });
    try {
      await expectPageFaultDump(e, QEMU_WAIT_MS);
    } finally {
      await e.kill();
    }
  }, QEMU_TEST_MS);

  test("-kernel with -append debug_fault=trap reports the wasm trap", async () => {
    const e = await bootQemu({ boot: "kernel", append: "debug_fault=trap" });
    try {
      await e.waitFor("debug_fault=trap", QEMU_WAIT_MS);
      await e.waitFor(/hv: PANIC: wasm trap: unreachable executed called from 0x[0-9a-f]{16}/, QEMU_WAIT_MS);
      await e.waitFor("hv: halted", QEMU_WAIT_MS);
    } finally {
      await e.kill();
    }
  }, QEMU_TEST_MS);
});
