// A Linux guest saved to Domain 0's image store and restored after the host
// was powered off and Bochs booted again from the same disk (2 CPUs): the
// shell answers where it was, with the file it wrote before the save, its
// uptime going on from the saved one, its clock and both vCPUs ticking.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, expect, test } from "vitest";
import { bootBochs, diskImage, makeIso, ROOT, type Emulator } from "../../qemu/emulator";
import { CMD_MS, FAIL, IDLE_PROMPT, run, sleep, type, until } from "./dom0-console";
import { linuxModules, LINUX_BOOT_MS, sh, waitLinuxShell } from "./linux-console";

beforeAll(() => {
  const r = spawnSync("make", ["-s", "build/dom0.elf", "linux-guest"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make build/dom0.elf linux-guest failed:\n${r.stdout}\n${r.stderr}`);
}, 600_000);

const uptime = (s: string) => Number(/^([\d.]+) /.exec(s)?.[1] ?? NaN);

async function detach(e: Emulator): Promise<void> {
  const mark = e.output().length;
  e.write("\x1d");
  await until(e, mark, IDLE_PROMPT, CMD_MS, "Ctrl-]");
}

test("a Linux guest saved, the host powered off, restored from the disk: its shell answers", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hv-linux-store-"));
  const disk = diskImage(path.join(dir, "store.img"), 512);
  const iso = makeIso({ title: "tshv-linux-save", modules: linuxModules() });
  let e: Emulator | undefined;
  try {
    e = await bootBochs({ iso: iso.path, failOn: FAIL, cpus: 2, disk });
    await until(e, 0, IDLE_PROMPT, 4 * 60_000, "the first prompt");
    await run(e, "mkstore");
    expect(await run(e, "y")).toMatch(/^image store made on disk /m);
    expect(await run(e, "create linux.cfg")).toMatch(/created domain \d+ \(linux\)/);
    await type(e, "console linux");
    e.write("\r");
    await waitLinuxShell(e, e.output().length);
    expect(await sh(e, "echo before-save > /tmp/mark && cat /tmp/mark")).toBe("before-save\n");
    const before = uptime(await sh(e, "cat /proc/uptime"));
    await detach(e);
    const saved = await run(e, "save linux limg", LINUX_BOOT_MS);
    console.log(`bochs: ${saved.replace(/(saving: [^s]*%\)\s+)+/g, "").trim()}`);
    expect(saved).toMatch(/saved domain \d+ \(linux\) as limg: 256 MiB of memory, [\d.]+ MiB written/);
    e.write("poweroff\r");
    await e.waitFor(/hv: powering off/, 120_000);
    await e.kill();

    e = await bootBochs({ iso: iso.path, failOn: FAIL, cpus: 2, disk });
    await until(e, 0, IDLE_PROMPT, 4 * 60_000, "the first prompt after the power-off");
    const restored = await run(e, "restore limg", LINUX_BOOT_MS);
    console.log(`bochs: ${restored.replace(/(restoring: [^r]*%\)\s+)+/g, "").trim()}`);
    expect(restored).toMatch(/restored limg as domain \d+ \(linux\), running/);
    await type(e, "console linux");
    e.write("\r");
    await sleep(3000);
    expect(await sh(e, "cat /tmp/mark")).toBe("before-save\n");
    const after = uptime(await sh(e, "cat /proc/uptime"));
    // Its time went on from where it was saved: no jump over the power-off.
    expect(after).toBeGreaterThan(before);
    expect(after - before).toBeLessThan(120);
    const irq1 = await sh(e, "grep LOC /proc/interrupts");
    await sleep(3000);
    const irq2 = await sh(e, "grep LOC /proc/interrupts");
    const loc = (s: string) => s.trim().split(/\s+/).slice(1, 3).map(Number);
    for (let cpu = 0; cpu < 2; cpu++) expect(loc(irq2)[cpu], `LOC on vCPU ${cpu}`).toBeGreaterThan(loc(irq1)[cpu]);
    expect(await sh(e, "nproc")).toBe("2\n");
    await detach(e);
    expect(await run(e, "images")).toMatch(/^limg +[\d.]+ MiB +linux +256 MiB /m);
  } finally {
    await e?.kill();
    iso.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, LINUX_BOOT_MS * 3);
