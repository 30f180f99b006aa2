// A domain's ACPI tables (src/devices/acpi-tables.ts): every table found
// from the RSDP and checksummed, the fields Linux reads, the host's own
// parser (src/platform/acpi.ts) reading the CPUs, the I/O APIC and the ISA
// overrides back, and ACPICA's iasl disassembling every table (but the
// RSDP, which iasl 20200925 cannot take alone) and compiling it back to
// the same bytes with no error, warning or remark. Bad arguments write
// nothing.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../sim/machine";

const AT = 0x30000;          // the tables, guest-physical = wasm address here
const BIOS_AREA = 0xe0000;

function sum(b: Uint8Array): number {
  return b.reduce((a, x) => (a + x) & 0xff, 0);
}

interface Tables {
  m: Machine;
  size: number;
  bytes: (at: number, len: number) => Uint8Array;
  u8: (a: number) => number;
  u16: (a: number) => number;
  u32: (a: number) => number;
  u64: (a: number) => number;
  sig: (a: number) => string;
  text: (a: number, len: number) => string;
  // Each table found from the RSDP by signature: its address.
  byName: Map<string, number>;
  rsdp: number;
}

function build(vcpus: number, at = AT, m = new Machine()): Tables {
  const e = m.exports;
  const size = e.acpiTablesWrite(at, BigInt(at), vcpus, 0x10000);
  expect(size).toBe(e.acpiTablesSize(vcpus));
  const v = m.view;
  const u8 = (a: number) => v.getUint8(a);
  const u16 = (a: number) => v.getUint16(a, true);
  const u32 = (a: number) => v.getUint32(a, true);
  const u64 = (a: number) => Number(v.getBigUint64(a, true));
  const text = (a: number, len: number) => Buffer.from(m.bytes.subarray(a, a + len)).toString("latin1");
  const sig = (a: number) => text(a, 4);
  const bytes = (a: number, len: number) => m.bytes.slice(a, a + len);
  const rsdp = at + e.ACPI_RSDP_OFFSET.value;
  const byName = new Map<string, number>();
  const xsdt = u64(rsdp + 24);
  for (let i = 0; i < (u32(xsdt + 4) - 36) / 8; i++) {
    const t = u64(xsdt + 36 + 8 * i);
    byName.set(sig(t), t);
  }
  byName.set("XSDT", xsdt);
  byName.set("RSDT", u32(rsdp + 16));
  const fadt = byName.get("FACP")!;
  byName.set("FACS", u32(fadt + 36));
  byName.set("DSDT", u64(fadt + 140));
  return { m, size, bytes, u8, u16, u32, u64, sig, text, byName, rsdp };
}

const cpus = (m: Machine): number[] =>
  Array.from({ length: m.exports.acpiCpuCount() }, (_, i) => m.exports.acpiCpuApicId(i));

