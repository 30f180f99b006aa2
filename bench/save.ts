// Save and restore to Domain 0's image store, in Bochs from its shell: a
// 64 MiB memory-integrity guest (tests/guests/memory_integrity.asm) with
// 1% of its pages written (fill=100) and one with all of them from 2 MiB up
// (fill=1: 97%), each saved with `save -c` and restored beside itself.
// Each command reports its TSC ticks, from the command to its last line; in
// Bochs a tick is an emulated instruction, so the figures repeat. The bytes
// are the stream's (what the store writes, its metadata aside). Printed
// beside Firecracker's published full snapshot of a 256 MiB guest (about
// 180 ms, scaled to 64 MiB) and its restore (about 3 ms), at the Bochs
// Haswell model's nominal 3.4 GHz. It prints, it does not judge: non-zero
// exit only when the run itself failed.
//
//   make -s build/dom0.elf guests && node_modules/.bin/tsx bench/save.ts
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bootBochs, diskImage, makeIso, ROOT, type Emulator } from "../qemu/emulator";
import { DOM0_LINE, FAIL, IDLE_PROMPT, run, sleep, until } from "../tests/integration/dom0-console";

const GUEST = path.join(ROOT, "build", "guests", "memory_integrity.elf");
const MEM_MIB = 64;
const IPS = 100_000_000;
const NOMINAL_HZ = 3.4e9;              // corei7_haswell_4770's nominal clock
// Firecracker's published figures: a full snapshot of a 256 MiB guest in
// about 180 ms (its memory file written whole), a restore in about 3 ms
// (its memory mapped, faulted in later). ms.
const FIRECRACKER = { snapshot256: 180, restore: 3 };

const ms = (ticks: number) => (ticks / NOMINAL_HZ) * 1e3;
const figure = (out: string, re: RegExp): number => {
  const m = re.exec(out);
  if (!m) throw new Error(`no figure in:\n${out}`);
  return Number(m[1]);
};

async function passes(e: Emulator, name: string, n: number): Promise<void> {
  for (let i = 0; i < 900; i++) {
    if ([...(await run(e, `log ${name}`)).matchAll(/^integrity \d+ [0-9a-f]{8}$/gm)].length >= n) return;
    await sleep(500);
  }
  throw new Error(`${name} made no progress`);
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hv-bench-save-"));
  const disk = diskImage(path.join(dir, "store.img"), 512);
  const iso = makeIso({
    title: "tshv-bench-save",
    modules: [
      { path: path.join(ROOT, "build", "dom0.elf"), cmdline: DOM0_LINE },
      { path: GUEST, cmdline: "/boot/guests/memory_integrity.elf" },
    ],
  });
  let e: Emulator | undefined;
  try {
    e = await bootBochs({ iso: iso.path, failOn: FAIL, cpus: 1, ips: IPS, disk });
    await e.waitFor(/dom0: shell ready after \d+ TSC ticks/, 5 * 60_000);
    await until(e, 0, IDLE_PROMPT, 60_000, "the first prompt");
    await run(e, "mkstore");
    await run(e, "y");
    const rows: string[][] = [["guest", "operation", "ticks", "ms at 3.4 GHz", "stream bytes", "pages with data", "Firecracker", "ratio"]];
    for (const [name, fill] of [["one", 100], ["all", 1]] as const) {
      await run(e, `create memory_integrity.elf name=${name} memory=${MEM_MIB} cmdline="fill=${fill} scribble=0"`);
      await passes(e, name, 1);
      const s = await run(e, `save ${name} ${name}img -c`, 20 * 60_000);
      const saveTicks = figure(s, /, (\d+) TSC ticks$/m);
      const written = /MiB of memory, ([\d.]+ [KM]iB) written \((\d+) of (\d+) pages with data\)/.exec(s);
      if (!written) throw new Error(`no save line in:\n${s}`);
      const r = await run(e, `restore ${name}img name=${name}2 -p`, 20 * 60_000);
      const restoreTicks = figure(r, /, (\d+) TSC ticks$/m);
      const share = `${((Number(written[2]) * 100) / Number(written[3])).toFixed(0)}%`;
      const fcSave = (FIRECRACKER.snapshot256 * MEM_MIB) / 256;
      rows.push([`${MEM_MIB} MiB, ${share}`, "save", `${saveTicks}`, ms(saveTicks).toFixed(1), written[1], `${written[2]}/${written[3]}`,
        `${fcSave} ms (full snapshot, scaled)`, (ms(saveTicks) / fcSave).toFixed(2)]);
      rows.push([`${MEM_MIB} MiB, ${share}`, "restore", `${restoreTicks}`, ms(restoreTicks).toFixed(1), written[1], "",
        `${FIRECRACKER.restore} ms (lazy: memory faulted in later)`, (ms(restoreTicks) / FIRECRACKER.restore).toFixed(2)]);
      await run(e, `destroy ${name}`);
      await run(e, `destroy ${name}2`);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
    console.log(`Bochs ips=${IPS}, corei7_haswell_4770, 1 CPU; the store on Bochs's secondary IDE channel (PIO)`);
  } finally {
    await e?.kill();
    iso.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
