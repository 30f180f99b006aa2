// The hypervisor on several CPUs, in Bochs (`cpu: count=N`): the boot CPU
// finds the others in the ACPI MADT, starts each through the real-mode
// trampoline (INIT-SIPI-SIPI), and every one reports VMX root operation; a
// CPU that does not start (the test-only `debug_skip_sipi=<APIC id>`) is
// reported and left out while the rest go on; guests still run, and a
// domain's vCPUs on different CPUs each wake on their own timer. One boot
// per CPU count.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT, type Emulator } from "../../qemu/emulator";

const GUEST_DIR = path.join(ROOT, "build", "guests");
const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted|hv: module \d+ not started|RESULT \S+ FAIL/;
const WAIT_MS = 4 * 60_000;
const TEST_MS = 6 * 60_000;

beforeAll(() => {
  const r = spawnSync("make", ["-s", "-f", "tests/guests/guests.mk", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make guests failed:\n${r.stdout}\n${r.stderr}`);
}, 120_000);

const UP_RE = /hv: CPU (\d+) \(APIC id (\d+)\) up, VMX root; 64-bit mode (\d+) TSC ticks after INIT, VMX root after (\d+)/g;

// Every "up, VMX root" line: CPU index -> [APIC id, ticks to 64-bit mode, ticks to VMX root].
function cpusUp(out: string): Map<number, [number, number, number]> {
  const up = new Map<number, [number, number, number]>();
  for (const m of out.matchAll(UP_RE)) up.set(Number(m[1]), [Number(m[2]), Number(m[3]), Number(m[4])]);
  return up;
}

async function withBochs(cpus: number, iso: string | undefined, body: (e: Emulator) => Promise<void>) {
  const e = await bootBochs({ cpus, iso, failOn: FAIL_ON });
  try {
    await body(e);
  } finally {
    await e.kill();
  }
}

// A handful of the guest suite (tests/integration/guests.test.ts has them all).
const HANDFUL = [
  { domain: "cpuid_hides_vmx", file: "cpuid_hides_vmx.elf", args: "" },
  { domain: "hypercall_version", file: "hypercall_version.elf", args: "" },
  { domain: "fpu_state_isolated_1", file: "fpu_state_isolated.elf", args: "value=1" },
  { domain: "fpu_state_isolated_2", file: "fpu_state_isolated.elf", args: "value=2" },
  { domain: "rdtsc_is_monotonic", file: "rdtsc_is_monotonic.elf", args: "" },
  { domain: "spinning_guest_cannot_starve", file: "spinning_guest_cannot_starve.elf", args: "" },
  { domain: "real_mode_entry_runs", file: "real_mode_entry_runs.bin", args: "kind=realmode" },
  { domain: "still_alive", file: "still_alive.elf", args: "yields=50 mticks=20" },
];

// Every vCPU of one domain sleeps on its own timer (HC_TIMER_SET), a vCPU
// per CPU: the CPU a halted vCPU belongs to wakes for its deadline.
function timers(cpus: number) {
  return { domain: "timers", file: "timer_wakes_every_vcpu.elf", args: `vcpus=${cpus}` };
}

type Guest = (typeof HANDFUL)[number];

// An image with `guests` as boot-time domains.
function guestIso(guests: Guest[]) {
  return makeIso({
    modules: guests.map((g) => ({
      path: path.join(GUEST_DIR, g.file), cmdline: `domain name=${g.domain} mem=2M ${g.args}`.trim(),
    })),
  });
}

// The domain's whole RESULT line says PASS (a line still arriving is not judged).
async function passed(e: Emulator, domain: string): Promise<void> {
  const m = await e.waitFor(new RegExp(`\\[${domain}\\] RESULT \\S+ (PASS|FAIL)[^\\n]*\\n`), WAIT_MS, { fromStart: true });
  expect(m[1], m[0]).toBe("PASS");
}

// Adds to `ran` the CPUs vCPU `v` of `domain` ran on, from its whole stop report line.
async function ranOn(e: Emulator, domain: string, v: number, ran: Set<string>): Promise<void> {
  const on = await e.waitFor(new RegExp(`hv: domain \\d+ \\(${domain}\\) vCPU ${v} ran on CPUs ([\\d,]+)\\n`), 60_000, { fromStart: true });
  for (const c of on[1].split(",")) ran.add(c);
}

// The timer guest passed: each vCPU's timer woke it, in time, in its own
// word, on whichever CPU it ran. Where they ran is printed, not judged: its
// vCPUs sleep in turn, and a woken vCPU goes back to its own CPU when that
// one is idle, so they may all stay on one (the handful's spread above, and
// two_vcpus_run_at_once in sched-smp.ts, are what say CPUs share the work).
async function timersPassed(e: Emulator, cpus: number): Promise<void> {
  await passed(e, "timers");
  const ran = new Set<string>();
  for (let v = 0; v < cpus; v++) await ranOn(e, "timers", v, ran);
  console.log(`${cpus} CPUs:`, /timer_wakes_every_vcpu: .*/.exec(e.output())?.[0], "on CPUs", [...ran].sort().join(","));
}

describe("SMP host (Bochs)", () => {
  // Without Domain 0: with COM1 passed through to it, its output and the
  // hypervisor's log lines, written from another CPU, mix byte by byte until
  // it takes the console over.
  test("2 CPUs: both in VMX root; guests run on both", async () => {
    const iso = guestIso([...HANDFUL.slice(0, 4), timers(2)]);
    try {
      await withBochs(2, iso.path, async (e) => {
        await e.waitFor("hv: CPU 0 (APIC id 0) up, VMX root (boot CPU)", WAIT_MS);
        await e.waitFor("hv: SMP: 2 of 2 CPUs online", 60_000);
        const up = cpusUp(e.output());
        expect([...up.keys()]).toEqual([1]);
        console.log("AP bring-up (TSC ticks = emulated instructions):", Object.fromEntries(up));
        const ran = new Set<string>();
        for (const g of HANDFUL.slice(0, 4)) {
          await passed(e, g.domain);
          await ranOn(e, g.domain, 0, ran);
        }
        expect([...ran].sort()).toEqual(["0", "1"]);
        await timersPassed(e, 2);
      });
    } finally {
      iso.cleanup();
    }
  }, TEST_MS);

  test("4 CPUs: every one in VMX root; a handful of the guest suite passes", async () => {
    const iso = guestIso([...HANDFUL, timers(4)]);
    try {
      await withBochs(4, iso.path, async (e) => {
        await e.waitFor("hv: SMP: 4 of 4 CPUs online", WAIT_MS);
        const up = cpusUp(e.output());
        expect([...up.keys()]).toEqual([1, 2, 3]);
        expect([...up.values()].map((v) => v[0])).toEqual([1, 2, 3]);
        for (const g of HANDFUL) await passed(e, g.domain);
        await timersPassed(e, 4);
      });
    } finally {
      iso.cleanup();
    }
  }, TEST_MS);

  test("a CPU that does not start is reported and left out; the others go on", async () => {
    const iso = makeIso({
      cmdline: "debug_skip_sipi=1",
      modules: [{ path: path.join(GUEST_DIR, "hypercall_version.elf"), cmdline: "domain name=version mem=2M" }],
    });
    try {
      await withBochs(3, iso.path, async (e) => {
        await e.waitFor("hv: CPU 1 (APIC id 1) did not start; left out", WAIT_MS);
        await e.waitFor("hv: SMP: 2 of 3 CPUs online", 60_000);
        const up = cpusUp(e.output());
        expect([...up.keys()]).toEqual([2]);
        await e.waitFor("[version] RESULT hypercall_version PASS", 60_000);
      });
    } finally {
      iso.cleanup();
    }
  }, TEST_MS);
});
