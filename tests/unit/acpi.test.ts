// ACPI discovery (src/platform/acpi.ts): RSDP -> XSDT/RSDT -> MADT, built
// here byte by byte as firmware lays them out, then damaged.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const RSDP = 0x30000;
const XSDT = 0x30100;
const RSDT = 0x30200;
const MADT = 0x31000;
const BIOS_AREA = 0xe0000;

function sum(b: Uint8Array): number {
  return b.reduce((a, x) => (a + x) & 0xff, 0);
}

// A system description table: header (36 bytes) + body, checksum fixed.
function sdt(sig: string, body: number[]): Uint8Array {
  const t = new Uint8Array(36 + body.length);
  const v = new DataView(t.buffer);
  for (let i = 0; i < 4; i++) t[i] = sig.charCodeAt(i);
  v.setUint32(4, t.length, true);
  t[8] = 1;
  t.set(body, 36);
  t[9] = (256 - sum(t)) & 0xff;
  return t;
}

const u32 = (x: number) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
const u64 = (x: number) => [...u32(x), 0, 0, 0, 0];
const u16 = (x: number) => [x & 0xff, (x >>> 8) & 0xff];

const lapic = (acpiId: number, apicId: number, flags: number) => [0, 8, acpiId, apicId, ...u32(flags)];
const ioapic = (id: number, addr: number, gsiBase: number) => [1, 12, id, 0, ...u32(addr), ...u32(gsiBase)];
const iso = (irq: number, gsi: number, flags: number) => [2, 10, 0, irq, ...u32(gsi), ...u16(flags)];

// QEMU/Bochs-shaped MADT: four CPUs (APIC id 2 disabled), one I/O APIC,
// IRQ 0 on GSI 2, IRQ 9 level-triggered active-low (SCI).
const MADT_BODY = [
  ...u32(0xfee00000), ...u32(1),
  ...lapic(0, 0, 1), ...lapic(1, 1, 1), ...lapic(2, 2, 0), ...lapic(3, 3, 1),
  ...ioapic(4, 0xfec00000, 0),
  ...iso(0, 2, 0), ...iso(9, 9, 0xf),
];

function rsdp(revision: number, rsdt: number, xsdt: number): Uint8Array {
  const r = new Uint8Array(36);
  const v = new DataView(r.buffer);
  r.set([..."RSD PTR "].map((c) => c.charCodeAt(0)), 0);
  r[15] = revision;
  v.setUint32(16, rsdt, true);
  v.setUint32(20, 36, true);
  v.setBigUint64(24, BigInt(xsdt), true);
  r[8] = (256 - sum(r.subarray(0, 20))) & 0xff;
  r[32] = (256 - sum(r)) & 0xff;
  return r;
}

function machine(madt = sdt("APIC", MADT_BODY)): Machine {
  const m = new Machine();
  m.write(MADT, madt);
  m.write(XSDT, sdt("XSDT", u64(MADT)));
  m.write(RSDT, sdt("RSDT", u32(MADT)));
  return m;
}

const init = (m: Machine, at: number, bootApicId = 0) => m.str("acpiInit", BigInt(at), bootApicId);

function cpus(m: Machine): number[] {
  return Array.from({ length: m.exports.acpiCpuCount() }, (_, i) => m.exports.acpiCpuApicId(i));
}

describe("ACPI MADT", () => {
  it("reads CPUs, the I/O APIC and ISA overrides through the XSDT", () => {
    const m = machine();
    m.write(RSDP, rsdp(2, 0, XSDT));
    expect(init(m, RSDP)).toBe("");
    expect(cpus(m)).toEqual([0, 1, 3]);
    expect(m.exports.acpiLapicBase()).toBe(0xfee00000n);
    expect(m.exports.acpiIoapicCount()).toBe(1);
    expect(m.exports.acpiIoapicBase(0)).toBe(0xfec00000n);
    expect(m.exports.acpiIsaIrqGsi(0)).toBe(2);
    expect(m.exports.acpiIsaIrqGsi(4)).toBe(4);
    expect(m.exports.acpiIsaIrqFlags(4)).toBe(0);
    expect(m.exports.acpiIsaIrqFlags(9)).toBe(3); // active low, level
  });

  it("puts the boot CPU first wherever the MADT lists it", () => {
    const m = machine();
    m.write(RSDP, rsdp(2, 0, XSDT));
    expect(init(m, RSDP, 3)).toBe("");
    expect(cpus(m)).toEqual([3, 0, 1]);
  });

  it("uses the RSDT of an ACPI 1.0 RSDP, found in the BIOS area", () => {
    const m = machine();
    m.write(BIOS_AREA + 0x1230, rsdp(0, RSDT, 0).subarray(0, 20));
    expect(m.exports.acpiFindRsdp()).toBe(BigInt(BIOS_AREA + 0x1230));
    expect(init(m, 0)).toBe("");
    expect(cpus(m)).toEqual([0, 1, 3]);
  });

  it("falls back to one CPU and the default I/O APIC on damaged tables", () => {
    const cases: Array<[string, (m: Machine) => void, RegExp]> = [
      ["no RSDP", () => {}, /no ACPI RSDP/],
      ["bad RSDP checksum", (m) => { const r = rsdp(2, 0, XSDT); r[8] ^= 1; m.write(RSDP, r); }, /bad RSDP/],
      ["bad MADT checksum", (m) => { m.write(RSDP, rsdp(2, 0, XSDT)); m.write(MADT + 9, new Uint8Array([0x55])); }, /no valid MADT/],
      ["root table pointing nowhere", (m) => m.write(RSDP, rsdp(0, 0x50000, 0)), /no valid XSDT or RSDT/],
    ];
    for (const [what, damage, error] of cases) {
      const m = machine();
      damage(m);
      expect(init(m, what === "no RSDP" ? 0 : RSDP), what).toMatch(error);
      expect(cpus(m), what).toEqual([0]);
      expect(m.exports.acpiIoapicBase(0), what).toBe(0xfec00000n);
      expect(m.exports.acpiIsaIrqGsi(0), what).toBe(0);
    }
  });

  it("rejects an entry that overruns the MADT", () => {
    const m = machine(sdt("APIC", [...MADT_BODY.slice(0, 8), ...lapic(0, 0, 1), 0, 0, 0, 0]));
    m.write(RSDP, rsdp(2, 0, XSDT));
    expect(init(m, RSDP)).toMatch(/MADT entry at offset 0x34 overruns the table/);
    expect(cpus(m)).toEqual([0]);
  });
});
