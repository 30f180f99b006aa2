// The Linux guest of the integration tests: its boot modules (Domain 0,
// Debian's kernel, the test initramfs and linux.cfg) and its shell, reached
// through Domain 0's `console`. Commands stay shorter than a line of the
// guest's 80-column terminal, so its line editor never wraps them.
import * as path from "node:path";
import type { Emulator, IsoModule } from "../../qemu/emulator";
import { ROOT } from "../../qemu/emulator";
import { CMD_MS, DOM0_LINE, idlePrompt, run, until } from "./dom0-console";

export const LINUX_PROMPT = "linux# ";
// From `create` to the shell, on a busy machine at Bochs's default ips.
export const LINUX_BOOT_MS = 10 * 60_000;

const LINUX = path.join(ROOT, "build", "linux");

export function linuxModules(more: IsoModule[] = []): IsoModule[] {
  return [
    { path: path.join(ROOT, "build", "dom0.elf"), cmdline: DOM0_LINE },
    { path: path.join(LINUX, "vmlinuz"), cmdline: "/boot/vmlinuz" },
    { path: path.join(LINUX, "initrd.img"), cmdline: "/boot/initrd.img" },
    { path: path.join(ROOT, "tests", "guests", "linux", "linux.cfg"), cmdline: "/boot/linux.cfg" },
    ...more,
  ];
}

// Waits from `from` for the initramfs's ready marker and then the shell's
// first prompt; the guest's uptime at the marker, in seconds.
export async function waitLinuxShell(e: Emulator, from: number): Promise<number> {
  const m = await until(e, from, /tshv-linux: ready ([\d.]+) s\n/, LINUX_BOOT_MS, "the Linux guest's ready marker");
  await until(e, from + m.index, idlePrompt(LINUX_PROMPT), CMD_MS, "the Linux guest's shell prompt");
  return Number(m[1]);
}

// Runs `cmd` in the guest's shell (the console attached); its answer.
export async function sh(e: Emulator, cmd: string, ms = CMD_MS): Promise<string> {
  if (LINUX_PROMPT.length + cmd.length >= 80) throw new Error(`"${cmd}" would wrap the guest's line`);
  return run(e, cmd, ms, LINUX_PROMPT);
}
