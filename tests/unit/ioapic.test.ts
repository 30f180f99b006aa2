// The I/O APIC driver (src/platform/ioapic.ts) over a MADT built in the
// simulated machine's memory. The simulated "I/O APIC" is plain memory, so
// IOREGSEL and IOWIN hold the last register selected and the last value
// written: enough to check which entry each call programs, and with what.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const RSDP = 0x30000, XSDT = 0x30100, MADT = 0x31000, IOAPIC = 0x38000;
const REGSEL = IOAPIC, WIN = IOAPIC + 0x10;
const MASKED = 1 << 16, LEVEL = 1 << 15, ACTIVE_LOW = 1 << 13;

const sum = (b: Uint8Array) => b.reduce((a, x) => (a + x) & 0xff, 0);
const u32 = (x: number) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
const u16 = (x: number) => [x & 0xff, (x >>> 8) & 0xff];

function sdt(sig: string, body: number[]): Uint8Array {
  const t = new Uint8Array(36 + body.length);
  for (let i = 0; i < 4; i++) t[i] = sig.charCodeAt(i);
  new DataView(t.buffer).setUint32(4, t.length, true);
  t[8] = 1;
  t.set(body, 36);
  t[9] = (256 - sum(t)) & 0xff;
  return t;
}

// One CPU, one I/O APIC at IOAPIC (GSI 0), IRQ 0 on GSI 2, IRQ 4 active-low
// level-triggered (an override a board could have), IRQ 5 on GSI 30 (past
// the host vectors).
function machine(): Machine {
  const m = new Machine();
  const madt = sdt("APIC", [
    ...u32(0xfee00000), ...u32(1),
    0, 8, 0, 0, ...u32(1),
    1, 12, 1, 0, ...u32(IOAPIC), ...u32(0),
    2, 10, 0, 0, ...u32(2), ...u16(0),
    2, 10, 0, 4, ...u32(4), ...u16(0xf),
    2, 10, 0, 5, ...u32(30), ...u16(0),
  ]);
  m.write(MADT, madt);
  m.write(XSDT, sdt("XSDT", [...u32(MADT), 0, 0, 0, 0]));
  const r = new Uint8Array(36);
  r.set([..."RSD PTR "].map((c) => c.charCodeAt(0)), 0);
  r[15] = 2;
  new DataView(r.buffer).setUint32(20, 36, true);
  new DataView(r.buffer).setBigUint64(24, BigInt(XSDT), true);
  r[8] = (256 - sum(r.subarray(0, 20))) & 0xff;
  r[32] = (256 - sum(r)) & 0xff;
  m.write(RSDP, r);
  expect(m.str("acpiInit", BigInt(RSDP), 0)).toBe("");
  // IOAPICVER: version 0x20, highest redirection entry 23.
  m.view.setUint32(WIN, 0x00170020, true);
  return m;
}

describe("I/O APIC", () => {
  it("masks every input at boot", () => {
    const m = machine();
    expect(m.exports.ioapicInit()).toBe(24);
    expect(m.exports.ioapicUnits()).toBe(1);
    // The last register written: entry 23's high dword, 0.
    expect(m.view.getUint32(REGSEL, true)).toBe(0x10 + 2 * 23 + 1);
    expect(m.view.getUint32(WIN, true)).toBe(0);
  });

  it("routes an ISA IRQ to 0x30 + GSI, masked, with the override's polarity and trigger; unmask and mask", () => {
    const m = machine();
    m.exports.ioapicInit();
    expect(m.exports.ioapicRouteIsa(4, 3)).toBe(4);
    expect(m.view.getUint32(REGSEL, true)).toBe(0x10 + 2 * 4);
    expect(m.view.getUint32(WIN, true)).toBe((0x34 | MASKED | LEVEL | ACTIVE_LOW) >>> 0);
    expect(m.exports.ioapicUnmask(4)).toBe(1);
    expect(m.view.getUint32(WIN, true)).toBe(0x34 | LEVEL | ACTIVE_LOW);
    expect(m.exports.ioapicMask(4)).toBe(1);
    expect(m.view.getUint32(WIN, true)).toBe((0x34 | MASKED | LEVEL | ACTIVE_LOW) >>> 0);
    // IRQ 0 arrives on GSI 2 (edge, active high); IRQ 3 has no override.
    expect(m.exports.ioapicRouteIsa(0, 0)).toBe(2);
    expect(m.view.getUint32(REGSEL, true)).toBe(0x10 + 2 * 2);
    expect(m.view.getUint32(WIN, true)).toBe((0x32 | MASKED) >>> 0);
    expect(m.exports.ioapicRouteIsa(3, 0)).toBe(3);
    expect(m.view.getUint32(WIN, true)).toBe((0x33 | MASKED) >>> 0);
  });

  it("refuses what it cannot route: a GSI past the host vectors or past every I/O APIC, before ioapicInit", () => {
    const m = machine();
    expect(m.exports.ioapicRouteIsa(4, 0)).toBe(-1);   // no I/O APIC programmed yet
    m.exports.ioapicInit();
    expect(m.exports.ioapicRouteIsa(5, 0)).toBe(-1);   // GSI 30
    expect(m.exports.ioapicVector(23)).toBe(0x47);
    expect(m.exports.ioapicVector(24)).toBe(-1);
    expect(m.exports.ioapicUnmask(30)).toBe(0);
    expect(m.exports.ioapicMask(24)).toBe(0);
  });
});
