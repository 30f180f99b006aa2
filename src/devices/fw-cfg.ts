// QEMU's fw_cfg at ports 0x510 (selector, 16-bit) and 0x511 (data, 8-bit),
// as test kernels and firmware written for QEMU read it: the signature, the
// feature bits (the port interface only, no DMA), the RAM size, the CPU
// counts, and the file directory with one file, etc/e820, the domain's
// memory map. The items are made once from the domain's configuration; the
// state a guest changes is only which item it reads and where in it.
import { Access, Device, DEV_OK, WIDTH_1, WIDTH_2, widthMask } from "./device";
import {
  FW_CFG_PORT_SEL, FW_CFG_SIGNATURE, FW_CFG_ID, FW_CFG_RAM_SIZE, FW_CFG_NB_CPUS, FW_CFG_MAX_CPUS,
  FW_CFG_FILE_DIR, FW_CFG_FILE_FIRST, FW_CFG_ID_TRADITIONAL, FW_CFG_FILE_ENTRY_SIZE,
} from "../arch/fw-cfg";
import { E820_ENTRY_SIZE } from "../arch/e820";
import { pcE820Write, PC_E820_ENTRIES } from "./e820";

export const FW_CFG_KIND: u32 = 0x47464346;   // "FCFG"
// The items, each a run of bytes in `data`: key, offset, length.
const ITEMS: i32 = 7;
const E820_BYTES: u32 = PC_E820_ENTRIES * E820_ENTRY_SIZE;

@unmanaged
class FwCfgState {
  selector: u32;
  offset: u32;
}

@final
export class FwCfg extends Device {
  private s: FwCfgState = changetype<FwCfgState>(heap.alloc(offsetof<FwCfgState>()));
  private keys: StaticArray<u16> = new StaticArray<u16>(ITEMS);
  private starts: StaticArray<u32> = new StaticArray<u32>(ITEMS);
  private lengths: StaticArray<u32> = new StaticArray<u32>(ITEMS);
  private data: usize;
  private used: u32 = 0;

  // For a domain with `memBytes` of RAM at [0, memBytes) and `cpus` vCPUs;
  // `lowReserved`: the start of the firmware area it keeps below 1 MiB (the
  // ACPI tables, the BIOS area), reported reserved in etc/e820.
  constructor(memBytes: u64, cpus: u32, lowReserved: u64) {
    super();
    this.data = heap.alloc(64 + E820_BYTES + FW_CFG_FILE_ENTRY_SIZE);
    this.s.selector = 0;
    this.s.offset = 0;
    let p = this.begin(FW_CFG_SIGNATURE);
    store<u32>(p, 0x554d4551);                      // "QEMU"
    this.end(4);
    p = this.begin(FW_CFG_ID);
    store<u32>(p, FW_CFG_ID_TRADITIONAL);
    this.end(4);
    p = this.begin(FW_CFG_RAM_SIZE);
    store<u64>(p, memBytes);
    this.end(8);
    p = this.begin(FW_CFG_NB_CPUS);
    store<u16>(p, <u16>cpus);
    this.end(2);
    p = this.begin(FW_CFG_MAX_CPUS);
    store<u16>(p, <u16>cpus);
    this.end(2);
    // etc/e820: low RAM, the firmware area up to 1 MiB, RAM above.
    p = this.begin(FW_CFG_FILE_FIRST);
    pcE820Write(p, memBytes, lowReserved);
    this.end(E820_BYTES);
    // The directory: a big-endian count, then the entries.
    p = this.begin(FW_CFG_FILE_DIR);
    store<u32>(p, bswap<u32>(1));
    const entry = p + 4;
    memory.fill(entry, 0, FW_CFG_FILE_ENTRY_SIZE);
    store<u32>(entry, bswap<u32>(E820_BYTES));
    store<u16>(entry + 4, bswap<u16>(FW_CFG_FILE_FIRST));
    const name = "etc/e820";
    for (let i = 0; i < name.length; i++) store<u8>(entry + 8 + <usize>i, <u8>name.charCodeAt(i));
    this.end(4 + FW_CFG_FILE_ENTRY_SIZE);
  }

  private count: i32 = 0;
  private begin(key: u16): usize {
    unchecked(this.keys[this.count] = key);
    unchecked(this.starts[this.count] = this.used);
    return this.data + this.used;
  }
  private end(len: u32): void {
    unchecked(this.lengths[this.count] = len);
    this.used += len;
    this.count++;
  }

  kind(): u32 { return FW_CFG_KIND; }
  name(): string { return "fw_cfg"; }
  version(): u32 { return 1; }
  block(): usize { return changetype<usize>(this.s); }
  blockSize(): u32 { return offsetof<FwCfgState>(); }
  widths(): u32 { return WIDTH_1 | WIDTH_2; }

  // The selected item's index, or -1 (an unknown key reads zeros: QEMU's rule).
  private item(): i32 {
    for (let i = 0; i < this.count; i++) if (<u32>unchecked(this.keys[i]) == this.s.selector) return i;
    return -1;
  }

  read(a: Access): u64 {
    if (<u32>a.address == <u32>FW_CFG_PORT_SEL) return widthMask(a.width);   // the selector is write-only
    // The data port: one byte at a time (a wider read takes more bytes, little endian).
    let v: u64 = 0;
    const i = this.item();
    for (let k: u32 = 0; k < a.width; k++) {
      let b: u64 = 0;
      if (i >= 0 && this.s.offset < unchecked(this.lengths[i])) {
        b = <u64>load<u8>(this.data + unchecked(this.starts[i]) + this.s.offset);
      }
      if (this.s.offset < 0xffffffff) this.s.offset++;
      v |= b << (<u64>k << 3);
    }
    return v;
  }

  write(a: Access, value: u64): u32 {
    if (<u32>a.address == <u32>FW_CFG_PORT_SEL) {
      this.s.selector = <u32>value & 0xffff;
      this.s.offset = 0;
    }
    return DEV_OK;   // data writes are not supported (QEMU ignores them too)
  }

  reset(): void {
    this.s.selector = 0;
    this.s.offset = 0;
  }

  check(b: usize): string {
    return load<u32>(b) > 0xffff ? "selector out of range" : "";
  }
}
