// The image store's shell commands (dom0/cmd-save.ts) on Domain 0's
// compiled wasm, a simulated hypervisor and a simulated IDE disk: mkstore
// (asked first), save with and without -c, images, restore under its name
// or another, image-rm; a damaged image refused with nothing created;
// Ctrl-C during a save; and every bad argument answered with its error.
import { describe, expect, it } from "vitest";
import { Dom0, HC, STATE, stateRecord } from "../sim/dom0";
import { AtaController, SimDisk, SimCdrom } from "../sim/ata";

const PROMPT = "dom0# ";

function world(disk = new SimDisk({ sectors: 32768, model: "BOCHS STORE" })) {
  const d = new Dom0({
    ata: new AtaController({ primaryMaster: new SimCdrom(), secondaryMaster: disk }),
    domains: [{ name: "dom0", memKiB: 16384, control: true }],
  });
  d.exports.domainsFindSelf(d.str("dom0"));
  const g = d.addDomain({ name: "g", memKiB: 1024, config: "domain name=g mem=1M kind=flat64" });
  for (let i = 0; i < 4096; i++) g.ram.set(0x3000 + i, (i % 251) + 1);
  g.record = stateRecord(1024, 1);
  d.start();
  const cmd = (line: string) => d.type(line + "\r").replace(new RegExp(`${PROMPT}$`), "").replace(/^.*?\n/, "");
  return { d, g, disk, cmd };
}

describe("the image store's commands", () => {
  it("mkstore asks and formats only on y; save, images, restore, image-rm", () => {
    const { d, g, cmd } = world();
    expect(cmd("images")).toMatch(/^images: disk .* "BOCHS STORE" \(16 MiB\): no store on this disk \(mkstore formats it\)\n$/);
    expect(cmd("mkstore")).toMatch(/holds nothing \(it is blank\)\.\nFormat it as an empty image store\? .* Answer y or n:\n$/);
    expect(cmd("n")).toBe("mkstore: not formatted\n");
    expect(cmd("images")).toMatch(/no store on this disk/);
    cmd("mkstore");
    expect(cmd("y")).toMatch(/^image store made on disk .*: [\d.]+ MiB free\n$/);
    expect(cmd("images")).toBe("Name                             Size      Domain           Memory  Saved at (UTC)\n0 images, 15.9 MiB free\n");
    // save -c: the domain runs on; the image is listed.
    expect(cmd("save g g1 -c")).toMatch(/^saved domain 2 \(g\) as g1: 1 MiB of memory, \d+ KiB written \(1 of 256 pages with data\) in \d+\.\d s, \d+ TSC ticks\n$/);
    expect([g.state, g.paused]).toEqual([STATE.RUNNABLE, false]);
    const list = cmd("images");
    expect(list).toMatch(/^Name .*\ng1 +\d+ KiB +g +1 MiB +2026-12-01 00:00:00\n1 image, [\d.]+ MiB free\n$/);
    // Restore under its own name is refused while g runs; under another it runs.
    expect(cmd("restore g1")).toMatch(/^restore: image g1: a domain named g runs \(restore \.\.\. name=<new name>\) \(nothing created\)\n$/);
    expect(cmd("restore g1 name=g2")).toMatch(/^restored g1 as domain 3 \(g2\), running: \d+ KiB read in \d+\.\d s, \d+ TSC ticks\n/);
    const g2 = d.byId(3)!;
    expect([g2.state, g2.paused, g2.name]).toEqual([STATE.RUNNABLE, false, "g2"]);
    expect(g2.ram.get(0x3000 + 10)).toBe(11);
    expect(Buffer.from(g2.record!).equals(Buffer.from(g.record!))).toBe(true);
    // save without -c stops it; -p leaves the restored one paused.
    expect(cmd("save g2 g2img")).toMatch(/^saved domain 3 \(g2\) as g2img: .*\ndomain 3 \(g2\) stopped \(save -c keeps it running\)\n/);
    expect(g2.state).toBe(STATE.STOPPED);
    expect(cmd("restore g2img -p")).toMatch(/^restored g2img as domain 4 \(g2\), paused/);
    expect(d.byId(4)!.paused).toBe(true);
    expect(cmd("image-rm g1")).toBe("image g1 removed\n");
    expect(cmd("images")).toMatch(/^Name .*\ng2img .*\n1 image,/);
    // A second save of the same name replaces it.
    expect(cmd("save g g2img -c")).toMatch(/^saved domain 2 \(g\) as g2img/);
    expect(cmd("images")).toMatch(/\ng2img +\d+ KiB +g +1 MiB/);
  });

  it("a damaged image is refused and nothing is created; Ctrl-C cancels a save and nothing is saved", () => {
    const { d, disk, cmd } = world();
    cmd("mkstore");
    cmd("y");
    cmd("save g g1 -c");
    // Damage one byte of the page in the image (the store's data starts at block 14).
    const raw = disk.bytes(14 * 8, 16 * 8);
    const at = raw.indexOf(11, 600);
    raw[at] ^= 0x55;
    disk.setBytes(14 * 8, raw);
    expect(cmd("restore g1 name=r")).toMatch(/^restore: image g1: (record \d+ \(PAGES\) at offset \d+: checksum|image g1 is damaged \(checksum\)) \(nothing created\)\n/);
    expect(d.domains.filter((x) => x.state !== STATE.STOPPED).map((x) => x.name)).toEqual(["dom0", "g"]);
    // Ctrl-C typed while the save reads the domain's memory.
    let reads = 0;
    d.onHypercall = (nr) => { if (nr === HC.DOMAIN_MEM_PAGES && ++reads === 2) d.rx.push(3); };
    expect(cmd("save g g2 -c")).toBe("save: domain 2 (g): cancelled (Ctrl-C) (nothing saved; the domain runs on)\n");
    expect(cmd("images")).not.toMatch(/\ng2 /);
    expect(d.byId(2)!.paused).toBe(false);
  });

  it("bad arguments: each its error, nothing changed", () => {
    const { d, cmd } = world();
    cmd("mkstore");
    cmd("y");
    expect(cmd("save")).toBe("save: usage: save <domain> <image> [-c]\n");
    expect(cmd("save nosuch x")).toMatch(/^save: no domain/);
    expect(cmd("save dom0 x")).toBe("save: domain 1 (dom0) is a control domain\n");
    expect(cmd("save g a/b")).toBe("save: image name a/b: 1 to 31 printable characters, no space or /\n");
    expect(cmd("save g " + "x".repeat(32))).toMatch(/^save: image name x+: 1 to 31/);
    expect(cmd("restore")).toBe("restore: usage: restore <image> [name=<name>] [-p]\n");
    expect(cmd("restore nosuch")).toBe("restore: no image named nosuch (images lists them)\n");
    expect(cmd("image-rm nosuch")).toMatch(/^image-rm: no image named nosuch/);
    expect(cmd("mkstore now")).toBe("mkstore: usage: mkstore (no arguments)\n");
    expect(d.domains.map((x) => x.name)).toEqual(["dom0", "g"]);
  });

  it("no disk: the commands say so", () => {
    const d = new Dom0({ domains: [{ name: "dom0", memKiB: 16384, control: true }] });
    d.exports.domainsFindSelf(d.str("dom0"));
    d.start();
    expect(d.type("images\r")).toContain("images: no disk for the image store (make run attaches build/store.img)");
    expect(d.type("mkstore\r")).toContain("mkstore: no disk for the image store");
  });
});
