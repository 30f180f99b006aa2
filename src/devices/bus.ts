// A domain's buses: which device answers which ports (the port bus) and
// which guest-physical ranges (the MMIO bus). The exit handler decodes a
// guest access once into an Access and hands it to the bus of its space;
// the bus passes it to the device whole when the device decodes that width;
// otherwise, if the device takes bytes or no device claims the address, it
// splits it into byte cycles on consecutive addresses, each decoded on its
// own (as an ISA bridge does), and floats it if the device takes neither.
// Nothing decodes an address outside every range: reads are all ones,
// writes are dropped. No allocation after registration.
import { Access, Device, DEV_OK, DEV_STOP, SPACE_PORT, WIDTH_1, widthMask } from "./device";

export const BUS_RANGES_MAX: i32 = 24;

@final
class Range {
  constructor(public base: u64, public len: u64, public dev: Device) {}
}

@final
export class Bus {
  private ranges: StaticArray<Range | null> = new StaticArray<Range | null>(BUS_RANGES_MAX);
  private count: i32 = 0;
  // The code of the last write that asked for a stop (DEV_STOP).
  stopCode: u64 = 0;

  // `space`: SPACE_PORT (addresses below 0x10000) or SPACE_MMIO.
  constructor(public space: u32) {}

  // Claims [base, base + len) for `dev`. False if the range is empty, leaves
  // the space, overlaps a claimed range or the table is full. Creation time.
  register(base: u64, len: u64, dev: Device): bool {
    const limit: u64 = this.space == SPACE_PORT ? 0x10000 : 0x1000000000000; // 48-bit guest-physical
    if (len == 0 || base >= limit || len > limit - base || this.count >= BUS_RANGES_MAX) return false;
    for (let i = 0; i < this.count; i++) {
      const r = unchecked(this.ranges[i])!;
      if (base < r.base + r.len && r.base < base + len) return false;
    }
    unchecked(this.ranges[this.count] = new Range(base, len, dev));
    this.count++;
    return true;
  }

  // `dev`'s range starts at `base` now (a relocatable register block: a
  // LAPIC's IA32_APIC_BASE). False if it has no range here or the moved
  // range would overlap another or leave the space; then nothing moved.
  rebase(dev: Device, base: u64): bool {
    let at: i32 = -1;
    for (let i = 0; i < this.count; i++) if (unchecked(this.ranges[i])!.dev === dev) at = i;
    if (at < 0) return false;
    const r = unchecked(this.ranges[at])!;
    const limit: u64 = this.space == SPACE_PORT ? 0x10000 : 0x1000000000000;
    if (base >= limit || r.len > limit - base) return false;
    for (let i = 0; i < this.count; i++) {
      const o = unchecked(this.ranges[i])!;
      if (i != at && base < o.base + o.len && o.base < base + r.len) return false;
    }
    r.base = base;
    return true;
  }

  // The device claiming `address`, or null.
  deviceAt(address: u64): Device | null {
    const r = this.find(address);
    return r !== null ? r.dev : null;
  }

  // Registered ranges, for walking every device (save, reset).
  get rangeCount(): i32 { return this.count; }
  deviceOf(i: i32): Device { return unchecked(this.ranges[i])!.dev; }

  private find(address: u64): Range | null {
    for (let i = 0; i < this.count; i++) {
      const r = unchecked(this.ranges[i])!;
      if (address - r.base < r.len) return r;   // unsigned: also false below base
    }
    return null;
  }

  // A read of `width` bytes at `address`, through the shared access record.
  read(a: Access, address: u64, width: u32): u64 {
    const r = this.find(address);
    if (r !== null && (r.dev.widths() & width) != 0) return r.dev.read(this.at(a, r, address, width));
    if (width == 1 || (r !== null && (r.dev.widths() & WIDTH_1) == 0)) return widthMask(width);
    let v: u64 = 0;
    for (let i: u32 = 0; i < width; i++) {
      const p = this.wrap(address + i);
      const q = i == 0 ? r : this.find(p);
      const b = q === null || (q.dev.widths() & WIDTH_1) == 0 ? 0xff : q.dev.read(this.at(a, q, p, 1)) & 0xff;
      v |= b << (<u64>i << 3);
    }
    return v;
  }

  // A write of the low `width` bytes of `value` at `address`: DEV_OK, or
  // what the device asks (DEV_STOP with the code in stopCode, DEV_RESET,
  // DEV_POWEROFF).
  write(a: Access, address: u64, width: u32, value: u64): u32 {
    const r = this.find(address);
    let result = DEV_OK;
    if (r !== null && (r.dev.widths() & width) != 0) {
      result = r.dev.write(this.at(a, r, address, width), value & widthMask(width));
    } else if (width > 1 && (r === null || (r.dev.widths() & WIDTH_1) != 0)) {
      for (let i: u32 = 0; i < width; i++) {
        const p = this.wrap(address + i);
        const q = i == 0 ? r : this.find(p);
        if (q === null || (q.dev.widths() & WIDTH_1) == 0) continue;
        const r1 = q.dev.write(this.at(a, q, p, 1), (value >> (<u64>i << 3)) & 0xff);
        if (result == DEV_OK) result = r1;
      }
    }
    if (result == DEV_STOP) this.stopCode = a.code;
    return result;
  }

  // Port addresses wrap at 64 KiB, as the CPU's do.
  @inline private wrap(address: u64): u64 {
    return this.space == SPACE_PORT ? address & 0xffff : address;
  }

  @inline private at(a: Access, r: Range, address: u64, width: u32): Access {
    a.space = this.space;
    a.address = address;
    a.offset = address - r.base;
    a.width = width;
    a.code = 0;
    return a;
  }
}
