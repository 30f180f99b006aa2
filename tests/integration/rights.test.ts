// Rights in Bochs, from Domain 0's shell: a driver domain given PCI
// configuration space's ports (ioports=0xcf8-0xcff, ports Domain 0 holds)
// reads the machine's own bus, where the same guest without them reads its
// virtual PC's; ports Domain 0 does not hold are refused; `rights` sets and
// takes back a domain's named rights and `info` shows them.
import { expect, test } from "vitest";
import { bootShell, run, waitForLog } from "./dom0-console";

const probe = (log: string) => /^pci 00:01\.1 ([0-9a-f]{8})$/m.exec(log)?.[1];

test("a driver domain holds the ports it was given and nothing else; rights are set and taken back", async () => {
  const { e, done } = await bootShell("tshv-rights", ["pci_probe", "counter"], 1);
  try {
    expect(await run(e, "create pci_probe.elf name=plain memory=2")).toMatch(/created domain \d+ \(plain\)/);
    expect(await run(e, "create pci_probe.elf name=drv memory=2 ioports=0xcf8-0xcff")).toMatch(/created domain \d+ \(drv\)/);
    // Bochs's PIIX3 IDE function on the real bus; nothing on the virtual one.
    expect(probe(await waitForLog(e, "drv's probe", "drv", (l) => probe(l) !== undefined))).toBe("70108086");
    expect(probe(await waitForLog(e, "plain's probe", "plain", (l) => probe(l) !== undefined))).toBe("ffffffff");
    // The floppy controller's ports are not Domain 0's to give (the IDE
    // channels' are: its store disk).
    const refused = await run(e, "create pci_probe.elf name=fdc memory=2 ioports=0x3f0-0x3f5");
    expect(refused).toContain("-1 EPERM");
    expect(await run(e, "dmesg")).toContain("may not give ports it does not hold (0x03f0 ...)");
    expect(await run(e, "create pci_probe.elf name=bad memory=2 ioports=0x9000")).toContain("bad port range 0x9000");
    // Named rights: given, shown, taken back; Domain 0's are its own.
    expect(await run(e, "create counter.elf name=mon memory=2 rights=host,sched")).toMatch(/created domain \d+ \(mon\)/);
    expect(await run(e, "info mon")).toMatch(/^ {2}rights +sched,host$/m);
    expect(await run(e, "rights mon host")).toContain("(mon): rights host");
    expect(await run(e, "info mon")).toMatch(/^ {2}rights +host$/m);
    expect(await run(e, "rights mon none")).toContain("(mon): rights none");
    expect(await run(e, "rights dom0 none")).toContain("is Domain 0 itself: its rights are its own");
    expect(await run(e, "info dom0")).toMatch(/^ {2}rights +control: domains,memory,sched,host,power,console \(Domain 0\)$/m);
    console.log(`bochs: rights suite done, ${e.elapsed().toFixed(1)} s`);
  } finally {
    await done();
  }
}, 10 * 60_000);
