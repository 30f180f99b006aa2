// A Linux guest on the real boot path (Bochs, VT-x, 2 CPUs): from `dom0# `,
// `create linux.cfg` builds Debian's cloud kernel with the test initramfs
// (tests/guests/linux/) on 2 vCPUs, and `console linux` is its shell. The
// session checks what a user would: the kernel, both vCPUs, interrupts that
// count, a file in tmpfs, Ctrl-C reaching the guest, a dmesg with nothing of
// the hypervisor's making to worry about, then `reboot` (on_reboot=restart:
// the shell comes back) and `poweroff` (the domain gone, its memory back).
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT, type Emulator } from "../../qemu/emulator";
import { CMD_MS, FAIL, freeKiB, IDLE_PROMPT, listed, run, sleep, type, until } from "./dom0-console";
import { linuxModules, LINUX_BOOT_MS, LINUX_PROMPT, sh, waitLinuxShell } from "./linux-console";

beforeAll(() => {
  const r = spawnSync("make", ["-s", "build/dom0.elf", "linux-guest"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make build/dom0.elf linux-guest failed:\n${r.stdout}\n${r.stderr}`);
}, 600_000);

// The IRQ counts of /proc/interrupts' line `name` (summed over the CPUs) and
// LOC's per CPU.
function irqCount(table: string, re: RegExp): number {
  const line = table.split("\n").find((l) => re.test(l));
  if (!line) throw new Error(`no ${re} in /proc/interrupts:\n${table}`);
  return [...line.replace(/^\s*\w+:/, "").matchAll(/\s(\d+)(?=\s)/g)].reduce((n, m) => n + Number(m[1]), 0);
}
const localTimer = (table: string) => (/^\s*LOC:((?:\s+\d+)+)/m.exec(table)?.[1].trim().split(/\s+/) ?? []).map(Number);

test("a Linux guest: create, console, reboot, poweroff", async () => {
  const iso = makeIso({ title: "tshv-linux", modules: linuxModules() });
  const abi = /linux-image-(\S+)-cloud-amd64/.exec(readFileSync(path.join(ROOT, "build", "linux", "version"), "utf8"))?.[1];
  let e: Emulator | undefined;
  try {
    e = await bootBochs({ iso: iso.path, failOn: FAIL, cpus: 2 });
    await until(e, 0, IDLE_PROMPT, 4 * 60_000, "the first prompt");
    const mem0 = freeKiB(await run(e, "mem"));
    const created = await run(e, "create linux.cfg");
    const id = /created domain (\d+) \(linux\)/.exec(created)?.[1];
    expect(id, created).toBeDefined();
    const t0 = e.elapsed();
    await type(e, "console linux");
    e.write("\r");
    const ready = await waitLinuxShell(e, e.output().length);
    console.log(`bochs: Linux ready at ${ready} s of its uptime, ${(e.elapsed() - t0).toFixed(1)} s wall after create (2 vCPUs, 2 CPUs, default ips)`);

    expect(await sh(e, "uname -r")).toBe(`${abi}-cloud-amd64\n`);
    expect(await sh(e, "nproc")).toBe("2\n");

    // The IO-APIC's timer (pin 2) served the boot; the LAPIC timer ticks
    // on both vCPUs and the 8250 runs on IRQ 4.
    const irq1 = await sh(e, "cat /proc/interrupts");
    await sleep(3000);
    const irq2 = await sh(e, "cat /proc/interrupts");
    console.log(`bochs: /proc/interrupts in the guest:\n${irq2}`);
    expect(irqCount(irq2, /^\s*0:.*IO-APIC\s+2-edge\s+timer/)).toBeGreaterThan(0);
    expect(irqCount(irq2, /^\s*4:.*IO-APIC\s+4-edge\s+ttyS0/)).toBeGreaterThan(irqCount(irq1, /^\s*4:.*ttyS0/));
    const [loc1, loc2] = [localTimer(irq1), localTimer(irq2)];
    expect(loc2.length).toBe(2);
    for (let cpu = 0; cpu < 2; cpu++) expect(loc2[cpu], `LOC on CPU ${cpu}`).toBeGreaterThan(loc1[cpu]);
    expect(await sh(e, "cat /sys/devices/system/clocksource/clocksource0/current_clocksource")).toBe("tsc\n");

    // A file in tmpfs, written and read back.
    expect(await sh(e, "grep ' /tmp ' /proc/mounts")).toMatch(/^tmpfs \/tmp tmpfs /);
    const seq = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join("");
    expect(await sh(e, "seq 20000 > /tmp/seq && md5sum /tmp/seq && wc -c < /tmp/seq"))
      .toBe(`${createHash("md5").update(seq).digest("hex")}  /tmp/seq\n${seq.length}\n`);

    // Ctrl-C reaches the guest: its shell interrupts `sleep`.
    await type(e, "sleep 600");
    e.write("\r");
    await sleep(3000);
    const mark = e.output().length;
    e.write("\x03");
    await until(e, mark, new RegExp(`\\n${LINUX_PROMPT}`), 30_000, "the prompt after Ctrl-C");
    expect(await sh(e, "echo $?")).toBe("130\n");

    // Nothing of the hypervisor's making a user would worry about; Linux's
    // own advice on ACPI host bridge windows is on every ACPI PC.
    const worries = (await sh(e, "dmesg | grep -iE 'unchecked MSR|WARNING|BUG|bad'")).split("\n").filter((l) => l.length > 0);
    expect(worries.filter((l) => !/PCI: Using host bridge windows from ACPI; if necessary, use "pci=nocrs" and report a bug/.test(l)), worries.join("\n")).toEqual([]);
    const platform = await sh(e, "dmesg | grep -E 'TSC dead|TIMER: vec|ttyS0 at|to clocksource|Brought up'");
    console.log(`bochs: the guest's dmesg on its platform:\n${platform}`);
    for (const re of [/TSC deadline timer available/, /\.\.TIMER: vector=0x30 apic1=0 pin1=2/, /serial8250: ttyS0 at I\/O 0x3f8 \(irq = 4, base_baud = 115200\) is a 16550A/,
      /clocksource: Switched to clocksource tsc/, /smp: Brought up 1 node, 2 CPUs/]) {
      expect(platform).toMatch(re);
    }

    // Ctrl-] leaves the guest running.
    let detach = e.output().length;
    e.write("\x1d");
    await until(e, detach, IDLE_PROMPT, CMD_MS, "Ctrl-]");
    expect(listed(await run(e, "list")).find((d) => d[1] === "linux")).toEqual([id, "linux", expect.stringMatching(/running|runnable|blocked/)]);

    // reboot inside: on_reboot=restart builds it again; the shell comes back.
    await type(e, "console linux");
    e.write("\r");
    await sleep(2000);
    await type(e, "reboot");
    detach = e.output().length;
    e.write("\r");
    await until(e, detach, new RegExp(`domain ${id} stopped; back to the shell\\n(?:.*\\n)*dom0# `), CMD_MS, "the console's end at reboot");
    const after = listed(await run(e, "list")).find((d) => d[1] === "linux");
    expect(after?.[0]).not.toBe(id);
    const id2 = after?.[0];
    expect(await run(e, "info linux")).toMatch(/^ +restarts +1 \(/m);
    const dmesg = await run(e, "dmesg");
    expect(dmesg).toMatch(new RegExp(`^hv: domain ${id} \\(linux\\) stopped: .*reset`, "m"));
    const refused = [...new Set([...dmesg.matchAll(/^hv: domain \d+ \(linux\).*(?:MSR|msr).*$/gm)].map((m) => m[0]))];
    console.log(`bochs: the hypervisor on the Linux guest's MSRs:\n${refused.join("\n")}`);
    await type(e, "console linux");
    e.write("\r");
    await waitLinuxShell(e, e.output().length);
    expect(await sh(e, "cat /tmp/seq 2>&1")).toMatch(/No such file/);

    // poweroff inside: the domain is gone and its memory is back.
    await type(e, "poweroff");
    detach = e.output().length;
    e.write("\r");
    await until(e, detach, new RegExp(`domain ${id2} stopped; back to the shell\\n(?:.*\\n)*dom0# `), CMD_MS, "the console's end at poweroff");
    expect(listed(await run(e, "list")).map((d) => d[1])).toEqual(["dom0"]);
    expect(freeKiB(await run(e, "mem"))).toBe(mem0);
    expect(await run(e, "dmesg")).toMatch(new RegExp(`^hv: domain ${id2} \\(linux\\) stopped: .*power`, "m"));
    console.log(`bochs: Linux session done at ${e.elapsed().toFixed(1)} s`);
  } finally {
    await e?.kill();
    iso.cleanup();
  }
}, LINUX_BOOT_MS * 3);
