// Domain 0's shell in Bochs, over the serial console: one image, one session
// typed at the `dom0# ` prompt, the answers read back. It needs the
// hypervisor's events (COM1's interrupt delivered to Domain 0, the ports
// passed through, the log through Domain 0).
//
// Typing goes a few bytes at a time, each chunk only after Domain 0 echoed
// the previous one, so the 16-byte receive FIFO never overruns. A command's
// answer is what comes between its Enter and the next empty prompt.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT, type Emulator } from "../../qemu/emulator";
import { bzImage, MiB } from "../unit/bzimage-make";
import { CMD_MS, FAIL, freeKiB, freeText, IDLE_PROMPT, listed, run, sleep, type, until } from "./dom0-console";

const GUESTS = path.join(ROOT, "build", "guests");
const BOOT_MS = 4 * 60_000;
const ESC = "\x1b";
let dir = "";

beforeAll(() => {
  const r = spawnSync("make", ["-s", "build/dom0.elf", "guests", "build/linux/vmlinuz"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make build/dom0.elf guests build/linux/vmlinuz failed:\n${r.stdout}\n${r.stderr}`);
  dir = mkdtempSync(path.join(tmpdir(), "hv-shell-"));
  writeFileSync(path.join(dir, "bad.cfg"), 'name = "bad"\nmemory = lots\nkernel = "counter.elf"\n');
  const corrupt = Buffer.from(readFileSync(path.join(GUESTS, "counter.elf")));
  corrupt.writeUInt32LE(0x7fffff00, 0x1c); // e_phoff far past the end of the file
  writeFileSync(path.join(dir, "corrupt.elf"), corrupt);
  // Linux kernels Domain 0 refuses: Debian's cut short, a boot protocol
  // too old for a 64-bit entry, no boot flag; a sound one that needs 56 MiB.
  const kernel = readFileSync(path.join(ROOT, "build", "linux", "vmlinuz"));
  writeFileSync(path.join(dir, "cut.bz"), kernel.subarray(0, 100 * 1024));
  writeFileSync(path.join(dir, "old.bz"), bzImage({ version: 0x020a }));
  writeFileSync(path.join(dir, "noflag.bz"), bzImage({ flag: 0x1234 }));
  writeFileSync(path.join(dir, "tiny.bz"), bzImage());
  writeFileSync(path.join(dir, "ramdisk.img"), Buffer.alloc(2 * MiB));
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lastCount = (log: string) => Math.max(0, ...[...log.matchAll(/^counter (\d+)$/gm)].map((m) => Number(m[1])));

test("the Domain 0 shell over the serial console", async () => {
  const iso = makeIso({
    title: "tshv-shell",
    modules: [
      { path: path.join(ROOT, "build", "dom0.elf"), cmdline: "domain name=dom0 mem=16M control=1" },
      { path: path.join(GUESTS, "counter.elf"), cmdline: "/boot/guests/counter.elf" },
      { path: path.join(ROOT, "tests", "guests", "counter.cfg"), cmdline: "/boot/guests/counter.cfg" },
      { path: path.join(dir, "bad.cfg"), cmdline: "/boot/bad.cfg" },
      { path: path.join(dir, "corrupt.elf"), cmdline: "/boot/corrupt.elf" },
      ...["cut.bz", "old.bz", "noflag.bz", "tiny.bz", "ramdisk.img"].map((f) => ({ path: path.join(dir, f), cmdline: `/boot/${f}` })),
    ],
  });
  let e: Emulator | undefined;
  try {
    e = await bootBochs({ iso: iso.path, failOn: FAIL, cpus: 2 });
    const ready = await e.waitFor(/dom0: shell ready after (\d+) TSC ticks of hypervisor uptime\n/, BOOT_MS);
    await until(e, 0, IDLE_PROMPT, 60_000, "the first prompt");
    const bootTicks = Number(ready[1]);
    console.log(`bochs: GRUB hand-off to dom0# in ${bootTicks} TSC ticks (emulated instructions), ${e.elapsed().toFixed(1)} s`);

    // help, list, modules
    const help = await run(e, "help");
    for (const c of ["list", "create", "destroy", "pause", "unpause", "console", "log", "info", "dmesg", "modules", "mem", "cpus", "sched", "vcpu-list", "vcpu-pin", "mem-read", "mem-write", "vcpu-get", "vcpu-set", "lspci", "reboot", "poweroff"]) {
      expect(help).toMatch(new RegExp(`^ {2}${c} +\\S`, "m"));
    }
    expect(await run(e, "help create")).toContain("usage: create <config|module> [key=value ...] | key=value ...");
    const list0 = await run(e, "list");
    expect(listed(list0)).toEqual([["1", "dom0", "runnable"]]);
    const mods = await run(e, "modules");
    expect(mods).toMatch(/^ +\d+ {2}image +\d+ {2}counter\.elf +\/boot\/guests\/counter\.elf$/m);
    expect(mods).toMatch(/^ +\d+ {2}config +\d+ {2}counter\.cfg +\/boot\/guests\/counter\.cfg$/m);

    // Line editing on the real terminal: a typo fixed with backspace, Ctrl-C, history.
    let out = await run(e, "lisx\x7ft");
    expect(listed(out)).toEqual(listed(list0));
    await type(e, "destroy 1");
    let mark = e.output().length;
    e.write("\x03");
    await until(e, mark, /\^C\ndom0# /, CMD_MS, "Ctrl-C");
    out = await run(e, `${ESC}[A`); // up: the last line run, `list`
    expect(listed(out)).toEqual(listed(list0));

    // create from a config module; its output through console and log
    const mem0 = await run(e, "mem");
    const created = await run(e, "create counter.cfg");
    const id = /created domain (\d+) \(counter\)/.exec(created)?.[1];
    expect(id, created).toBeDefined();
    // Its 2 MiB and the hypervisor's own frames for it (EPT, VMCS, console).
    const mem1 = await run(e, "mem");
    expect(freeKiB(mem1)).toBeLessThanOrEqual(freeKiB(mem0) - 2048);
    console.log(`bochs: a 2 MiB domain takes ${freeKiB(mem0) - freeKiB(mem1)} KiB of host memory`);
    mark = e.output().length;
    await type(e, "console counter");
    e.write("\r");
    await until(e, mark, /\[console of domain \d+ \(counter\); Ctrl-\] returns to the shell\]\n(?:.*\n)*counter \d+\n/, CMD_MS, "console");
    e.write("x");
    await until(e, mark, /counter: got 0x78\n/, CMD_MS, "input to the console");
    const detach = e.output().length;
    e.write("\x1d");
    await until(e, detach, IDLE_PROMPT, CMD_MS, "Ctrl-]");
    const log = await run(e, "log counter");
    expect(log).toMatch(/^counter 1\ncounter 2\n/);
    expect(log).toContain("counter: got 0x78\n");
    const info = await run(e, `info ${id}`);
    expect(info).toContain(`domain ${id} (counter)\n  state         runnable\n  memory        2 MiB\n`);
    const first = /first output  (\d+) TSC ticks after create/.exec(info);
    console.log(`bochs: create to the guest's first console output: ${first?.[1]} TSC ticks (Domain 0's view)`);

    // pause stops its progress, unpause resumes it
    expect(await run(e, "pause counter")).toContain(`paused domain ${id} (counter)`);
    const paused = lastCount(await run(e, "log counter"));
    await sleep(10_000);
    expect(lastCount(await run(e, "log counter"))).toBe(paused);
    expect(listed(await run(e, "list")).find((d) => d[1] === "counter")?.[2]).toBe("paused");
    // Paused, it is read and changed from outside: its registers (RIP in its
    // image at 1 MiB), a register set and put back, its memory.
    const regs = await run(e, "vcpu-get counter 0");
    const reg = (out: string, name: string): bigint => BigInt(new RegExp(`\\b${name} +(0x[0-9a-f]{16})`).exec(out)![1]);
    const rip = reg(regs, "rip");
    expect(rip >= 0x100000n && rip < 0x200000n, `rip ${rip.toString(16)}`).toBe(true);
    expect(reg(regs, "rflags") & 2n).toBe(2n);
    const rbx = reg(regs, "rbx");
    expect(await run(e, "vcpu-set counter 0 rbx=0x2a")).toContain("rbx = 0x2a\n");
    expect(reg(await run(e, "vcpu-get counter 0"), "rbx")).toBe(0x2an);
    expect(await run(e, `vcpu-set counter 0 rbx=0x${rbx.toString(16)}`)).toContain(`rbx = 0x${rbx.toString(16)}\n`);
    expect(await run(e, "vcpu-set counter 0 rflags=0")).toContain("vcpu-set: rflags 0x0: not a value the vCPU can hold\n");
    expect(await run(e, "mem-write counter 0x1ff000 de ad be ef 00 11")).toContain("6 bytes written at 0x1ff000\n");
    expect(await run(e, "mem-read counter 0x1ff000 6")).toMatch(/^0x001ff000: de ad be ef 00 11 {32}\.{6}$/m);
    expect(await run(e, "mem-read counter 0x1ffffc 8")).toContain("HC_DOMAIN_MEM_READ at 0x1ffffc failed (-22 EINVAL)");
    expect(await run(e, `unpause ${id}`)).toContain(`unpaused domain ${id} (counter)`);
    expect(await run(e, "vcpu-get counter 0")).toContain("failed (-16 EBUSY: pause the domain first)");
    const deadline = Date.now() + 120_000;
    let resumed = paused;
    while (resumed <= paused && Date.now() < deadline) {
      await sleep(3000);
      resumed = lastCount(await run(e, "log counter"));
    }
    expect(resumed).toBeGreaterThan(paused);
    console.log(`bochs: counter at ${paused} while paused for 10 s, ${resumed} after unpause`);

    // the scheduler and the vCPUs: weight and cap set, vCPU 0 pinned to CPU 0
    const sched = await run(e, "sched");
    expect(sched).toMatch(/^ +1 {2}dom0 +256 +0 +-?\d+ +\d+$/m);
    expect(sched).toMatch(new RegExp(`^ +${id} {2}counter +256 +0 +-?\\d+ +\\d+$`, "m"));
    expect(await run(e, "sched -d counter -w 512 -c 50")).toMatch(new RegExp(`^ +${id} {2}counter +512 +50 +-?\\d+ +\\d+$`, "m"));
    expect(await run(e, `sched -d ${id}`)).toMatch(/ counter +512 +50 /);
    const vcpus = await run(e, "vcpu-list");
    expect(vcpus).toMatch(/^dom0 +1 +0 +[01] +running +\d+ {2}all$/m);
    expect(vcpus).toMatch(new RegExp(`^counter +${id} +0 +[-01] +(running|runnable|blocked) +\\d+ {2}all$`, "m"));
    expect(await run(e, "vcpu-pin counter 0 0")).toContain(`domain ${id} (counter) vCPU 0: affinity 0\n`);
    const pinned = await run(e, "vcpu-list");
    expect(pinned).toMatch(new RegExp(`^counter +${id} +0 +[-01] +\\w+ +\\d+ {2}0$`, "m"));
    console.log(`bochs: vcpu-list after vcpu-pin counter 0 0:\n${pinned}`);
    expect(await run(e, "cpus")).toMatch(/^CPUs: 2 found, 2 online;/m);
    const schedBad: Array<[string, RegExp]> = [
      ["sched -d counter -w 0", /^sched: -w 0: out of range \(1 to 65535\)$/m],
      ["sched -d counter -c 101", /^sched: -c 101: out of range \(0 to 100% of one CPU/m],
      ["sched -d counter -x 1", /^sched: unknown option "-x"/m],
      ["vcpu-pin counter 0 2-3", /^vcpu-pin: no CPU 2-3 on this host \(it has 2: 0-1\)$/m],
      ["vcpu-pin counter 1 0", new RegExp(`^vcpu-pin: domain ${id} \\(counter\\) has no vCPU 1 \\(its vCPUs: 0 or all\\)$`, "m")],
    ];
    for (const [cmd, error] of schedBad) expect(await run(e, cmd), cmd).toMatch(error);
    expect(await run(e, `sched -d ${id}`)).toMatch(/ counter +512 +50 /);

    // destroy returns all of it
    expect(freeKiB(await run(e, "mem"))).toBe(freeKiB(mem1));
    expect(await run(e, "destroy counter")).toContain(`destroyed domain ${id} (counter)`);
    expect(freeKiB(await run(e, "mem"))).toBe(freeKiB(mem0));

    // 8 domains created and destroyed: no memory lost
    const mem8 = freeKiB(await run(e, "mem"));
    for (let i = 1; i <= 8; i++) {
      expect(await run(e, `create counter.elf name=c${i} memory=2 cmdline="limit=1 delay=1000"`)).toMatch(new RegExp(`created domain \\d+ \\(c${i}\\)`));
    }
    expect(listed(await run(e, "list")).map((d) => d[1])).toEqual(["dom0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"]);
    expect(freeKiB(await run(e, "mem"))).toBeLessThanOrEqual(mem8 - 8 * 2048);
    for (let i = 1; i <= 8; i++) expect(await run(e, `destroy c${i}`)).toMatch(new RegExp(`destroyed domain \\d+ \\(c${i}\\)`));
    expect(freeKiB(await run(e, "mem"))).toBe(mem8);

    // bad input: each gets its error and changes nothing
    const listBefore = await run(e, "list");
    const memText = await run(e, "mem");
    const bad: Array<[string, RegExp]> = [
      ["frobnicate", /^unknown command "frobnicate" \(help lists the commands\)$/m],
      ["destroy 99", /^destroy: no domain with id 99$/m],
      ["destroy c1", /^destroy: domain \d+ \(c1\) is stopped$/m],
      ["pause", /^pause: usage: pause <domain>$/m],
      ["unpause dom0", /^unpause: domain 1 \(dom0\) is not paused$/m],
      ["destroy dom0", /^destroy: domain 1 \(dom0\) is Domain 0 itself$/m],
      ["create name=big memory=2000 kernel=counter.elf", new RegExp(`^create: not enough memory for 2000 MiB: ${freeText(memText)} free$`, "m")],
      ["create bad.cfg", /^create: bad\.cfg: line 2: memory: not a number \(1 to 2048 MiB\)$/m],
      ["create name=x memory=2 kernel=corrupt.elf", /^create: module \d+ \(corrupt\.elf\): ELF: program headers .* run past the end of the file/m],
      ["create nosuch.cfg", /^create: no boot module "nosuch\.cfg" \(modules lists them\)$/m],
      [`create name=k memory=64 kernel=cut.bz`, new RegExp(`^create: module \\d+ \\(cut\\.bz\\): bzImage: truncated: the kernel needs \\d+ bytes, the file has ${100 * 1024}$`, "m")],
      ["create name=k memory=64 kernel=old.bz", /^create: module \d+ \(old\.bz\): bzImage: boot protocol 2\.10 is older than 2\.12: no 64-bit entry$/m],
      ["create name=k memory=64 kernel=noflag.bz", /^create: module \d+ \(noflag\.bz\): bzImage: not a bzImage: no 0xAA55 boot flag at 0x1fe$/m],
      ["create name=k memory=32 kernel=tiny.bz", /^create: module \d+ \(tiny\.bz\): bzImage: the kernel needs 56 MiB of memory \(to 0x3800000\), the domain has 32 MiB$/m],
      ["create name=k memory=57 kernel=tiny.bz ramdisk=ramdisk.img", /^create: ramdisk ramdisk\.img: the initrd \(2097152 bytes\) does not fit between the kernel's end \(0x3800000\) and 0x3900000: give the domain 58 MiB or more$/m],
      ["create name=k memory=4 kernel=counter.elf ramdisk=ramdisk.img", /^create: ramdisk ramdisk\.img: an initrd is for a Linux kernel, counter\.elf is elf32$/m],
      ["create name=k memory=64 kernel=tiny.bz ramdisk=none.img", /^create: ramdisk: no boot module "none\.img" \(modules lists them\)$/m],
      ['list "a', /^error: unterminated quote$/m],
    ];
    for (const [cmd, error] of bad) expect(await run(e, cmd), cmd).toMatch(error);
    expect(listed(await run(e, "list"))).toEqual(listed(listBefore));
    expect(freeKiB(await run(e, "mem"))).toBe(freeKiB(memText));

    // the host
    expect(await run(e, "lspci")).toMatch(/^00:00\.0 0600: 8086:1237/m);
    expect(await run(e, "cpus")).toMatch(/^ +0 +\d+ {2}online /m);
    const dmesg = await run(e, "dmesg");
    expect(dmesg).toMatch(/^hv: domain \d+ \(c8\) created by domain 1: memory 2048 KiB$/m);
    expect(dmesg).toMatch(/^hv: domain \d+ \(c8\) stopped: destroyed by domain 1$/m);
    console.log(`bochs: shell session done at ${e.elapsed().toFixed(1)} s`);

    // poweroff ends the machine
    await type(e, "poweroff");
    e.write("\r");
    await e.waitFor("poweroff: now\n", CMD_MS);
    const exit = await Promise.race([e.exited, sleep(CMD_MS).then(() => null)]);
    expect(exit, "Bochs still running after poweroff").not.toBeNull();
  } finally {
    await e?.kill();
    iso.cleanup();
  }
}, 30 * 60_000);
