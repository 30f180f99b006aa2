// Domain 0's kernel and shell on its compiled wasm against a simulated
// hypervisor (tests/sim/dom0.ts): start-up (COM1 programmed, events taken,
// start=dom0 modules built), the terminal (log lines above the prompt, the
// console mode and Ctrl-]), every command's answer, bad input of each kind
// answered with its error and changing nothing, and the heap of a long
// session staying flat.
import { describe, expect, it } from "vitest";
import { Dom0, HC, EVENT_SERIAL, EVENT_LOG, EVENT_CONSOLE, STATE, ENOSYS } from "../sim/dom0";
import { elf32 } from "./dom0-elf";

const PROMPT = "dom0# ";
const ESC = "\x1b";
const COUNTER = elf32({ entry: 0x10000c, paddr: 0x100000, code: 64, bss: 0x1000 });
const CFG = Buffer.from('name = "counter"\nmemory = 2\nkernel = "counter.elf"\n');

function world(o: ConstructorParameters<typeof Dom0>[0] = {}) {
  const d = new Dom0({
    modules: [
      { cmdline: "/boot/guests/counter.elf /boot/guests/counter.elf", bytes: COUNTER },
      { cmdline: "/boot/guests/counter.cfg", bytes: CFG },
    ],
    ...o,
  });
  d.exports.domainsFindSelf(d.str("dom0"));
  return d;
}

// The hypercalls that change something.
const CHANGING = new Set([HC.DOMAIN_PAUSE, HC.DOMAIN_UNPAUSE, HC.DOMAIN_DESTROY, HC.DOMAIN_CREATE, HC.DOMAIN_LOAD,
  HC.VCPU_SET_ENTRY, HC.DOMAIN_START, HC.CONSOLE_INPUT, HC.HOST_POWER, HC.SCHED_SET, HC.VCPU_PIN, HC.DOMAIN_MEM_WRITE,
  HC.VCPU_SET]);
const snapshot = (d: Dom0) => JSON.stringify({ doms: d.domains, free: d.memFreeKiB }, (_k, v) => typeof v === "bigint" ? String(v) : v);

