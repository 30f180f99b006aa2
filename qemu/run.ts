// `make run`: boots the hypervisor with its serial console on this terminal.
//
//   tsx qemu/run.ts [--qemu] [--bochs] [--cpus N] [--memory MiB] [--iso path] [--disk path | --no-disk]
//
// Domain 0's image store (save, restore, images) is a disk: build/store.img
// unless --disk names another, created sparse (STORE_MIB) on first use and
// kept across runs, so a domain saved in one run restores in the next.
//
// Default: QEMU with KVM when the host offers nested VT-x, else Bochs (which
// emulates VT-x). --qemu forces QEMU TCG (no VT-x: the hypervisor explains
// why and powers off). Quit with Ctrl-A x.

import * as fs from "node:fs";
import * as path from "node:path";
import { bootBochs, bootQemu, diskImage, BUILD, DEFAULT_ISO, hasNestedVmx, type Emulator } from "./emulator";

const STORE_MIB = 1024;

function usage(msg?: string): never {
  if (msg) console.error(`run: ${msg}`);
  console.error("usage: tsx qemu/run.ts [--qemu] [--bochs] [--cpus N] [--memory MiB] [--iso path] [--disk path | --no-disk]");
  process.exit(2);
}

const argv = process.argv.slice(2);
let want: "auto" | "qemu" | "bochs" = "auto";
let cpus = 1;
let memoryMb = 512;
let iso = DEFAULT_ISO;
let disk: string | undefined = path.join(BUILD, "store.img");
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const val = () => argv[++i] ?? usage(`${a} needs a value`);
  if (a === "--qemu") want = "qemu";
  else if (a === "--bochs") want = "bochs";
  else if (a === "--cpus") cpus = Number(val());
  else if (a === "--memory") memoryMb = Number(val());
  else if (a === "--iso") iso = val();
  else if (a === "--disk") disk = val();
  else if (a === "--no-disk") disk = undefined;
  else if (a === "-h" || a === "--help") usage();
  else usage(`unknown argument ${a}`);
}
if (!Number.isInteger(cpus) || cpus < 1) usage("--cpus needs a positive integer");
if (!fs.existsSync(iso)) usage(`${iso} not found (run make first)`);

if (disk) diskImage(disk, STORE_MIB);
const kvm = want !== "bochs" && hasNestedVmx();
const useQemu = want === "qemu" || kvm;
const out = (b: Buffer) => process.stdout.write(b);

let emu: Emulator;
try {
  emu = useQemu
    ? await bootQemu({ boot: "bios", iso, cpus, memoryMb, kvm, disk, onData: out, keepDir: true })
    : await bootBochs({ iso, cpus, memoryMb, disk, hostTime: true, onData: out, keepDir: true });
} catch (e) {
  console.error(`run: ${(e as Error).message}`);
  process.exit(1);
}

const what = useQemu ? (kvm ? "QEMU (KVM, nested VT-x)" : "QEMU (TCG, no VT-x)") : "Bochs (emulated VT-x)";
process.stderr.write(`run: ${what} booting ${iso}; its log: ${emu.logPath}\r\n`);
if (disk) process.stderr.write(`run: image store disk ${disk} (mkstore formats it once)\r\n`);
process.stderr.write("run: serial console on this terminal; quit with Ctrl-A x\r\n");

const stdin = process.stdin;
if (stdin.isTTY) stdin.setRawMode(true);
stdin.resume();

let finishing = false;
async function finish(code: number) {
  if (finishing) return;
  finishing = true;
  if (stdin.isTTY) stdin.setRawMode(false);
  stdin.pause();
  await emu.kill();
  process.exit(code);
}

// Ctrl-A starts a command: x quits, Ctrl-A sends a literal Ctrl-A.
let ctrlA = false;
stdin.on("data", (buf: Buffer) => {
  const pass: number[] = [];
  for (const b of buf) {
    if (ctrlA) {
      ctrlA = false;
      if (b === 0x78 /* x */ || b === 0x58) {
        process.stderr.write("\r\nrun: quit\r\n");
        void finish(0);
        return;
      }
      if (b === 0x01) pass.push(b);
      continue;
    }
    if (b === 0x01) ctrlA = true;
    else pass.push(b);
  }
  if (pass.length) {
    try {
      emu.write(Buffer.from(pass));
    } catch {
      /* serial closed: the emulator is exiting */
    }
  }
});
stdin.on("end", () => void finish(0));

emu.exited.then((s) => {
  if (finishing) return;
  process.stderr.write(`\r\nrun: ${emu.kind} exited (code ${s.code}, signal ${s.signal}); log: ${emu.logPath}\r\n`);
  // Keep the log around when the emulator ended by itself.
  void finish(s.code === 0 || s.code === 1 ? 0 : 1);
});
