// A domain's I/O port space: which emulated device answers which ports. The
// I/O-instruction exit handler decodes the exit qualification once and calls
// portRead/portWrite; the returned action says whether the domain goes on.
// Devices are (kind, instance pointer) pairs and one switch dispatches on the
// kind: no closures, nothing allocated after creation.
//
// The block, at the PortBus pointer (offsets in bytes):
//
//   ┌──────────────────────────────┐ 0
//   │ count     u32  ranges in use │
//   │ exitCode  u32                │ 4  value of the last PORT_ACTION_STOP
//   ├──────────────────────────────┤ 8 (PORTBUS_RANGES)
//   │ ranges    PortRange[16]      │   16 bytes each: base u32, len u32,
//   │                              │   kind u32, instance u32
//   └──────────────────────────────┘ 264 (PORTBUS_BLOCK_SIZE)
import { Uart16550 } from "./uart16550";

// Device kinds.
export const DEV_NONE: u32 = 0;
export const DEV_UART: u32 = 1;       // Uart16550, 8 byte-wide registers
export const DEV_DEBUG_EXIT: u32 = 2; // isa-debug-exit: a write stops the domain

// What the exit handler does after a port access.
export const PORT_ACTION_CONTINUE: i32 = 0;
export const PORT_ACTION_STOP: i32 = 1; // stop the domain; code in portBusExitCode()

// QEMU's isa-debug-exit (ports in src/arch/platform.ts) as a device of a
// domain: a write of v stops the domain with exit code v (QEMU itself would
// exit with status (v << 1) | 1). Reads return 0, as in QEMU.

export const PORTBUS_MAX_RANGES: u32 = 16;
export const PORTBUS_RANGES: u32 = 8;
export const PORTBUS_RANGE_SIZE: u32 = 16;
export const PORTBUS_BLOCK_SIZE: u32 = PORTBUS_RANGES + PORTBUS_MAX_RANGES * PORTBUS_RANGE_SIZE;

@unmanaged
class PortRange {
  base: u32;
  len: u32;
  kind: u32;
  instance: usize;
}

@unmanaged
export class PortBus {
  count: u32;
  exitCode: u32;

  static create(): PortBus {
    const p = heap.alloc(<usize>PORTBUS_BLOCK_SIZE);
    memory.fill(p, 0, <usize>PORTBUS_BLOCK_SIZE);
    return changetype<PortBus>(p);
  }
}

@inline function rangeAt(bus: PortBus, i: u32): PortRange {
  return changetype<PortRange>(changetype<usize>(bus) + PORTBUS_RANGES + i * PORTBUS_RANGE_SIZE);
}

// The range holding `port`, or null.
function findRange(bus: PortBus, port: u32): PortRange | null {
  const n = bus.count;
  for (let i: u32 = 0; i < n; i++) {
    const r = rangeAt(bus, i);
    if (port - r.base < r.len) return r; // unsigned: also false below base
  }
  return null;
}

// Claims ports [base, base+len) for a device. 0, or -1 if the range is
// empty, leaves the 64 KiB port space, overlaps a claimed range or the
// table is full. Creation time.
export function portBusRegister(bus: PortBus, base: u32, len: u32, kind: u32, instance: usize): i32 {
  if (len == 0 || base > 0xffff || len > 0x10000 - base) return -1;
  if (bus.count >= PORTBUS_MAX_RANGES) return -1;
  for (let i: u32 = 0; i < bus.count; i++) {
    const r = rangeAt(bus, i);
    if (base < r.base + r.len && r.base < base + len) return -1;
  }
  const r = rangeAt(bus, bus.count);
  r.base = base;
  r.len = len;
  r.kind = kind;
  r.instance = instance;
  bus.count++;
  return 0;
}

export function portBusExitCode(bus: PortBus): u32 {
  return bus.exitCode;
}

@inline function sizeMask(size: u32): u32 {
  return size >= 4 ? 0xffffffff : (<u32>1 << (size << 3)) - 1;
}

// IN of `size` bytes (1, 2 or 4) from `port`. Unclaimed ports float: all ones.
export function portRead(bus: PortBus, port: u32, size: u32): u32 {
  const r = findRange(bus, port);
  if (r !== null && r.kind == DEV_DEBUG_EXIT) return 0;
  if (size == 1) return readByte(r, port);
  // Byte-wide devices see a wider access as consecutive byte cycles, as an
  // ISA bridge splits it; each byte is decoded on its own port.
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const p = (port + i) & 0xffff;
    v |= <u32>readByte(i == 0 ? r : findRange(bus, p), p) << (i << 3);
  }
  return v & sizeMask(size);
}

// OUT of the low `size` bytes of `value` to `port`. Returns a PORT_ACTION_*.
export function portWrite(bus: PortBus, port: u32, size: u32, value: u32): i32 {
  const r = findRange(bus, port);
  if (r !== null && r.kind == DEV_DEBUG_EXIT) {
    bus.exitCode = value & sizeMask(size);
    return PORT_ACTION_STOP;
  }
  if (size == 1) return writeByte(bus, r, port, <u8>value);
  let action = PORT_ACTION_CONTINUE;
  for (let i: u32 = 0; i < size; i++) {
    const p = (port + i) & 0xffff;
    const a = writeByte(bus, i == 0 ? r : findRange(bus, p), p, <u8>(value >> (i << 3)));
    if (a != PORT_ACTION_CONTINUE) action = a;
  }
  return action;
}

// One byte cycle: the dispatch over every device kind.
function readByte(r: PortRange | null, port: u32): u8 {
  if (r === null) return 0xff;
  switch (r.kind) {
    case DEV_UART: return changetype<Uart16550>(r.instance).read(port - r.base);
    case DEV_DEBUG_EXIT: return 0;
    default: return 0xff;
  }
}

function writeByte(bus: PortBus, r: PortRange | null, port: u32, value: u8): i32 {
  if (r === null) return PORT_ACTION_CONTINUE; // nobody decodes it: dropped
  switch (r.kind) {
    case DEV_UART:
      changetype<Uart16550>(r.instance).write(port - r.base, value);
      return PORT_ACTION_CONTINUE;
    case DEV_DEBUG_EXIT:
      bus.exitCode = value;
      return PORT_ACTION_STOP;
    default:
      return PORT_ACTION_CONTINUE;
  }
}

export function portBusCreate(): PortBus { return PortBus.create(); }
