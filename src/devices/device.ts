// The device interface. A device is a pure state machine the hypervisor
// drives with guest accesses decoded once (Bao's emul_access, rust-vmm's
// BusDevice): read(access), write(access, value), reset(). All it keeps that
// the guest can observe is one plain-data block (no pointers, no host
// addresses, times in the guest's TSC), which save() writes out behind a
// header and restore() checks and reads back. What it holds of the host (its
// console, its interrupt line) lives in the object, is rebuilt, never saved.
//
// A saved device, at `dst` (little endian):
//
//   ┌──────────┬──────────┬──────────┬──────────┬───────────────────┐
//   │ kind u32 │ version  │ size u32 │ 0 u32    │ block (size bytes) │
//   └──────────┴──────────┴──────────┴──────────┴───────────────────┘
//   0          4          8          12         16 (DEVSTATE_HEADER)
//
// kind is a four-character code naming the model, version the layout of its
// block; restore refuses a kind, version or size it does not have, and a
// block whose fields are out of range (check), and then changes nothing.
import { dec, hex } from "../lib/str";

// Address spaces an access is made in.
export const SPACE_PORT: u32 = 0;
export const SPACE_MMIO: u32 = 1;

// Widths a device decodes, as a mask: an access of n bytes (1, 2, 4, 8) is
// the bit of value n.
export const WIDTH_1: u32 = 1;
export const WIDTH_2: u32 = 2;
export const WIDTH_4: u32 = 4;
export const WIDTH_8: u32 = 8;

// The low `bytes` bytes of a value.
@inline export function widthMask(bytes: u32): u64 {
  return bytes >= 8 ? 0xffffffffffffffff : (<u64>1 << (<u64>bytes << 3)) - 1;
}

// What a write asks of the hypervisor (the domain's policy decides what
// happens: src/lifecycle/). A bus passes the first non-OK result on.
export const DEV_OK: u32 = 0;
export const DEV_STOP: u32 = 1;      // stop the domain with exit code Access.code (isa-debug-exit)
export const DEV_RESET: u32 = 2;     // the guest resets the machine (0xCF9, the 8042, port 0x92)
export const DEV_POWEROFF: u32 = 3;  // the guest powers the machine off (ACPI S5)

export const DEVSTATE_KIND: u32 = 0;
export const DEVSTATE_VERSION: u32 = 4;
export const DEVSTATE_SIZE: u32 = 8;
export const DEVSTATE_HEADER: u32 = 16;

// Four ASCII characters as a kind code ("U550" -> 0x30353555).
export function fourcc(s: string): u32 {
  let v: u32 = 0;
  for (let i = 0; i < 4; i++) v |= <u32>(i < s.length ? s.charCodeAt(i) & 0xff : 0x20) << (i << 3);
  return v;
}

// One guest access, decoded once by the exit handler (I/O instruction or EPT
// violation) before any device sees it. The bus fills `offset` from the
// device's base; a write that asks for a stop leaves its code in `code`.
@final
export class Access {
  space: u32 = SPACE_PORT;
  address: u64 = 0;    // port number or guest-physical address
  offset: u64 = 0;     // from the base of the device's range
  width: u32 = 1;      // bytes: 1, 2, 4 or 8
  code: u64 = 0;
}

export abstract class Device {
  // The model, for saved state and messages.
  abstract kind(): u32;
  abstract name(): string;
  // Its guest-visible state: version of the layout, the block and its size.
  abstract version(): u32;
  abstract block(): usize;
  abstract blockSize(): u32;
  // Widths it decodes (WIDTH_*); the bus splits others into byte cycles if
  // it takes bytes, and floats them otherwise.
  widths(): u32 { return WIDTH_1; }

  abstract read(a: Access): u64;
  abstract write(a: Access, value: u64): u32;
  // The state after a hardware reset.
  abstract reset(): void;

  // "" if the block at `b` (blockSize bytes, not yet this device's) is one
  // the model can be in, else what is wrong with it.
  check(b: usize): string { return ""; }
  // After a restore: what follows from the block (an interrupt line's level).
  restored(): void {}
  // Before a save: a lazily clocked model brings its block up to now, so
  // the same guest state saves as the same bytes.
  saving(): void {}

  saveSize(): u32 { return DEVSTATE_HEADER + this.blockSize(); }

  // Writes saveSize() bytes at `dst`.
  save(dst: usize): void {
    this.saving();
    store<u32>(dst + DEVSTATE_KIND, this.kind());
    store<u32>(dst + DEVSTATE_VERSION, this.version());
    store<u32>(dst + DEVSTATE_SIZE, this.blockSize());
    store<u32>(dst + 12, 0);
    memory.copy(dst + DEVSTATE_HEADER, this.block(), this.blockSize());
  }

  // Takes the `len` bytes at `src` as the device's state: "" or why not
  // (and then nothing changed).
  restore(src: usize, len: u32): string {
    const bad = this.refusal(src, len);
    if (bad.length != 0) return this.name() + " state: " + bad;
    this.restoreChecked(src);
    return "";
  }

  // restore() of a block refusal() has passed (a domain's restore asks
  // every device before it changes any).
  restoreChecked(src: usize): void {
    memory.copy(this.block(), src + DEVSTATE_HEADER, this.blockSize());
    this.restored();
  }

  // Why the `len` bytes at `src` cannot be this device's state, or "".
  refusal(src: usize, len: u32): string {
    const bad = this.framing(src, len);
    return bad.length != 0 ? bad : this.check(src + DEVSTATE_HEADER);
  }

  // refusal() without the block's own checks: its header and size (a block
  // this hypervisor saved itself and kept in its own memory).
  framing(src: usize, len: u32): string {
    if (len < DEVSTATE_HEADER) return "truncated header (" + dec(len) + " bytes)";
    const kind = load<u32>(src + DEVSTATE_KIND);
    if (kind != this.kind()) return "saved by another device (kind " + hex(kind, 8) + ")";
    const version = load<u32>(src + DEVSTATE_VERSION);
    if (version != this.version()) return "version " + dec(version) + ", this hypervisor has version " + dec(this.version());
    const size = load<u32>(src + DEVSTATE_SIZE);
    if (size != this.blockSize() || len != DEVSTATE_HEADER + size) {
      return "size " + dec(size) + " in " + dec(len) + " bytes, expected " + dec(this.blockSize());
    }
    return "";
  }
}
