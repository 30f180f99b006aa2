// Save and restore in Bochs, across a host power-off: Domain 0 formats its
// store disk (a sparse file on Bochs's secondary IDE channel), saves a
// counter (which stops it) and a memory-integrity guest (-c: it runs on),
// restores the integrity guest beside itself, powers the host off; Bochs
// boots again from the same disk file, and the images are restored there.
// The counter counts on from its saved count, every line in order; each
// integrity pass of a restored guest prints the sum the saved guest printed
// for that pass (every byte of its memory came back).
import { expect, test } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bootShell, run, waitForLog } from "./dom0-console";
import { diskImage } from "../../qemu/emulator";

const counts = (log: string) => [...log.matchAll(/^counter (\d+)$/gm)].map((m) => Number(m[1]));
const passes = (log: string) => [...log.matchAll(/^integrity (\d+) ([0-9a-f]{8})$/gm)].map((m) => [Number(m[1]), m[2]] as const);

function consecutive(what: string, c: number[]): void {
  for (let i = 1; i < c.length; i++) expect(c[i], `${what} after ${c[i - 1]}`).toBe(c[i - 1] + 1);
}

// Each pass number's sum, and that every pass in `later` agrees with it.
function agree(what: string, sums: Map<number, string>, later: ReadonlyArray<readonly [number, string]>): number {
  let n = 0;
  for (const [p, sum] of later) {
    if (!sums.has(p)) continue;
    expect(sum, `${what} pass ${p}`).toBe(sums.get(p));
    n++;
  }
  return n;
}

test("a counter and an integrity guest saved, the host powered off, restored after Bochs boots again from the disk", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hv-store-"));
  const disk = diskImage(path.join(dir, "store.img"), 64);
  const sums = new Map<number, string>();
  let saved = 0;
  try {
    {
      const { e, done } = await bootShell("tshv-save", ["counter", "memory_integrity"], 1, disk);
      try {
        expect(await run(e, "images")).toContain("no store on this disk (mkstore formats it)");
        expect(await run(e, "mkstore")).toMatch(/holds nothing \(it is blank\)\.\nFormat it as an empty image store\?/);
        expect(await run(e, "y")).toMatch(/^image store made on disk 00:01\.1 secondary master ".*" \([\d.]+ MiB\): [\d.]+ MiB free/m);
        expect(await run(e, "create counter.elf name=c1 memory=2")).toMatch(/created domain \d+ \(c1\)/);
        expect(await run(e, "create memory_integrity.elf name=i1 memory=8")).toMatch(/created domain \d+ \(i1\)/);
        await waitForLog(e, "c1 counting", "c1", (l) => counts(l).length >= 3);
        await waitForLog(e, "i1 pass 2", "i1", (l) => passes(l).length >= 2);

        const s1 = await run(e, "save c1 c1img");
        console.log(`bochs: ${s1.trim()}`);
        expect(s1).toMatch(/saved domain \d+ \(c1\) as c1img: 2 MiB of memory, [\d.]+ [KM]iB written \(\d+ of 512 pages with data\) in [\d.]+ s, \d+ TSC ticks$/m);
        expect(s1).toMatch(/^domain \d+ \(c1\) stopped \(save -c keeps it running\)$/m);
        saved = counts(await run(e, "log c1")).at(-1)!;

        const s2 = await run(e, "save i1 i1img -c");
        console.log(`bochs: ${s2.trim()}`);
        expect(s2).toMatch(/saved domain \d+ \(i1\) as i1img: 8 MiB of memory, [\d.]+ MiB written \(\d+ of 2048 pages with data\)/m);
        const r = await run(e, "restore i1img name=i2");
        console.log(`bochs: ${r.trim()}`);
        expect(r).toMatch(/restored i1img as domain \d+ \(i2\), running: [\d.]+ MiB read in [\d.]+ s, \d+ TSC ticks$/m);
        const at = passes(await run(e, "log i2")).at(-1)![0];
        for (const [p, sum] of passes(await waitForLog(e, "i1 3 passes on", "i1", (l) => passes(l).at(-1)![0] >= at + 3))) sums.set(p, sum);
        const i2 = passes(await waitForLog(e, "i2 3 passes on", "i2", (l) => passes(l).at(-1)![0] >= at + 3));
        expect(agree("i2 beside i1", sums, i2.filter(([p]) => p > at))).toBeGreaterThanOrEqual(3);

        const list = await run(e, "images");
        console.log(`bochs: images\n${list}`);
        expect(list).toMatch(/^c1img +[\d.]+ [KM]iB +c1 +2 MiB +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
        expect(list).toMatch(/^i1img +[\d.]+ MiB +i1 +8 MiB /m);
        // Bad input changes nothing.
        expect(await run(e, "restore nosuch")).toContain("restore: no image named nosuch (images lists them)");
        expect(await run(e, "save dom0 x")).toContain("save: domain 1 (dom0) is a control domain");
        // The host goes off: whatever Bochs has of the disk is in the file.
        e.write("poweroff\r");
        await e.waitFor(/hv: powering off/, 120_000);
      } finally {
        await done();
      }
    }
    {
      const { e, done } = await bootShell("tshv-restore", ["counter", "memory_integrity"], 1, disk);
      try {
        expect(await run(e, "images")).toMatch(/^2 images, [\d.]+ MiB free$/m);
        console.log(`bochs: after the power-off\n${await run(e, "images")}`);
        const r1 = await run(e, "restore c1img");
        console.log(`bochs: ${r1.trim()}`);
        expect(r1).toMatch(/restored c1img as domain \d+ \(c1\), running/m);
        // Its console came back with it: the lines before the save, then on.
        const log = await waitForLog(e, "c1 counting on", "c1", (l) => counts(l).at(-1)! >= saved + 3);
        const c = counts(log);
        expect(c).toContain(saved);
        consecutive("c1", c);
        const r2 = await run(e, "restore i1img -p");
        console.log(`bochs: ${r2.trim()}`);
        expect(r2).toMatch(/restored i1img as domain \d+ \(i1\), paused/m);
        expect(await run(e, "unpause i1")).toContain("unpaused");
        const i1 = passes(await waitForLog(e, "i1 restored, 2 passes on", "i1", (l) => passes(l).length >= 5));
        expect(agree("i1 after the reboot", sums, i1)).toBeGreaterThanOrEqual(2);
        expect(await run(e, "image-rm c1img")).toContain("image c1img removed");
        expect(await run(e, "images")).toMatch(/^1 image, /m);
      } finally {
        await done();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30 * 60_000);
