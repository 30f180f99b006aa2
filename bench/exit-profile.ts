// Where the cost of a VM exit goes: builds the hypervisor with function names
// (asc --debug, into build/profile), boots the exit-cost guest under it in
// Bochs with the debugger, breaks at the VM-exit landing (boot/vmx.asm
// vm_exit), and traces the host instructions up to the VMRESUME of a CPUID
// exit (the guest's warm-up loop); other complete exits in the trace are
// shown too, named by the guest instruction before them. Each instruction is
// attributed to the function it lies in. In Bochs the guest TSC counts
// emulated instructions, so these counts add up to bench/exit-cost.ts's
// per-exit figures (minus the guest's own instructions).
//
// With `timer`, the guest runs its LAPIC part (`lapic`) and the trace starts
// at a later WRMSR exit: the TSC-deadline timer's round trip (the WRMSR of
// IA32_TSC_DEADLINE, the VMX-preemption timer exit at the deadline, the
// injection) as a Linux guest's every tick has it; exits are named by their
// handler.
//
//   make bench-profile   (after make guests; tsx bench/exit-profile.ts timer)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { bochsConfig, makeIso, ROOT } from "../qemu/emulator";

const PROFILE_BUILD = "build/profile";
const ELF = path.join(ROOT, PROFILE_BUILD, "hv.elf");
const GUEST = path.join(ROOT, "build", "guests", "exit_cost.elf");
// Exits to let pass before the trace: the guest's first exits set up its
// UART, then it runs 100 CPUID warm-up round trips.
const SKIP_TO_CPUID = 50;
const TRACE_STEPS = 800; // past the first exit, through a whole second one
// The timer's trace: past this many WRMSR exits (the guest's set-up and the
// first deadlines), then this many exits, the guest's instructions between
// them traced too.
const SKIP_WRMSRS = 20;
const TIMER_EXITS = 6;
// What names an exit in the timer's trace: a function only it runs (the
// handlers themselves are inlined).
const MARKS: Array<[string, string]> = [
  ["Lapic_writeMsr", "WRMSR IA32_TSC_DEADLINE"], ["timersFire", "VMX-preemption timer, deadline"],
  ["hw.cpuid", "CPUID"], ["Uart16550_refill", "UART output"],
];
const markOf = (names: string[]) => MARKS.find(([f]) => names.some((n) => n.endsWith(f)))?.[1];

function run(cmd: string, args: string[], opts: { timeout?: number } = {}): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", timeout: opts.timeout, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stderr || r.stdout}`);
  return r.stdout;
}

// Sorted [address, name] of the text symbols.
function symbols(): Array<[number, string]> {
  return run("nm", ["-n", ELF]).split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && /^[tT]$/.test(f[1]))
    .map((f): [number, string] => [parseInt(f[0], 16), f[2]]);
}

function symbolAt(syms: Array<[number, string]>, a: number): string {
  let lo = 0, hi = syms.length - 1, best = "?";
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (syms[mid][0] <= a) { best = syms[mid][1]; lo = mid + 1; } else hi = mid - 1;
  }
  return best.replace(/^w2c_src_/, "").replace(/^Z_hwZ_/, "hw.");
}

interface TracedExit {
  cause: string; // the guest instruction that exited
  addrs: number[];
  insns: string[];
}

// The traced exits: from the instruction at vm_exit to the VMRESUME.
function exitsIn(trace: string, vmExit: number): TracedExit[] {
  const exits: TracedExit[] = [];
  let cur: TracedExit | null = null;
  let previous = "";
  for (const line of trace.split("\n")) {
    const m = /^\(\d+\)\.\[\d+\] \[0x[0-9a-f]+\] [0-9a-f]{4}:([0-9a-f]{16}) \(.*?\): (.*?)\s+;/.exec(line);
    if (!m) {
      // A breakpoint stop: the instruction that exited was not traced.
      if (/Breakpoint/.test(line)) previous = "";
      continue;
    }
    const a = parseInt(m[1], 16);
    if (a === vmExit) cur = { cause: previous.split(/\s/)[0], addrs: [], insns: [] };
    previous = m[2];
    if (!cur) continue;
    cur.addrs.push(a);
    cur.insns.push(m[2]);
    if (/^vmresume/.test(m[2])) {
      exits.push(cur);
      cur = null;
    }
  }
  return exits;
}