describe("ACPI tables of a domain", () => {
  it("an RSDP of revision 2 with both checksums, pointing at an XSDT and an RSDT that list the FADT and the MADT", () => {
    const t = build(4);
    const { rsdp, u8, u32, u64, text, bytes } = t;
    expect(rsdp % 16).toBe(0);
    expect(text(rsdp, 8)).toBe("RSD PTR ");
    expect(sum(bytes(rsdp, 20))).toBe(0);
    expect(sum(bytes(rsdp, 36))).toBe(0);
    expect(text(rsdp + 9, 6)).toBe("TSHV  ");
    expect(u8(rsdp + 15)).toBe(2);
    expect(u32(rsdp + 20)).toBe(36);
    const xsdt = t.byName.get("XSDT")!, rsdt = t.byName.get("RSDT")!;
    expect([...t.byName.keys()].sort()).toEqual(["APIC", "DSDT", "FACP", "FACS", "RSDT", "XSDT"]);
    expect(u32(xsdt + 4)).toBe(36 + 16);
    expect(u32(rsdt + 4)).toBe(36 + 8);
    // The same tables, in the same order, through both.
    expect([u32(rsdt + 36), u32(rsdt + 40)]).toEqual([u64(xsdt + 36), u64(xsdt + 44)]);
    expect([t.sig(u32(rsdt + 36)), t.sig(u32(rsdt + 40))]).toEqual(["FACP", "APIC"]);
    // Everything lies in [AT, AT + size).
    for (const [name, a] of t.byName) {
      const len = name === "FACS" ? 64 : u32(a + 4);
      expect(a, name).toBeGreaterThanOrEqual(AT);
      expect(a + len, name).toBeLessThanOrEqual(AT + t.size);
    }
  });

  it("every table has its checksum, the OEM and creator fields, and the revisions of ACPI 6.0", () => {
    const t = build(3);
    const revisions: Record<string, number> = { XSDT: 1, RSDT: 1, FACP: 6, APIC: 4, DSDT: 2 };
    for (const [name, rev] of Object.entries(revisions)) {
      const a = t.byName.get(name)!;
      expect(sum(t.bytes(a, t.u32(a + 4))), name).toBe(0);
      expect(t.u8(a + 8), name).toBe(rev);
      expect(t.text(a + 10, 6), name).toBe("TSHV  ");
      expect(t.text(a + 16, 8), name).toBe("TSHVPC  ");   // 5.2.8: as the FADT's
      expect(t.u32(a + 24), name).toBe(1);
      expect(t.text(a + 28, 4), name).toBe("TSHV");
      expect(t.u32(a + 32), name).toBe(1);
    }
    expect(t.u8(t.byName.get("FACP")! + 131)).toBe(0);   // FADT minor version: 6.0
  });

  it("a FADT with the PM blocks at 0x600, 0x604 and 0x608, SCI 9, the reset register, no SMI_CMD, legacy devices", () => {
    const t = build(1);
    const f = t.byName.get("FACP")!;
    const { u8, u16, u32, u64 } = t;
    expect(u32(f + 4)).toBe(276);
    expect(u32(f + 36)).toBe(t.byName.get("FACS"));   // FIRMWARE_CTRL
    expect(u64(f + 132)).toBe(0);                      // X_FIRMWARE_CTRL: zero when FIRMWARE_CTRL is set
    expect(u32(f + 40)).toBe(t.byName.get("DSDT"));
    expect(u16(f + 46)).toBe(9);                       // SCI_INT
    expect([u32(f + 48), u8(f + 52), u8(f + 53)]).toEqual([0, 0, 0]); // SMI_CMD, ACPI_ENABLE, ACPI_DISABLE
    expect([u32(f + 56), u32(f + 60), u32(f + 64), u32(f + 68), u32(f + 72), u32(f + 76), u32(f + 80), u32(f + 84)])
      .toEqual([0x600, 0, 0x604, 0, 0, 0x608, 0, 0]);
    expect([u8(f + 88), u8(f + 89), u8(f + 90), u8(f + 91), u8(f + 92), u8(f + 93)]).toEqual([4, 2, 0, 4, 0, 0]);
    expect(u16(f + 96)).toBeGreaterThan(100);          // no C2
    expect(u16(f + 98)).toBeGreaterThan(1000);         // no C3
    expect([u8(f + 106), u8(f + 107), u8(f + 108)]).toEqual([0, 0, 0x32]); // no RTC day/month alarm; CMOS century byte
    expect(u16(f + 109)).toBe(0x1);                    // IAPC_BOOT_ARCH: LEGACY_DEVICES, no 8042
    const flags = u32(f + 112);
    const bit = (n: number) => (flags >>> n) & 1;
    expect(bit(0)).toBe(1);                            // WBINVD
    expect(bit(2)).toBe(1);                            // PROC_C1
    expect(bit(4)).toBe(0);                            // PWR_BUTTON: the fixed-feature button
    expect(bit(5)).toBe(1);                            // SLP_BUTTON: none
    expect(bit(8)).toBe(1);                            // TMR_VAL_EXT: a 32-bit PM timer
    expect(bit(10)).toBe(1);                           // RESET_REG_SUP
    expect(bit(20)).toBe(0);                           // not HW_REDUCED_ACPI
    expect(flags).toBe(0x565);
    // RESET_REG: system I/O, 8 bits, byte access, 0xCF9; value 0x06.
    expect([u8(f + 116), u8(f + 117), u8(f + 118), u8(f + 119), u64(f + 120), u8(f + 128)]).toEqual([1, 8, 0, 1, 0xcf9, 6]);
    expect(u64(f + 140)).toBe(t.byName.get("DSDT"));  // X_DSDT
    const gas = (o: number) => [u8(f + o), u8(f + o + 1), u8(f + o + 2), u8(f + o + 3), u64(f + o + 4)];
    expect(gas(148)).toEqual([1, 32, 0, 2, 0x600]);    // X_PM1a_EVT_BLK
    expect(gas(172)).toEqual([1, 16, 0, 2, 0x604]);    // X_PM1a_CNT_BLK
    expect(gas(208)).toEqual([1, 32, 0, 3, 0x608]);    // X_PM_TMR_BLK
    for (const o of [160, 184, 196, 220, 232, 244, 256]) expect(gas(o), `GAS at ${o}`).toEqual([0, 0, 0, 0, 0]);
  });

  it("a 64-byte aligned FACS and a DSDT that is Name (_S5, Package {5, 5, 0, 0}) and nothing else", () => {
    const t = build(2);
    const facs = t.byName.get("FACS")!;
    expect(facs % 64).toBe(0);
    expect(t.sig(facs)).toBe("FACS");
    expect(t.u32(facs + 4)).toBe(64);
    expect(t.u8(facs + 32)).toBe(2);
    expect(t.bytes(facs + 8, 24).every((b) => b === 0)).toBe(true);   // no waking vector, lock, flags
    const d = t.byName.get("DSDT")!;
    expect(t.u32(d + 4)).toBe(50);
    expect([...t.bytes(d + 36, 14)]).toEqual([
      0x08, 0x5f, 0x53, 0x35, 0x5f,   // NameOp "_S5_"
      0x12, 0x08, 0x04,               // PackageOp, PkgLength 8, 4 elements
      0x0a, 0x05, 0x0a, 0x05,         // BytePrefix 5, BytePrefix 5
      0x00, 0x00,                     // Zero, Zero
    ]);
  });

  it("a MADT: local APIC at 0xFEE00000, PCAT_COMPAT, APIC IDs 0..n-1 enabled, the I/O APIC, IRQ0 -> GSI 2, the SCI level high, NMI on LINT1", () => {
    for (const n of [1, 4, 64, 255]) {
      const t = build(n);
      const a = t.byName.get("APIC")!;
      const { u8, u16, u32 } = t;
      expect(u32(a + 4), `${n}`).toBe(44 + 8 * n + 12 + 20 + 6);
      expect(u32(a + 36)).toBe(0xfee00000);
      expect(u32(a + 40)).toBe(1);
      const entries: number[][] = [];
      for (let e = a + 44; e < a + u32(a + 4); e += u8(e + 1)) entries.push([...t.bytes(e, u8(e + 1))]);
      expect(entries.length).toBe(n + 4);
      for (let i = 0; i < n; i++) expect(entries[i]).toEqual([0, 8, i, i, 1, 0, 0, 0]);
      expect(entries[n]).toEqual([1, 12, 0, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0]);
      expect(entries[n + 1]).toEqual([2, 10, 0, 0, 2, 0, 0, 0, 0, 0]);
      expect(entries[n + 2]).toEqual([2, 10, 0, 9, 9, 0, 0, 0, 0x0d, 0]);
      expect(entries[n + 3]).toEqual([4, 6, 0xff, 0, 0, 1]);
      expect(u16(a + 44 + 8 * n + 12 + 20 + 3)).toBe(0);   // the NMI's flags: conforming
    }
  });

  it("the host's own parser reads the CPUs, the I/O APIC and the ISA overrides back", () => {
    const t = build(4);
    const e = t.m.exports;
    expect(t.m.str("acpiInit", BigInt(t.rsdp), 0)).toBe("");
    expect(cpus(t.m)).toEqual([0, 1, 2, 3]);
    expect(e.acpiLapicBase()).toBe(0xfee00000n);
    expect(e.acpiIoapicCount()).toBe(1);
    expect(e.acpiIoapicBase(0)).toBe(0xfec00000n);
    expect(e.acpiIoapicGsiBase(0)).toBe(0);
    expect(e.acpiIsaIrqGsi(0)).toBe(2);
    expect(e.acpiIsaIrqFlags(0)).toBe(0);
    expect(e.acpiIsaIrqGsi(9)).toBe(9);
    expect(e.acpiIsaIrqFlags(9)).toBe(2);   // IRQ_LEVEL, active high
    expect(e.acpiIsaIrqGsi(4)).toBe(4);
    // Through the RSDT alone, as an ACPI 1.0 reader: make the XSDT unusable.
    t.m.bytes[t.byName.get("XSDT")! + 9] ^= 0xff;
    expect(t.m.str("acpiInit", BigInt(t.rsdp), 2)).toBe("");
    expect(cpus(t.m)).toEqual([2, 0, 1, 3]);
  });

  it("the host's parser finds the RSDP in the BIOS area and takes every vCPU it has room for", () => {
    const t = build(100, BIOS_AREA);
    const e = t.m.exports;
    expect(e.acpiFindRsdp()).toBe(BigInt(BIOS_AREA));
    expect(t.m.str("acpiInit", 0n, 0)).toBe("");
    expect(e.acpiCpuCount()).toBe(e.ACPI_CPUS_MAX.value);
    expect(e.acpiCpusDropped()).toBe(100 - e.ACPI_CPUS_MAX.value);
    expect(cpus(t.m).slice(0, 4)).toEqual([0, 1, 2, 3]);
  });

  it("refuses 0 or more than 255 vCPUs, a short buffer, a base that is not 64-byte aligned or not below 4 GiB, writing nothing", () => {
    const m = new Machine();
    const e = m.exports;
    const size = e.acpiTablesSize(8);
    expect(size).toBe(0x250 + 44 + 64 + 38);
    const before = (): void => m.fill(AT - 16, 0x2000, 0xa5);
    const untouched = (): boolean => m.bytes.subarray(AT - 16, AT - 16 + 0x2000).every((b) => b === 0xa5);
    const cases: Array<[string, number, bigint, number, number, number]> = [
      ["0 vCPUs", AT, BigInt(AT), 0, 0x1000, e.ACPI_TABLES_EVCPUS.value],
      ["256 vCPUs", AT, BigInt(AT), 256, 0x1000, e.ACPI_TABLES_EVCPUS.value],
      ["one byte short", AT, BigInt(AT), 8, size - 1, e.ACPI_TABLES_ESPACE.value],
      ["empty buffer", AT, BigInt(AT), 8, 0, e.ACPI_TABLES_ESPACE.value],
      ["base 16-aligned only", AT, 0xe0010n, 8, 0x1000, e.ACPI_TABLES_EALIGN.value],
      ["running past 4 GiB", AT, 0x100000000n - 0x200n, 8, 0x1000, e.ACPI_TABLES_EADDRESS.value],
      ["at 4 GiB", AT, 0x100000000n, 8, 0x1000, e.ACPI_TABLES_EADDRESS.value],
      ["far above", AT, 0xffffffffffffffc0n, 8, 0x1000, e.ACPI_TABLES_EADDRESS.value],
    ];
    for (const [what, dst, gpa, vcpus, len, code] of cases) {
      before();
      expect(e.acpiTablesWrite(dst, gpa, vcpus, len), what).toBe(code);
      expect(untouched(), what).toBe(true);
      expect(m.str("acpiTablesError", code), what).toMatch(/^ACPI tables: /);
    }
    expect(m.str("acpiTablesError", e.ACPI_TABLES_EVCPUS.value)).toBe("ACPI tables: 1 to 255 vCPUs");
    // Exactly enough room: the bytes around are left alone; the last 4 KiB
    // below 4 GiB are fine.
    before();
    expect(e.acpiTablesWrite(AT, BigInt(AT), 8, size)).toBe(size);
    expect(m.bytes.subarray(AT - 16, AT).every((b) => b === 0xa5)).toBe(true);
    expect(m.bytes.subarray(AT + size, AT + 0x2000 - 16).every((b) => b === 0xa5)).toBe(true);
    expect(e.acpiTablesWrite(AT, 0x100000000n - BigInt(size) - 0x10n & ~0x3fn, 8, size)).toBe(size);
    expect(m.str("acpiTablesError", size)).toBe("");
  });
});

