// What the boot loader tells us, in one protocol-independent shape.
//
// parseBootInfo() reads a Multiboot2 or Multiboot1 information structure at a
// physical address (a wasm address is a physical address). Input comes from
// outside the hypervisor, so every read is bounded by the structure's own
// declared size, and malformed input yields `error` (naming the problem and
// the offset) instead of a trap or a read past the structure.
import { hex, dec, jsonString, stringFromBytes, strnlen } from "../lib/str";
import { print, println, printHex } from "../log/log";

// Longest string (command line, loader name) we accept, without its NUL.
export const BOOT_STRING_MAX: u32 = 4096;
// Most modules and memory-map entries we accept; real loaders pass a handful.
export const BOOT_MODULES_MAX: u32 = 256;
export const BOOT_MMAP_ENTRIES_MAX: u32 = 1024;

// A memory-map entry; `type` as in e820 / multiboot: 1 available,
// 3 ACPI reclaimable, 4 ACPI NVS, 5 bad memory, anything else reserved.
export class MemoryRange {
  constructor(public base: u64, public length: u64, public type: u32) {}
}

// A module the loader placed in memory: [start, end) and its command line.
export class BootModule {
  constructor(public start: u64, public end: u64, public cmdline: string) {}
}

// A piece of the information the loader left in memory, [start, end): the
// frame allocator must not hand it out while we still point into it.
export class InfoExtent {
  constructor(public start: u64, public end: u64, public what: string) {}
}

export class BootInfo {
  protocol: u32 = 0;            // 1 or 2; 0 when the magic was unknown
  cmdline: string = "";
  loaderName: string = "";
  memory: MemoryRange[] = [];
  modules: BootModule[] = [];
  rsdp: u64 = 0;                // address of the RSDP copy inside the info
  rsdpRevision: u32 = 0;
  infoStart: u64 = 0;           // span of all extents below
  infoEnd: u64 = 0;
  extents: InfoExtent[] = [];
  error: string = "";           // "" when the information was well formed

  // Records the first error only (later ones are usually consequences);
  // returns false so parsers can `return bi.fail(...)`.
  fail(message: string): bool {
    if (this.error.length == 0) this.error = message;
    return false;
  }

  addExtent(start: u64, end: u64, what: string): void {
    if (end <= start) return;
    this.extents.push(new InfoExtent(start, end, what));
    if (this.infoEnd == 0 || start < this.infoStart) this.infoStart = start;
    if (end > this.infoEnd) this.infoEnd = end;
  }

  // One JSON object (u64 values as hex strings), for tests and debugging.
  toJson(): string {
    let s = "{\"protocol\":" + dec(this.protocol);
    s += ",\"cmdline\":" + jsonString(this.cmdline);
    s += ",\"loaderName\":" + jsonString(this.loaderName);
    s += ",\"memory\":[";
    for (let i = 0; i < this.memory.length; i++) {
      const m = this.memory[i];
      if (i > 0) s += ",";
      s += "{\"base\":\"" + hex(m.base) + "\",\"length\":\"" + hex(m.length) + "\",\"type\":" + dec(m.type) + "}";
    }
    s += "],\"modules\":[";
    for (let i = 0; i < this.modules.length; i++) {
      const m = this.modules[i];
      if (i > 0) s += ",";
      s += "{\"start\":\"" + hex(m.start) + "\",\"end\":\"" + hex(m.end) + "\",\"cmdline\":" + jsonString(m.cmdline) + "}";
    }
    s += "],\"extents\":[";
    for (let i = 0; i < this.extents.length; i++) {
      const e = this.extents[i];
      if (i > 0) s += ",";
      s += "{\"start\":\"" + hex(e.start) + "\",\"end\":\"" + hex(e.end) + "\",\"what\":" + jsonString(e.what) + "}";
    }
    s += "],\"rsdp\":\"" + hex(this.rsdp) + "\",\"rsdpRevision\":" + dec(this.rsdpRevision);
    s += ",\"infoStart\":\"" + hex(this.infoStart) + "\",\"infoEnd\":\"" + hex(this.infoEnd) + "\"";
    s += ",\"error\":" + jsonString(this.error) + "}";
    return s;
  }
}

// Reads a NUL-terminated string at `addr`, where at most `room` bytes belong
// to the structure holding it. Returns null (after recording an error about
// `what`) if there is no NUL within min(room, BOOT_STRING_MAX + 1) bytes.
export function readBootString(bi: BootInfo, addr: u64, room: u64, what: string): string | null {
  const limit = room < <u64>(BOOT_STRING_MAX + 1) ? <u32>room : BOOT_STRING_MAX + 1;
  if (addr + <u64>limit > 0x100000000) {
    bi.fail(what + " at " + hex(addr) + " runs past 4 GiB");
    return null;
  }
  const len = strnlen(<usize>addr, limit);
  if (len < 0) {
    bi.fail(limit > BOOT_STRING_MAX
      ? what + " at " + hex(addr) + " is longer than " + dec(BOOT_STRING_MAX) + " bytes or unterminated"
      : what + " at " + hex(addr) + " is unterminated (no NUL within its " + dec(limit) + " bytes)");
    return null;
  }
  return stringFromBytes(<usize>addr, <u32>len);
}

function memoryTypeName(t: u32): string {
  return t == 1 ? "available" : t == 3 ? "ACPI reclaimable" : t == 4 ? "ACPI NVS" : t == 5 ? "bad" : "reserved";
}

// The boot information on the log, one "boot: " line per fact.
export function bootInfoPrint(bi: BootInfo): void {
  if (bi.error.length > 0) {
    println("boot: bad boot information: " + bi.error);
    return;
  }
  println("boot: multiboot" + (bi.protocol == 2 ? "2" : "") + " from \"" + bi.loaderName + "\", cmdline \"" + bi.cmdline + "\"");
  for (let i = 0; i < bi.memory.length; i++) {
    const m = bi.memory[i];
    print("boot: memory ");
    printHex(m.base);
    print("-");
    printHex(m.base + m.length);
    println(" " + memoryTypeName(m.type));
  }
  for (let i = 0; i < bi.modules.length; i++) {
    const m = bi.modules[i];
    print("boot: module ");
    printHex(m.start);
    print("-");
    printHex(m.end);
    println(" \"" + m.cmdline + "\"");
  }
  if (bi.rsdp != 0) {
    print("boot: ACPI RSDP revision " + dec(bi.rsdpRevision) + " at ");
    printHex(bi.rsdp);
    println("");
  }
}