function main(): number {
  const timer = process.argv[2] === "timer";
  run("make", ["-s", `BUILD=${PROFILE_BUILD}`, "ASC_EXTRA=--debug", `${PROFILE_BUILD}/hv.elf`], { timeout: 600_000 });
  const syms = symbols();
  const vmExit = syms.find(([, n]) => n === "vm_exit")?.[0];
  if (vmExit === undefined) throw new Error("no vm_exit symbol in " + ELF);
  const dir = mkdtempSync(path.join(tmpdir(), "hv-profile-"));
  const iso = makeIso({ elf: ELF, modules: [{ path: GUEST, cmdline: `domain name=exit_cost mem=2M${timer ? " lapic" : ""}` }] });
  try {
    const cfg = bochsConfig({ iso: iso.path, serialPort: 0, logPath: path.join(dir, "bochs.log"), cpuModel: "corei7_haswell_4770", cpus: 1, memoryMb: 256 })
      .replace(/^com1:.*$/m, `com1: enabled=1, mode=file, dev=${path.join(dir, "serial.txt")}`);
    writeFileSync(path.join(dir, "bochsrc"), cfg);
    let cmds = [`lb 0x${vmExit.toString(16)}`, ...Array(SKIP_TO_CPUID).fill("c"), "trace on", `s ${TRACE_STEPS}`, "quit"];
    if (timer) {
      const wrmsr = syms.find(([, n]) => /Lapic_writeMsr$/.test(n))?.[0];
      if (wrmsr === undefined) throw new Error("no Lapic_writeMsr symbol in " + ELF);
      cmds = [`lb 0x${wrmsr.toString(16)}`, ...Array(SKIP_WRMSRS).fill("c"), "d 1", `lb 0x${vmExit.toString(16)}`, "c",
        "trace on", ...Array(TIMER_EXITS).fill("c"), "quit"];
    }
    writeFileSync(path.join(dir, "cmds"), cmds.join("\n") + "\n");
    const r = spawnSync("bochs", ["-q", "-f", path.join(dir, "bochsrc"), "-rc", path.join(dir, "cmds")],
      { encoding: "utf8", timeout: 300_000, maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "pipe"] });
    const exits = exitsIn(r.stdout ?? "", vmExit);
    if (exits.length === 0) {
      console.error(`bench/exit-profile: no traced exit (bochs status ${r.status}); serial:\n${readFileSync(path.join(dir, "serial.txt"), "utf8").slice(-2000)}`);
      return 1;
    }
    if (timer) {
      // The sequence, to see one round's exits in order.
      console.log("exits in order: " + exits.map((x) => {
        const names = x.addrs.map((a) => symbolAt(syms, a));
        return `${markOf(names) ?? x.cause} ${x.addrs.length}`;
      }).join(", "));
    }
    const seen = new Set<string>();
    for (const x of exits) {
      const names = x.addrs.map((a) => symbolAt(syms, a));
      // Bochs does not trace the instruction that exits; the CPUID handler
      // is recognised by its call to the CPUID import, the others are named
      // by the last guest instruction traced before the exit.
      const handler = timer ? markOf(names) : undefined;
      const kind = handler ?? (names.includes("hw.cpuid") ? "CPUID" : x.cause ? `after guest "${x.cause}"` : "breakpoint-started");
      if (seen.has(kind) || kind === "breakpoint-started") continue;
      seen.add(kind);
      const counts = new Map<string, number>();
      for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
      const vmx = x.insns.filter((i) => /^vm(read|write|resume)/.test(i)).length;
      console.log(`${kind} exit: ${x.addrs.length} host instructions from vm_exit to VMRESUME (${vmx} VMREAD/VMWRITE/VMRESUME)`);
      for (const [n, c] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`  ${String(c).padStart(4)}  ${n}`);
    }
    return 0;
  } finally {
    iso.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = main();