// iasl is part of the test tools (the Makefile's TEST_TOOLS, `make deps`):
// without it this fails, it does not skip.
function iasl(args: string[], cwd: string): string {
  const r = spawnSync("iasl", args, { cwd, encoding: "utf8" });
  if (r.error) throw new Error(`iasl: ${r.error.message}: install acpica-tools (make deps)`);
  const out = r.stdout + r.stderr;
  if (r.status !== 0) throw new Error(`iasl ${args.join(" ")} failed (${r.status}):\n${out}`);
  return out;
}

describe("ACPI tables of a domain, through ACPICA's iasl", () => {
  it("disassembles every table without a complaint and compiles it back to the same bytes", () => {
    const t = build(4);
    const dir = mkdtempSync(join(tmpdir(), "acpi-tables-"));
    try {
      expect(iasl(["-v"], dir)).toMatch(/ACPI Component Architecture/);
      for (const [name, a] of t.byName) {
        const file = name.toLowerCase();
        const len = name === "FACS" ? 64 : t.u32(a + 4);
        writeFileSync(join(dir, `${file}.dat`), t.bytes(a, len));
        const out = iasl(["-d", `${file}.dat`], dir);
        const dsl = readFileSync(join(dir, `${file}.dsl`), "utf8");
        // iasl's complaints (a bad checksum, a length, a reserved field, a
        // field it does not know) come as "Warning", "Error" or "Invalid".
        expect(out + dsl, name).not.toMatch(/warning|error|invalid|incorrect|unknown/i);
        expect(dsl, name).toMatch(name === "DSDT" ? /DefinitionBlock \("", "DSDT", 2, "TSHV  ", "TSHVPC  ", 0x00000001\)/
          : new RegExp(`Signature : "${name}"`));
        // Compiled back: the same table but for the compiler's name and
        // version in the header (28..35) and the checksum (9).
        const back = iasl(["-p", `${file}-back`, `${file}.dsl`], dir);
        expect(back, name).toMatch(/Compilation successful\. 0 Errors, 0 Warnings, 0 Remarks/);
        const again = readFileSync(join(dir, `${file}-back.aml`));
        const orig = Buffer.from(t.bytes(a, len));
        expect(again.length, name).toBe(len);
        if (name !== "FACS") { again.fill(0, 28, 36); again[9] = 0; orig.fill(0, 28, 36); orig[9] = 0; }
        expect(again.equals(orig), name).toBe(true);
      }
      const dsdt = readFileSync(join(dir, "dsdt.dsl"), "utf8");
      expect(dsdt.replace(/\s+/g, " ")).toMatch(/\{ Name \(_S5, Package \(0x04\) \/\/ _S5_: S5 System State \{ 0x05, 0x05, Zero, Zero \}\) \}/);
      const facp = readFileSync(join(dir, "facp.dsl"), "utf8");
      expect(facp).toMatch(/PM Timer Block Address : 00000608/);
      expect(facp).toMatch(/RTC Century Index : 32/);
      expect(facp).toMatch(/32-bit PM Timer \(V1\) : 1/);
      expect(facp).toMatch(/Reset Register Supported \(V2\) : 1/);
      expect(facp).toMatch(/Hardware Reduced \(V5\) : 0/);
      const apic = readFileSync(join(dir, "apic.dsl"), "utf8");
      expect(apic.match(/Subtable Type : 00 \[Processor Local APIC\]/g)?.length).toBe(4);
      expect(apic).toMatch(/Subtable Type : 04 \[Local APIC NMI\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
