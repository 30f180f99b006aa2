// Linux benchmark: Debian's cloud kernel with the test initramfs
// (tests/guests/linux/), booted twice in Bochs on one CPU of the same model:
// bare (GRUB boots the kernel itself, Bochs's own PC) and as a DomU of one
// vCPU (`create linux.cfg` from Domain 0's shell). Prints, side by side, the
// guest's uptime at the initramfs's ready marker (from the kernel's start;
// the TSC counts emulated instructions, so hypervisor time shows in the
// DomU's), a CPU-bound shell loop's time (tshv.loop=), their ratios, the
// wall times, and the DomU's VM exits by reason. It prints, it does not
// judge: the exit status is non-zero only when a run itself failed.
//
//   make bench    (or: make -s build/dom0.elf linux-guest && node_modules/.bin/tsx bench/linux-boot.ts)
//   IPS=4000000 for Bochs's default instructions per emulated second
import * as path from "node:path";
import { bootBochs, makeIso, makeLinuxIso, ROOT, type Emulator, type Iso } from "../qemu/emulator";
import { FAIL, IDLE_PROMPT, run, sleep, until } from "../tests/integration/dom0-console";
import { linuxModules } from "../tests/integration/linux-console";

const LOOP = 50000;
// Instructions per emulated second. Bochs's default (4M) makes a guest
// second 1000 times shorter than a real CPU's, and with it every timer tick
// 1000 times dearer next to the work; 100M keeps boot and the loop short.
const IPS = Number(process.env.IPS ?? 100_000_000);
const CMDLINE = `console=ttyS0,115200 quiet cryptomgr.notests tshv.loop=${LOOP}`;
const TIMEOUT_MS = 15 * 60_000;
const READY = /tshv-linux: ready ([\d.]+) s/;
const LOOPED = /tshv-linux: loop \d+ from ([\d.]+) to ([\d.]+) s/;

interface Figures { ready: number; loop: number; wall: number; exits?: string }

async function bare(): Promise<Figures> {
  let iso: Iso | undefined;
  let e: Emulator | undefined;
  try {
    const dir = path.join(ROOT, "build", "linux");
    iso = makeLinuxIso({ kernel: path.join(dir, "vmlinuz"), initrd: path.join(dir, "initrd.img"), cmdline: CMDLINE });
    e = await bootBochs({ iso: iso.path, failOn: FAIL, cpus: 1, ips: IPS });
    const t0 = e.elapsed();
    const m = await until(e, 0, LOOPED, TIMEOUT_MS, "the bare kernel's loop");
    return { ready: Number(READY.exec(e.output())![1]), loop: Number(m[2]) - Number(m[1]), wall: e.elapsed() - t0 };
  } finally {
    await e?.kill();
    iso?.cleanup();
  }
}

async function domU(): Promise<Figures> {
  let iso: Iso | undefined;
  let e: Emulator | undefined;
  try {
    iso = makeIso({ title: "tshv-bench-linux", modules: linuxModules() });
    e = await bootBochs({ iso: iso.path, failOn: FAIL, cpus: 1, ips: IPS });
    await until(e, 0, IDLE_PROMPT, 4 * 60_000, "the first prompt");
    const t0 = e.elapsed();
    await run(e, `create linux.cfg vcpus=1 cmdline="${CMDLINE}"`);
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const log = await run(e, "log linux");
      const m = LOOPED.exec(log);
      if (m) {
        const wall = e.elapsed() - t0;
        const info = await run(e, "info linux");
        const exits = info.slice(info.indexOf("  VM exits")).trimEnd();
        await run(e, "destroy linux");
        return { ready: Number(READY.exec(log)![1]), loop: Number(m[2]) - Number(m[1]), wall, exits };
      }
      if (Date.now() > deadline) throw new Error(`no loop marker in the DomU's log after ${TIMEOUT_MS} ms:\n${log.slice(-2000)}`);
      await sleep(5000);
    }
  } finally {
    await e?.kill();
    iso?.cleanup();
  }
}

async function main() {
  const [b, d] = await Promise.all([bare(), domU()]);
  const rows = [
    ["", "bare", "DomU", "DomU/bare"],
    ["uptime at ready (s)", b.ready.toFixed(2), d.ready.toFixed(2), (d.ready / b.ready).toFixed(3)],
    [`loop of ${LOOP} steps (s)`, b.loop.toFixed(2), d.loop.toFixed(2), (d.loop / b.loop).toFixed(3)],
    ["wall, boot to loop (s)", b.wall.toFixed(1), d.wall.toFixed(1), (d.wall / b.wall).toFixed(3)],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`Linux 6.1 (Debian cloud kernel), Bochs, 1 CPU, ips=${IPS}; guest seconds on its TSC (emulated instructions)`);
  console.log(rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n"));
  console.log(`DomU ${d.exits}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