describe("Domain 0 start-up", () => {
  it("programs COM1, takes the events, builds start=dom0 modules and shows the prompt", () => {
    const d = world({
      modules: [{ cmdline: "domain name=cpuid mem=2M start=dom0", bytes: COUNTER }],
    });
    d.logLine("hv: domain 1 (dom0) memory 16 MiB");
    const out = d.boot();
    expect(d.uartReg(3)).toBe(0x03);       // 8N1, DLAB off
    expect(d.uartReg(0)).toBe(1);          // divisor 1: 115200 (written with DLAB on)
    expect(d.uartReg(2)).toBe(0x07);       // FIFOs on and cleared
    expect(d.uartReg(4)).toBe(0x0b);       // DTR, RTS, OUT2 (the IRQ line)
    expect(d.uartReg(1)).toBe(0x01);       // received-data interrupt
    expect(d.eventVector).toBe(64);
    const setup = d.calls.findIndex((c) => c.nr === HC.EVENT_SETUP);
    expect(d.calls.slice(setup).find((c) => c.nr === HC.VERSION)).toBeDefined(); // before it prints
    expect(d.calls[setup].args.slice(1, 3)).toEqual([64n, 1n]);
    expect(d.eventPage % 4096).toBe(0);
    expect(out).toContain("dom0: Domain 0 up, ABI 0x00010000 (1.0)\n");
    expect(out).toMatch(/dom0: module 0: created domain 2 \(cpuid\), create to start \d+ TSC ticks\n/);
    expect(out).toContain("dom0: shell ready after 123456789 TSC ticks of hypervisor uptime\n");
    // The log from before HC_EVENT_SETUP is not printed again; what came after is.
    expect(out).not.toContain("memory 16 MiB");
    expect(out).toMatch(/hv: domain 2 \(cpuid\) started by domain 1\ndom0# $/);
    expect(d.domains[1]).toMatchObject({ name: "cpuid", state: STATE.RUNNABLE, config: "domain name=cpuid mem=2M start=dom0" });
  });

  it("without events it says so and halts at its prompt", () => {
    const d = world({ events: false });
    const out = d.boot();
    expect(out).toContain(`dom0: no event support (-${ENOSYS}): no console input\n`);
    expect(out).toMatch(/dom0: shell ready after \d+ Domain 0 TSC ticks\ndom0# \n$/);
  });

  it("without the control right it reports -EPERM and stops", () => {
    const out = world({ control: false }).boot();
    expect(out).toContain("dom0: no control right (-EPERM)\n");
    expect(out).not.toContain(PROMPT);
  });
});

describe("the terminal", () => {
  it("prints new log lines above the prompt and redraws the line being typed", () => {
    const d = world();
    d.start();
    expect(d.type("lis")).toBe("lis");
    d.logLine("hv: one");
    d.logLine("hv: two");
    expect(d.event(EVENT_LOG)).toBe(`\r${ESC}[Khv: one\nhv: two\n${PROMPT}lis`);
    // A partial line waits for its newline.
    for (const c of Buffer.from("hv: thr")) d.log.push(c);
    expect(d.event(EVENT_LOG)).toBe("");
    for (const c of Buffer.from("ee\n")) d.log.push(c);
    expect(d.event(EVENT_LOG)).toBe(`\r${ESC}[Khv: three\n${PROMPT}lis`);
    // With the cursor moved left the redraw puts it back.
    d.type(`${ESC}[D`);
    d.logLine("hv: four");
    expect(d.event(EVENT_LOG)).toBe(`\r${ESC}[Khv: four\n${PROMPT}lis\b`);
    d.type(`${ESC}[F`);
    expect(d.run("t")).toContain("   ID  Name");
  });

  it("Ctrl-C abandons the line; an empty line just prompts again", () => {
    const d = world();
    d.start();
    expect(d.type("destroy 1\x03")).toBe(`destroy 1^C\n${PROMPT}`);
    expect(d.run("")).toBe(`\n${PROMPT}`);
    expect(d.calls.filter((c) => CHANGING.has(c.nr))).toEqual([]);
  });

  it("console: shows the output not yet seen, forwards typing, Ctrl-] returns and prints the held log", () => {
    const d = world();
    const dom = d.addDomain({ name: "web" });
    d.consoleWrite(dom, "boot\nready\n");
    d.start();
    let out = d.run("console web");
    expect(out).toBe("console web\n[console of domain 2 (web); Ctrl-] returns to the shell]\nboot\nready\n");
    expect(d.type("ls -l\r")).toBe("");
    expect(Buffer.from(dom.input).toString()).toBe("ls -l\r");
    d.consoleWrite(dom, "file\n");
    expect(d.event(EVENT_CONSOLE)).toBe("file\n");
    d.logLine("hv: held back");
    expect(d.event(EVENT_LOG)).toBe("");
    out = d.type([0x1d]);
    expect(out).toBe(`hv: held back\n${PROMPT}`);
    // Again: only what came since.
    d.consoleWrite(dom, "later");
    out = d.run("console 2");
    expect(out).toBe("console 2\n[console of domain 2 (web); Ctrl-] returns to the shell]\nlater");
    expect(d.type("x\x1d")).toBe(`\n${PROMPT}`);
    expect(Buffer.from(dom.input).toString()).toBe("ls -l\rx");
  });

  it("console: what the guest's input ring has no room for is sent later", () => {
    const d = world();
    const dom = d.addDomain({ name: "slow", inputRoom: 3 });
    d.start();
    d.run("console slow");
    d.type("abcdef");
    expect(Buffer.from(dom.input).toString()).toBe("abc");
    dom.inputRoom = 2;                     // the guest read two bytes
    d.consoleWrite(dom, "x");
    expect(d.event(EVENT_CONSOLE)).toBe("x");
    expect(Buffer.from(dom.input).toString()).toBe("abcde");
    dom.inputRoom = 100;
    d.type("g");
    expect(Buffer.from(dom.input).toString()).toBe("abcdefg");
    // Beyond what Domain 0 keeps (64 bytes) a guest that never reads loses input.
    dom.inputRoom = 0;
    d.type("y".repeat(100));
    dom.inputRoom = 1000;
    d.type("z");
    expect(Buffer.from(dom.input).toString()).toBe("abcdefg" + "y".repeat(64) + "z");
    expect(d.type([0x1d])).toBe("\ndom0# ");
  });

  it("console: a domain that stops returns to the shell", () => {
    const d = world();
    const dom = d.addDomain({ name: "short" });
    d.start();
    d.run("console short");
    d.consoleWrite(dom, "bye\n");
    dom.state = STATE.STOPPED;
    d.logLine("hv: domain 2 (short) stopped: exit code 0");
    expect(d.event(EVENT_LOG | EVENT_CONSOLE)).toBe(
      `bye\ndomain 2 stopped; back to the shell\nhv: domain 2 (short) stopped: exit code 0\n${PROMPT}`);
  });

  it("console refuses Domain 0 itself, stopped domains, and works only with events", () => {
    const d = world();
    d.addDomain({ name: "gone", state: STATE.STOPPED });
    d.start();
    expect(d.run("console dom0")).toContain("console: domain 1 (dom0) is Domain 0 itself (this is its console)\n");
    expect(d.run("console gone")).toContain("console: domain 2 (gone) is stopped\n");
    const n = world({ events: false });
    n.addDomain({ name: "web" });
    n.start(-38);
    expect(n.run("console web")).toContain("console: no console input without hypervisor events\n");
  });
});

describe("commands", () => {
  it("help lists every command; help <command> explains one", () => {
    const d = world();
    d.start();
    const out = d.run("help");
    for (const c of ["list", "create", "destroy", "pause", "unpause", "console", "log", "info", "dmesg", "modules",
      "mem", "cpus", "sched", "vcpu-list", "vcpu-pin", "mem-read", "mem-write", "vcpu-get", "vcpu-set", "snapshot-create",
      "snapshot-list", "snapshot-revert", "snapshot-delete", "fork-vm", "dedup", "rights", "lspci", "help",
      "reboot", "poweroff"]) expect(out).toMatch(new RegExp(`\\n  ${c} +\\S`));
    expect(d.run("help create")).toContain("usage: create <config|module> [key=value ...] | key=value ...\n");
    expect(d.run("help destroy")).toContain("usage: destroy <domain>\n  stop a domain and free its memory\n");
  });

  it("create from a config module, list, info, log, pause, unpause, destroy", () => {
    const d = world();
    d.start();
    let out = d.run("create counter.cfg");
    expect(out).toContain("created domain 2 (counter)\nhv: domain 2 (counter) created by domain 1: memory 2048 KiB\n");
    expect(d.domains[1]).toMatchObject({ name: "counter", state: STATE.RUNNABLE, memKiB: 2048 });
    // The segment and the multiboot1 information are loaded, the entry is 32-bit multiboot.
    expect(d.domains[1].loads.map((l) => [l.dst, l.bytes.length])).toEqual([[0x100000n, 64], [0x8000n, expect.any(Number)]]);
    expect(d.domains[1].loads[0].bytes).toEqual(COUNTER.subarray(0x100, 0x140));
    const entry = new DataView(d.domains[1].entry!.buffer);
    expect(entry.getUint32(0, true)).toBe(1);                      // VCPU_MODE_PROTECTED32
    expect(entry.getBigUint64(8, true)).toBe(0x10000cn);           // RIP
    expect(entry.getBigUint64(24, true)).toBe(0x2badb002n);        // EAX: multiboot1 magic
    expect(d.run("list")).toMatch(/ +2 {2}counter {26} +2 +1 {2}runnable\n/);
    d.consoleWrite(d.domains[1], "counter 1\ncounter 2\n");
    d.domains[1].exits.set(10, 7n).set(30, 1234n);
    d.domains[1].runTicks = 5555n;
    d.event(EVENT_CONSOLE);
    out = d.run("info counter");
    expect(out).toContain("domain 2 (counter)\n  state         runnable\n  memory        2 MiB\n  vcpus         1\n  frames ");
    expect(out).toContain("  run time      5555 TSC ticks\n");
    expect(out).toContain("  frames        512 own, 0 shared, 0 in its 0 snapshots (4 KiB each)\n");
    expect(out).toMatch(/ {2}first output {2}\d+ TSC ticks after create\n/);
    expect(out).toMatch(/ {2}VM exits {6}1241\n {4}CPUID +7\n {4}IO_INSTRUCTION +1234\n/);
    expect(d.run("log 2")).toBe(`log 2\ncounter 1\ncounter 2\n${PROMPT}`);
    expect(d.run("pause counter")).toContain("paused domain 2 (counter)\n");
    expect(d.domains[1].paused).toBe(true);
    expect(d.run("list")).toMatch(/counter .* paused\n/);
    expect(d.run("pause 2")).toContain("pause: domain 2 (counter) is already paused\n");
    expect(d.run("unpause 2")).toContain("unpaused domain 2 (counter)\n");
    expect(d.run("unpause 2")).toContain("unpause: domain 2 (counter) is not paused\n");
    expect(d.domains[1].paused).toBe(false);
    const free = d.memFreeKiB;
    expect(d.run("destroy counter")).toContain("destroyed domain 2 (counter)\n");
    expect(d.memFreeKiB).toBe(free + 2048);
    expect(d.run("list")).not.toContain("counter");
    expect(d.run("list -a")).toMatch(/counter .* stopped\n/);
    out = d.run("info 2");
    expect(out).toContain("  state         stopped\n");
    expect(out).toContain("  stopped by    destroy\n");
    expect(out).not.toContain("restarts");
    d.domains[1].stopCause = 3;
    d.domains[1].restarts = 4;
    out = d.run("info 2");
    expect(out).toContain("  stopped by    a reset of its machine (on_reboot)\n");
    expect(out).toContain("  restarts      4 (on_poweroff, on_reboot or on_crash = restart)\n");
    expect(d.run("log counter")).toBe(`log counter\ncounter 1\ncounter 2\n${PROMPT}`);
  });

  it("8 creates and 8 destroys leave the free memory where it was", () => {
    const d = world();
    d.start();
    const before = d.run("mem");
    expect(before).toContain("total 512 MiB (524288 KiB), free 400 MiB (409600 KiB) for new domains\n");
    for (let i = 1; i <= 8; i++) expect(d.run(`create counter.cfg name=c${i} cmdline=limit=1`)).toContain(`created domain ${i + 1} (c${i})`);
    expect(d.run("mem")).toContain("free 384 MiB (393216 KiB)");
    for (let i = 1; i <= 8; i++) expect(d.run(`destroy c${i}`)).toContain(`destroyed domain ${i + 1} (c${i})`);
    expect(d.run("mem")).toBe(before);
  });

  it("mem, cpus, modules, lspci, dmesg", () => {
    const d = world({
      pci: [
        { bus: 0, dev: 0, fn: 0, vendor: 0x8086, device: 0x1237, classCode: 0x0600, revision: 2 },
        { bus: 0, dev: 3, fn: 0, vendor: 0x8086, device: 0x244e, classCode: 0x0604, secondary: 2 },
        { bus: 2, dev: 5, fn: 0, vendor: 0x10ec, device: 0x8139, classCode: 0x0200, revision: 0x20 },
        { bus: 7, dev: 0, fn: 0, vendor: 0x1234, device: 0x5678, classCode: 0x0300 }, // behind no bridge
      ],
    });
    d.logLine("hv: tshv 0.1.0");
    d.start(0);
    expect(d.run("mem")).toContain("   ID  Name                              Mem(KiB)   Own(KiB) Shared(KiB)  Snaps(KiB)\n" +
      "    1  dom0                                 16384      16384           0           0\ndomains and their snapshots use 16 MiB\n");
    expect(d.run("cpus")).toContain("    0     0  online     25     75     0  1 (dom0), boot CPU\n");
    expect(d.run("modules")).toMatch(new RegExp(
      `\n {4}0  image +${COUNTER.length}  counter.elf +/boot/guests/counter.elf /boot/guests/counter.elf\n` +
      ` {4}1  config +${CFG.length}  counter.cfg +/boot/guests/counter.cfg\n`));
    expect(d.run("lspci")).toBe("lspci\n00:00.0 0600: 8086:1237 (rev 02)  host bridge\n00:03.0 0604: 8086:244e  PCI bridge\n" +
      `02:05.0 0200: 10ec:8139 (rev 20)  network\n${PROMPT}`);
    expect(d.run("dmesg")).toBe(`dmesg\nhv: tshv 0.1.0\n${PROMPT}`);
    expect(world({ pci: [] }).run("lspci")).toContain("lspci: no PCI function answered");
  });

  it("bad input of each kind gets its error and changes nothing", () => {
    const d = world();
    d.addDomain({ name: "web" });
    d.addDomain({ name: "gone", state: STATE.STOPPED });
    d.start();
    const before = snapshot(d);
    const cases: Array<[string, string]> = [
      ["frobnicate", 'unknown command "frobnicate" (help lists the commands)'],
      ['list "a', "error: unterminated quote"],
      ["list extra", "list: usage: list [-a]"],
      ["destroy", "destroy: usage: destroy <domain>"],
      ["destroy 2 3", "destroy: usage: destroy <domain>"],
      ["destroy 42", "destroy: no domain with id 42"],
      ["destroy nobody", 'destroy: no domain named "nobody" (list shows them)'],
      ["destroy gone", "destroy: domain 3 (gone) is stopped"],
      ["destroy 1", "destroy: domain 1 (dom0) is Domain 0 itself"],
      ["pause dom0", "pause: domain 1 (dom0) is Domain 0 itself"],
      ["unpause 99", "unpause: no domain with id 99"],
      ["info", "info: usage: info <domain>"],
      ["log 77", "log: no domain with id 77"],
      ["console", "console: usage: console <domain>"],
      ["mem now", "mem: usage: mem (no arguments)"],
      ["dmesg -c", "dmesg: usage: dmesg (no arguments)"],
      ["help me now", "help: usage: help [command]"],
      ["help frob", 'help: no command "frob" (help lists the commands)'],
      ["reboot now", "reboot: usage: reboot (no arguments)"],
      ["create", "create: nothing to create (help create)"],
      ["create nothing.cfg", 'create: no boot module "nothing.cfg" (modules lists them)'],
      ["create counter.cfg memory=0", "create: memory=0: out of range (1 to 2048 MiB)"],
      ["create counter.cfg name=web", 'create: domain 2 (web) already has the name "web" (name=... gives another)'],
      ["create counter.cfg colour=red", 'create: colour=red: unknown key "colour" (keys: name, memory, vcpus, kernel, ramdisk, cmdline, root, extra, weight, cap, kind, acpi, on_poweroff, on_reboot, on_crash, rights, ioports)'],
    ];
    for (const [line, error] of cases) expect(d.run(line), line).toBe(`${line}\n${error}\n${PROMPT}`);
    expect(snapshot(d)).toBe(before);
    expect(d.calls.filter((c) => CHANGING.has(c.nr))).toEqual([]);
  });

  it("reboot and poweroff ask the hypervisor", () => {
    const d = world();
    d.start();
    expect(() => d.run("poweroff")).toThrow("power off");
    expect(d.power).toBe(0);
    expect(() => world().run("reboot")).toThrow("reboot");
  });
});

describe("sched, vcpu-list, vcpu-pin", () => {
  const H = "   ID  Name                  Weight   Cap           Credit      Run(ticks)\n";
  const V = "Name                   ID  VCPU  CPU  State          Time(ticks)  Affinity\n";
  function smp() {
    const d = world({ cpus: 2 });
    d.addDomain({ name: "counter", vcpus: 2, credit: -1234n, runTicks: 99999n,
      vcpuInfo: [{ state: 2, cpu: 1, affinity: (1n << 64n) - 1n, runTicks: 5000n }, { state: 0, cpu: -1, affinity: (1n << 64n) - 1n, runTicks: 0n }] });
    d.addDomain({ name: "solo", state: STATE.BLOCKED, vcpuInfo: [{ state: 3, cpu: 0, affinity: 2n, runTicks: 7n }] });
    d.addDomain({ name: "gone", state: STATE.STOPPED });
    d.start();
    return d;
  }

  it("CPU lists: all, N, N-M, N,M-K; malformed ones named", () => {
    const d = world();
    const cases: Array<[string, string, string]> = [
      ["all", "0xffffffffffffffff", ""], ["0", "0x1", ""], ["1-3", "0xe", ""], ["0,2-3,5", "0x2d", ""], ["3,1", "0xa", ""],
      ["63", "0x8000000000000000", ""],
    ];
    for (const [w, mask, err] of cases) expect(d.json("cpuListJson", d.str(w)), w).toMatchObject({ mask, error: err });
    expect(d.json("cpuListJson", d.str("0,2-3,5")).text).toBe("0,2-3,5");
    for (const w of ["", "x", "1-", "-1", "3-1", "1,", ",1", "1--2", "a-b", "0x1", " 1"]) {
      expect(d.json("cpuListJson", d.str(w)), w).toMatchObject({ mask: "0x0", error: `"${w}": not a CPU list (all, N, N-M or N,M-K)` });
    }
    expect(d.json("cpuListJson", d.str("0-64")).error).toBe('"0-64": CPU 64 is past the last one the hypervisor can name (63)');
  });

  it("sched shows every live domain, or one by id or name", () => {
    const d = smp();
    expect(d.run("sched")).toBe(`sched\n${H}    1  dom0                    256     0                0               0\n` +
      `    2  counter                 256     0            -1234           99999\n    3  solo                    256     0                0               0\n${PROMPT}`);
    expect(d.run("sched -d counter")).toBe(`sched -d counter\n${H}    2  counter                 256     0            -1234           99999\n${PROMPT}`);
    expect(d.run("sched -d 3")).toContain("    3  solo ");
  });

  it("sched -d sets weight and cap through HC_SCHED_SET, keeping what is not given", () => {
    const d = smp();
    expect(d.run("sched -d counter -w 512 -c 50")).toBe(`sched -d counter -w 512 -c 50\n${H}    2  counter                 512    50            -1234           99999\n${PROMPT}`);
    expect(d.run("sched -c 0 -d 2")).toContain("    2  counter                 512     0 ");
    expect(d.run("sched -d 2 -w 65535")).toContain("    2  counter               65535     0 ");
    expect(d.run("sched -d 2 -c 200")).toContain("    2  counter               65535   200 "); // 2 vCPUs: 200%
    expect(d.calls.filter((c) => c.nr === HC.SCHED_SET).map((c) => c.args.slice(0, 3))).toEqual([
      [2n, 512n, 50n], [2n, 512n, 0n], [2n, 65535n, 0n], [2n, 65535n, 200n]]);
  });

  it("vcpu-list: CPU, state, run time, affinity", () => {
    const d = smp();
    expect(d.run("vcpu-list")).toBe(`vcpu-list\n${V}` +
      "dom0                    1     0    0  running              1000  all\n" +
      "counter                 2     0    1  running              5000  all\n" +
      "counter                 2     1    -  down                    0  all\n" +
      "solo                    3     0    0  blocked                 7  1\n" + PROMPT);
    expect(d.run("vcpu-list solo")).toBe(`vcpu-list solo\n${V}solo                    3     0    0  blocked                 7  1\n${PROMPT}`);
  });

  it("vcpu-pin one vCPU or all of them; vcpu-list shows it", () => {
    const d = smp();
    expect(d.run("vcpu-pin counter 0 0")).toBe(`vcpu-pin counter 0 0\ndomain 2 (counter) vCPU 0: affinity 0\n${PROMPT}`);
    expect(d.run("vcpu-pin 2 all 1")).toBe(`vcpu-pin 2 all 1\ndomain 2 (counter) vCPU 0: affinity 1\ndomain 2 (counter) vCPU 1: affinity 1\n${PROMPT}`);
    expect(d.run("vcpu-list counter")).toMatch(/ 0 +1 +running +5000 {2}1\n.* 1 +- +down +0 {2}1\n/);
    expect(d.run("vcpu-pin counter 1 0,1")).toContain("vCPU 1: affinity all");
    expect(d.run("vcpu-pin counter 0 all")).toContain("vCPU 0: affinity all");
    expect(d.calls.filter((c) => c.nr === HC.VCPU_PIN).map((c) => c.args.slice(0, 3))).toEqual([
      [2n, 0n, 1n], [2n, 0n, 2n], [2n, 1n, 2n], [2n, 1n, 3n], [2n, 0n, (1n << 64n) - 1n]]);
  });

  it("bad input gets its error and changes nothing", () => {
    const d = smp();
    const before = snapshot(d);
    const cases: Array<[string, string]> = [
      ["sched -x", 'sched: unknown option "-x" (usage: sched [-d <domain> [-w <weight>] [-c <cap>]])'],
      ["sched counter", 'sched: unknown option "counter" (usage: sched [-d <domain> [-w <weight>] [-c <cap>]])'],
      ["sched -d", "sched: -d needs a value (usage: sched [-d <domain> [-w <weight>] [-c <cap>]])"],
      ["sched -d 2 -w", "sched: -w needs a value (usage: sched [-d <domain> [-w <weight>] [-c <cap>]])"],
      ["sched -w 5", "sched: -w and -c need -d <domain>"],
      ["sched -d 2 -w 0", "sched: -w 0: out of range (1 to 65535)"],
      ["sched -d 2 -w 65536", "sched: -w 65536: out of range (1 to 65535)"],
      ["sched -d 2 -w ten", "sched: -w ten: not a number (1 to 65535)"],
      ["sched -d 2 -w -5", "sched: -w -5: not a number (1 to 65535)"],
      ["sched -d solo -c 101", "sched: -c 101: out of range (0 to 100% of one CPU, 100 per vCPU; 0 = none)"],
      ["sched -d 2 -c 201", "sched: -c 201: out of range (0 to 200% of one CPU, 100 per vCPU; 0 = none)"],
      ["sched -d 2 -c x", "sched: -c x: not a number (0 to 200% of one CPU, 100 per vCPU; 0 = none)"],
      ["sched -d 42", "sched: no domain with id 42"],
      ["sched -d nobody -w 5", 'sched: no domain named "nobody" (list shows them)'],
      ["sched -d gone -w 5", "sched: domain 4 (gone) is stopped"],
      ["vcpu-list 1 2", "vcpu-list: usage: vcpu-list [domain]"],
      ["vcpu-list gone", "vcpu-list: domain 4 (gone) is stopped"],
      ["vcpu-list 9", "vcpu-list: no domain with id 9"],
      ["vcpu-pin counter 0", "vcpu-pin: usage: vcpu-pin <domain> <vcpu|all> <cpus>"],
      ["vcpu-pin nobody 0 0", 'vcpu-pin: no domain named "nobody" (list shows them)'],
      ["vcpu-pin gone 0 0", "vcpu-pin: domain 4 (gone) is stopped"],
      ["vcpu-pin counter 2 0", "vcpu-pin: domain 2 (counter) has no vCPU 2 (its vCPUs: 0-1 or all)"],
      ["vcpu-pin solo x 0", "vcpu-pin: domain 3 (solo) has no vCPU x (its vCPUs: 0 or all)"],
      ["vcpu-pin counter 0 2", "vcpu-pin: no CPU 2 on this host (it has 2: 0-1)"],
      ["vcpu-pin counter 0 1-5,9", "vcpu-pin: no CPU 2-5,9 on this host (it has 2: 0-1)"],
      ["vcpu-pin counter 0 1-", 'vcpu-pin: "1-": not a CPU list (all, N, N-M or N,M-K)'],
      ["help vcpu-pin extra", "help: usage: help [command]"],
    ];
    for (const [line, error] of cases) expect(d.run(line), line).toBe(`${line}\n${error}\n${PROMPT}`);
    expect(snapshot(d)).toBe(before);
    expect(d.calls.filter((c) => CHANGING.has(c.nr))).toEqual([]);
  });

  it("help explains each; cpus shows busy/idle and the run queue per CPU", () => {
    const d = smp();
    expect(d.run("help sched")).toContain("usage: sched [-d <domain> [-w <weight>] [-c <cap>]]\n  the credit scheduler");
    expect(d.run("help vcpu-list")).toContain("usage: vcpu-list [domain]\n");
    expect(d.run("help vcpu-pin")).toContain("usage: vcpu-pin <domain> <vcpu|all> <cpus>\n");
    expect(d.run("cpus")).toContain("  CPU  APIC  State    Busy%  Idle%  RunQ  Running\n" +
      "    0     0  online     25     75     0  1 (dom0), boot CPU\n    1     1  online     25     75     0  1 (dom0)\n");
  });
});

describe("a long session", () => {
  it("the heap stays flat over hundreds of commands through the main loop", () => {
    const d = world();
    const lines = ["list", "help create", "info 1", "create counter.cfg name=h", "log h", "mem", "destroy h",
      "modules", "lspci", "nonsense", "create name=x memory=abc", "list -a", "dmesg", "cpus", "sched", "vcpu-list",
      "sched -d 1 -w 300", "vcpu-pin 1 0 all"];
    const pages: number[] = [];
    for (let i = 0; i < 30 * lines.length; i++) {
      d.script.push(() => {
        d.rx.push(...Buffer.from(lines[i % lines.length] + "\r"));
        d.pend(EVENT_SERIAL | EVENT_LOG);
      });
      if (i % 90 === 89) d.script.push(() => { pages.push(d.memory.buffer.byteLength >> 16); d.pend(EVENT_LOG); });
    }
    const out = d.boot();
    expect(out.match(/created domain \d+ \(h\)/g)).toHaveLength(30);
    console.log(`dom0 wasm memory (64 KiB pages) after each 90 commands: ${pages.join(" ")}`);
    expect(new Set(pages.slice(1)).size).toBe(1);
  });
});

describe("snapshot and fork commands: what the shell refuses before any call", () => {
  it("usage, an unknown domain, a bad count or a long name are one line each", () => {
    const d = world();
    d.addDomain({ name: "counter", memKiB: 64 });
    d.start();
    const line = (cmd: string) => d.run(cmd).split("\n")[1];
    expect(line("snapshot-create")).toBe("snapshot-create: usage: snapshot-create <domain> [name]");
    expect(line("snapshot-create counter a b")).toBe("snapshot-create: usage: snapshot-create <domain> [name]");
    expect(line("snapshot-list counter --wide")).toBe("snapshot-list: usage: snapshot-list <domain> [--tree]");
    expect(line("snapshot-revert counter")).toBe("snapshot-revert: usage: snapshot-revert <domain> <snapshot>");
    expect(line("snapshot-delete counter s1 --all")).toBe("snapshot-delete: usage: snapshot-delete <domain> <snapshot> [--children]");
    expect(line("fork-vm")).toBe("fork-vm: usage: fork-vm <domain>[@snapshot] [--name N] [--count K]");
    expect(line("fork-vm counter --count")).toBe("fork-vm: usage: fork-vm <domain>[@snapshot] [--name N] [--count K]");
    expect(line("fork-vm counter --count 0")).toBe("fork-vm: --count 0: 1 to 64");
    expect(line("fork-vm counter --count 65")).toBe("fork-vm: --count 65: 1 to 64");
    expect(line("snapshot-create nosuch")).toMatch(/^snapshot-create: no domain named "nosuch"/);
    expect(line(`snapshot-create counter ${"x".repeat(32)}`)).toBe(`snapshot-create: name ${"x".repeat(32)}: longer than 31 bytes`);
  });
});

describe("dedup", () => {
  it("pauses the running domains of the group for the scan, reports what it freed, refuses a bad group", () => {
    const d = world();
    const a = d.addDomain({ name: "web-1", memKiB: 1024 });
    const b = d.addDomain({ name: "web-2", memKiB: 1024 });
    b.paused = true;
    d.start();
    const out = d.run("dedup web-1 web-2");
    expect(out).toMatch(/^dedup web-1 web-2\ndedup of 2 domains: 128 pages merged, 512 KiB freed, \d+ TSC ticks\n/);
    // web-1 ran before and runs on; web-2 was paused and stays so.
    expect(a.paused).toBe(false);
    expect(b.paused).toBe(true);
    const call = d.calls.find((x) => x.nr === HC.DOMAIN_DEDUP)!;
    expect(call.args[1]).toBe(2n);
    const line = (cmd: string) => d.run(cmd).split("\n")[1];
    expect(line("dedup")).toBe("dedup: usage: dedup <domain>...");
    expect(line("dedup web-1 web-1")).toBe("dedup: domain 2 (web-1) is named twice");
    expect(line("dedup web-1 1")).toMatch(/^dedup: domain 1 \(.*\) is a control domain: only DomUs share pages$/);
    expect(line("dedup web-1 nosuch")).toMatch(/^dedup: no domain named "nosuch"/);
    expect(d.calls.filter((x) => x.nr === HC.DOMAIN_DEDUP)).toHaveLength(1);
  });
});

describe("rights", () => {
  it("sets a domain's rights by name; info shows them; bad names and refusals are one line", () => {
    const d = world();
    d.addDomain({ name: "monitor" });
    d.start();
    expect(d.run("rights monitor host,sched")).toBe("rights monitor host,sched\ndomain 2 (monitor): rights sched,host\n" + PROMPT);
    expect(d.calls.filter((x) => x.nr === HC.DOMAIN_RIGHTS).at(-1)!.args.slice(0, 2)).toEqual([2n, 12n]);
    expect(d.run("info monitor")).toMatch(/\n  rights +sched,host\n/);
    expect(d.run("info 1")).toMatch(/\n  rights +control: domains,memory,sched,host,power,console \(Domain 0\)\n/);
    const line = (cmd: string) => d.run(cmd).split("\n")[1];
    expect(line("rights monitor root")).toBe("rights: root: unknown right (domains, memory, sched, host, power, console, all, none)");
    expect(line("rights monitor")).toBe("rights: usage: rights <domain> <rights|all|none>");
    expect(line("rights 1 none")).toBe("rights: domain 1 (dom0) is Domain 0 itself: its rights are its own");
    expect(line("rights monitor none")).toBe("domain 2 (monitor): rights none");
    expect(d.run("info monitor")).not.toMatch(/rights/);
  });
});

describe("mem-read, mem-write, vcpu-get, vcpu-set", () => {
  function two() {
    const d = world();
    const c = d.addDomain({ name: "counter", vcpus: 2, memKiB: 64 });
    for (let i = 0; i < 20; i++) c.ram.set(0x1000 + i, 0x41 + i);
    d.start();
    return { d, c };
  }

  it("mem-read dumps 16 bytes a line with their text; mem-write takes hex pairs", () => {
    const { d, c } = two();
    expect(d.run("mem-read counter 0x1000 20")).toBe("mem-read counter 0x1000 20\n" +
      "0x00001000: 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP\n" +
      "0x00001010: 51 52 53 54                                      QRST\n" + PROMPT);
    expect(d.run("mem-write 2 4096 dead be ef")).toBe("mem-write 2 4096 dead be ef\n4 bytes written at 0x1000\n" + PROMPT);
    expect([0, 1, 2, 3, 4].map((i) => c.ram.get(0x1000 + i))).toEqual([0xde, 0xad, 0xbe, 0xef, 0x45]);
    // Longer than one call: 4096-byte calls, one line per 16 bytes.
    const long = d.run("mem-read counter 0 5000");
    expect(long.split("\n").length).toBe(2 + Math.ceil(5000 / 16));
    expect(d.calls.filter((x) => x.nr === HC.DOMAIN_MEM_READ).slice(-2).map((x) => x.args[3])).toEqual([4096n, 904n]);
  });

  it("vcpu-get prints a paused vCPU's registers, vcpu-set changes one; a running domain is refused", () => {
    const { d, c } = two();
    expect(d.run("vcpu-get counter 1")).toBe("vcpu-get counter 1\nvcpu-get: HC_VCPU_GET failed (-16 EBUSY: pause the domain first)\n" + PROMPT);
    c.paused = true;
    const out = d.run("vcpu-get counter 1");
    expect(out).toContain("rax    0x0000000000000001   rbx    0x0000000000000101");
    expect(out).toContain("rip    0x0000000000001001   rflags 0x0000000000001101");
    expect(out.split("\n").length).toBe(2 + 6);
    expect(d.run("vcpu-set counter 0 rip=0x100000")).toBe("vcpu-set counter 0 rip=0x100000\nrip = 0x100000\n" + PROMPT);
    expect(c.regs[0][16]).toBe(0x100000n);
    expect(d.run("vcpu-set counter 0 rflags=0")).toBe("vcpu-set counter 0 rflags=0\nvcpu-set: rflags 0x0: not a value the vCPU can hold\n" + PROMPT);
  });

  it("bad input: one line each, nothing changed", () => {
    const { d, c } = two();
    c.paused = true;
    const before = snapshot(d);
    const ram = JSON.stringify([...c.ram]), regs = JSON.stringify(c.regs, (_k, v) => typeof v === "bigint" ? String(v) : v);
    const cases: Array<[string, string]> = [
      ["mem-read counter 0x1000", "mem-read: usage: mem-read <domain> <gpa> <len>"],
      ["mem-read nobody 0 16", 'mem-read: no domain named "nobody" (list shows them)'],
      ["mem-read counter 0xzz 16", "mem-read: gpa 0xzz: not a number (decimal, or hex with 0x)"],
      ["mem-read counter 0 0", "mem-read: len 0: out of range (1 to 65536)"],
      ["mem-read counter 0 65537", "mem-read: len 65537: out of range (1 to 65536)"],
      ["mem-read counter 0xffff0 16", "mem-read: domain counter: HC_DOMAIN_MEM_READ at 0xffff0 failed (-22 EINVAL)"],
      ["mem-write counter 0 abc", 'mem-write: "abc": an odd number of hex digits'],
      ["mem-write counter 0 zz", 'mem-write: "zz": not hex digits'],
      ["mem-write counter 0x10000 00", "mem-write: domain counter: HC_DOMAIN_MEM_WRITE at 0x10000 failed (-22 EINVAL)"],
      ["vcpu-get counter 2", "vcpu-get: domain 2 (counter) has no vCPU 2 (it has 2)"],
      ["vcpu-get counter x", "vcpu-get: domain 2 (counter) has no vCPU x (it has 2)"],
      ["vcpu-set counter 0 rax", "vcpu-set: usage: vcpu-set <domain> <vcpu> <reg>=<value>"],
      ["vcpu-set counter 0 cr3=0", 'vcpu-set: "cr3": not a register it sets (rax-r15, rip, rflags)'],
      ["vcpu-set counter 0 foo=1", 'vcpu-set: "foo": not a register it sets (rax-r15, rip, rflags)'],
      ["vcpu-set counter 0 rax=0x", "vcpu-set: rax 0x: not a number (decimal, or hex with 0x)"],
      ["vcpu-set counter 0 rax=18446744073709551616", "vcpu-set: rax 18446744073709551616: not a number (decimal, or hex with 0x)"],
    ];
    for (const [line, error] of cases) expect(d.run(line), line).toBe(`${line}\n${error}\n${PROMPT}`);
    expect(snapshot(d)).toBe(before);
    expect(JSON.stringify([...c.ram])).toBe(ram);
    expect(JSON.stringify(c.regs, (_k, v) => typeof v === "bigint" ? String(v) : v)).toBe(regs);
  });
});
