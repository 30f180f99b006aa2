// A BlockDev in Domain 0's heap, for the image store's unit tests
// (tests/unit/dom0-store.test.ts): the disk's bytes are at ramdiskAddr(),
// where the test reads, saves and corrupts them. Knobs, each counting
// sectors from when it is set (-1 turns it off):
//   ramdiskDropWritesAfter(n)  a power cut: the sectors written after the
//                              n-th are silently lost (the disk keeps what
//                              it held); writes still answer "".
//   ramdiskFailWritesAfter(n)  writes past the n-th sector fail ("media error").
//   ramdiskFailReadsAfter(n)   reads past the n-th sector fail.
// It logs each write (LBA, count) and flush, the last RAM_LOG of them.
import { BlockDev, SECTOR_SIZE } from "./blockdev";
import { dec } from "../src/lib/str";

const RAM_LOG = 4096;
const LOG_FLUSH: u64 = 0xffffffffffffffff;

export class RamDisk extends BlockDev {
  base: usize = 0;
  count: u64 = 0;
  dropAfter: i64 = -1;
  failWritesAfter: i64 = -1;
  failReadsAfter: i64 = -1;
  written: u64 = 0;               // sectors written (lost ones too)
  flushes: u64 = 0;
  log: StaticArray<u64> = new StaticArray<u64>(RAM_LOG);   // lba << 20 | count, or LOG_FLUSH
  logLen: i32 = 0;

  sectors(): u64 { return this.count; }
  model(): string { return "RAM disk"; }

  private range(lba: u64, count: u32): string {
    if (lba > this.count || <u64>count > this.count - lba) {
      return "LBA " + dec(lba) + "+" + dec(count) + " beyond the end (" + dec(this.count) + " sectors)";
    }
    return "";
  }

  private note(v: u64): void {
    if (this.logLen < RAM_LOG) unchecked(this.log[this.logLen++] = v);
  }

  read(lba: u64, count: u32, buf: usize): string {
    const r = this.range(lba, count);
    if (r.length != 0) return r;
    for (let i: u32 = 0; i < count; i++) {
      if (this.failReadsAfter == 0) return "media error at LBA " + dec(lba + i);
      if (this.failReadsAfter > 0) this.failReadsAfter--;
      memory.copy(buf + <usize>i * SECTOR_SIZE, this.base + <usize>(lba + i) * SECTOR_SIZE, SECTOR_SIZE);
    }
    return "";
  }

  write(lba: u64, count: u32, buf: usize): string {
    const r = this.range(lba, count);
    if (r.length != 0) return r;
    this.note((lba << 20) | <u64>count);
    for (let i: u32 = 0; i < count; i++) {
      if (this.failWritesAfter == 0) return "media error at LBA " + dec(lba + i);
      if (this.failWritesAfter > 0) this.failWritesAfter--;
      this.written++;
      if (this.dropAfter == 0) continue;
      if (this.dropAfter > 0) this.dropAfter--;
      memory.copy(this.base + <usize>(lba + i) * SECTOR_SIZE, buf + <usize>i * SECTOR_SIZE, SECTOR_SIZE);
    }
    return "";
  }

  flush(): string {
    this.flushes++;
    this.note(LOG_FLUSH);
    return "";
  }
}

let disk: RamDisk | null = null;

// The test disk (an empty one until ramdiskCreate).
export function ramdisk(): RamDisk {
  let d = disk;
  if (d === null) disk = d = new RamDisk();
  return d;
}

// A new zeroed disk of `sectors` sectors in place of the old one.
export function ramdiskCreate(sectors: u64): void {
  const d = ramdisk();
  if (d.base != 0) heap.free(d.base);
  d.base = sectors == 0 ? 0 : heap.alloc(<usize>(sectors * SECTOR_SIZE));
  memory.fill(d.base, 0, <usize>(sectors * SECTOR_SIZE));
  d.count = sectors;
  d.dropAfter = d.failWritesAfter = d.failReadsAfter = -1;
  d.written = d.flushes = 0;
  d.logLen = 0;
}

export function ramdiskAddr(): usize { return ramdisk().base; }
export function ramdiskDropWritesAfter(n: i64): void { ramdisk().dropAfter = n; }
export function ramdiskFailWritesAfter(n: i64): void { ramdisk().failWritesAfter = n; }
export function ramdiskFailReadsAfter(n: i64): void { ramdisk().failReadsAfter = n; }
export function ramdiskWritten(): u64 { return ramdisk().written; }
export function ramdiskFlushes(): u64 { return ramdisk().flushes; }

// The log since the last call, as "w <lba> <count>" and "f" words, and cleared.
export function ramdiskLogTake(): string {
  const d = ramdisk();
  const parts = new Array<string>();
  for (let i = 0; i < d.logLen; i++) {
    const v = d.log[i];
    parts.push(v == LOG_FLUSH ? "f" : "w " + dec(v >> 20) + " " + dec(v & 0xfffff));
  }
  d.logLen = 0;
  return parts.join(",");
}
