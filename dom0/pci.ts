// PCI configuration space through configuration mechanism #1 (PCI Local Bus
// Specification 3.0, 3.2.2.3.2): a dword address written to 0xCF8
//   31 enable | 23:16 bus | 15:11 device | 10:8 function | 7:2 register
// then the dword read from 0xCFC. Both ports are passed through to Domain 0.
//
// Enumeration starts at bus 0 and follows PCI-to-PCI bridges to their
// secondary buses (so buses that cannot exist are never scanned); a device
// whose header type has bit 7 set has functions 1-7 too.
import { inl, outl } from "./hw";

const CONFIG_ADDRESS: u16 = 0xcf8;
const CONFIG_DATA: u16 = 0xcfc;
const ENABLE: u32 = 0x80000000;

// Configuration header offsets (type 0 and 1 share the first 16 bytes).
export const PCI_VENDOR_ID: u32 = 0x00;      // u16; 0xffff: no function
export const PCI_DEVICE_ID: u32 = 0x02;
export const PCI_REVISION: u32 = 0x08;       // u8
export const PCI_PROG_IF: u32 = 0x09;        // u8
export const PCI_CLASS: u32 = 0x0a;          // u16: base class << 8 | subclass
export const PCI_HEADER_TYPE: u32 = 0x0e;    // u8; bit 7: multi-function
export const PCI_SECONDARY_BUS: u32 = 0x19;  // u8, type 1 (bridge) headers
const HEADER_MULTIFUNCTION: u32 = 0x80;
const HEADER_TYPE_MASK: u32 = 0x7f;
const HEADER_BRIDGE: u32 = 1;
const CLASS_PCI_BRIDGE: u32 = 0x0604;

export function pciRead32(bus: u32, dev: u32, fn: u32, reg: u32): u32 {
  outl(CONFIG_ADDRESS, ENABLE | (bus << 16) | (dev << 11) | (fn << 8) | (reg & 0xfc));
  return inl(CONFIG_DATA);
}

export function pciRead16(bus: u32, dev: u32, fn: u32, reg: u32): u32 {
  return (pciRead32(bus, dev, fn, reg) >> ((reg & 2) * 8)) & 0xffff;
}

export function pciRead8(bus: u32, dev: u32, fn: u32, reg: u32): u32 {
  return (pciRead32(bus, dev, fn, reg) >> ((reg & 3) * 8)) & 0xff;
}

// Functions found by the last pciScan: bus << 8 | device << 3 | function.
export const PCI_FOUND_MAX: u32 = 1024;
const found = memory.data(<i32>(PCI_FOUND_MAX * 4), 4);
let foundCount: u32 = 0;

export function pciFound(i: u32): u32 { return load<u32>(found + <usize>(i * 4)); }

// Buses already scanned (a misprogrammed bridge must not loop).
const seen = memory.data(32);

function scanBus(bus: u32): void {
  const byte = seen + <usize>(bus >> 3);
  const bit = <u8>(<u32>1 << (bus & 7));
  if ((load<u8>(byte) & bit) != 0) return;
  store<u8>(byte, load<u8>(byte) | bit);
  for (let dev: u32 = 0; dev < 32; dev++) {
    if (pciRead16(bus, dev, 0, PCI_VENDOR_ID) == 0xffff) continue;
    const multi = (pciRead8(bus, dev, 0, PCI_HEADER_TYPE) & HEADER_MULTIFUNCTION) != 0;
    const fns: u32 = multi ? 8 : 1;
    for (let fn: u32 = 0; fn < fns; fn++) {
      if (pciRead16(bus, dev, fn, PCI_VENDOR_ID) == 0xffff) continue;
      if (foundCount < PCI_FOUND_MAX) {
        store<u32>(found + <usize>(foundCount * 4), (bus << 8) | (dev << 3) | fn);
        foundCount++;
      }
      const type = pciRead8(bus, dev, fn, PCI_HEADER_TYPE) & HEADER_TYPE_MASK;
      if (type == HEADER_BRIDGE && pciRead16(bus, dev, fn, PCI_CLASS) == CLASS_PCI_BRIDGE) {
        const secondary = pciRead8(bus, dev, fn, PCI_SECONDARY_BUS);
        if (secondary != 0) scanBus(secondary);
      }
    }
  }
}

// Finds every function reachable from bus 0 (pciFound(0 ..)); the count.
export function pciScan(): u32 {
  memory.fill(seen, 0, 32);
  foundCount = 0;
  scanBus(0);
  return foundCount;
}

// A short name of a base class (PCI Code and ID Assignment Specification).
export function pciClassName(classCode: u32): string {
  const base = classCode >> 8;
  switch (base) {
    case 0x00: return "unclassified";
    case 0x01: return "storage";
    case 0x02: return "network";
    case 0x03: return "display";
    case 0x04: return "multimedia";
    case 0x05: return "memory";
    case 0x06: {
      const sub = classCode & 0xff;
      if (sub == 0x00) return "host bridge";
      if (sub == 0x01) return "ISA bridge";
      if (sub == 0x04) return "PCI bridge";
      return "bridge";
    }
    case 0x07: return "communication";
    case 0x08: return "system peripheral";
    case 0x09: return "input";
    case 0x0c: return "serial bus";
  }
  return "other";
}
