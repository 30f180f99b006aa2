// Domain 0's image store: named byte streams (saved domains) on a BlockDev,
// with no file system underneath. Copy on write throughout: an update writes
// the image's data into blocks the current state does not use and the whole
// new directory into the other slot's directory area, flushes, then writes
// the new superblock (generation + 1) into the other slot, and flushes.
// Until that last write lands the current state is untouched; a torn
// superblock fails its CRC and the current slot still wins.
//
// The disk, in 4 KiB blocks (8 sectors):
//
//   block 0        superblock slot A  ─┐ the valid one (CRC, fields, and its
//   block 1        superblock slot B  ─┘ directory) with the higher generation
//   blocks 2..7    directory area of slot A (25 entries a block, 128 at most)
//   blocks 8..13   directory area of slot B
//   blocks 14..    image data, each image in 0..8 extents of whole blocks
//
//   superblock (little-endian)                directory block
//   ┌──────┬────────────────────────────┐     ┌──────┬──────────────────────┐
//   │    0 │ u64 magic "hvstore1"       │     │    0 │ 25 entries × 160     │
//   │    8 │ u32 version (1)            │     │ 4000 │ u32 magic "vdir"     │
//   │   12 │ u32 block size (4096)      │     │ 4004 │ u32 index in area    │
//   │   16 │ u64 generation             │     │ 4008 │ u64 generation       │
//   │   24 │ u32 slot (0 A, 1 B)        │     │ 4092 │ u32 CRC-32 of 0..4091│
//   │   28 │ u32 store size, blocks     │     └──────┴──────────────────────┘
//   │   32 │ u32 directory start block  │     entry
//   │   36 │ u32 directory blocks       │     ┌──────┬──────────────────────┐
//   │   40 │ u32 image count            │     │    0 │ name[32], NUL-padded │
//   │   44 │ u32 CRC-32 of those blocks │     │   32 │ domain name[32]      │
//   │   48 │ u32 max images (128)       │     │   64 │ u64 memory, KiB      │
//   │   52 │ u32 max extents (8)        │     │   72 │ u64 length, bytes    │
//   │ 4092 │ u32 CRC-32 of 0..4091      │     │   80 │ u64 saved at, s      │
//   └──────┴────────────────────────────┘     │   88 │ u32 data CRC-32      │
//   every other byte zero, in both            │   92 │ u32 extent count     │
//                                             │   96 │ 8 × {u32 start,      │
//                                             │      │      u32 blocks}     │
//                                             └──────┴──────────────────────┘
// Entries are in name order; a slot's directory area holds only the blocks
// its count needs (at least one). Mount trusts nothing: each field, each
// extent's range, the total of an image's extents against its length, the
// name order, and no two extents sharing a block; a directory that fails
// any of it makes that superblock unusable and the other slot is tried.
//
// API (errors are "" or a sentence naming the problem; never a trap):
//   storeProbe(dev): u32              STORE_OURS (a valid superblock), _BLANK (first 64 KiB zero),
//                                     _OTHER, _UNREADABLE (storeError says why)
//   storeMount(dev): string           mounts the newest usable state; ends any save or read
//   storeFormat(dev): string          a fresh empty store (both slots, crash-safe), mounted
//   storeMounted(): bool
//   storeImages(): StoreImage[]       the mounted directory, in name order
//   storeFind(name): StoreImage|null
//   storeFreeKiB(): u64               free space, less what an open save or read holds
//   storeNameOk(name): bool           1..31 printable ASCII, no space or slash
//   storeWriteBegin(name, maxBytes)   reserves ceil(maxBytes / 4 KiB) blocks
//   storeWrite(buf, len): string      the next `len` bytes of the image
//   storeWriteCommit(domName, memKiB, savedAt): string   records it, replacing one of that name; ends the save
//   storeWriteAbort(): void           drops the save and its reservation
//   storeReadBegin(name): string
//   storeRead(buf, len): i64          bytes read, 0 at the end, -1 on error (storeError); the CRC is checked at the end
//   storeReadEnd(): void
//   storeRemove(name): string
//   storeError(): string              why the last storeProbe or storeRead failed
// One save and one read at a time, each with its own 64 KiB transfer
// buffer; memory is that, the directory and 28 KiB of metadata buffers,
// whatever the images' sizes. A replace needs room for the new image beside
// the old (the old stays readable until the commit, its blocks free after;
// an unfinished read keeps the blocks of the image it reads).
import { BlockDev } from "./blockdev";
import { crc32, crc32Update } from "../src/lib/crc32";
import { dec, stringFromBytes } from "../src/lib/str";

export const STORE_OURS: u32 = 0;
export const STORE_BLANK: u32 = 1;
export const STORE_OTHER: u32 = 2;
export const STORE_UNREADABLE: u32 = 3;

export const STORE_BLOCK: u32 = 4096;
export const STORE_MAX_IMAGES: i32 = 128;
export const STORE_MAX_EXTENTS: i32 = 8;
export const STORE_NAME_MAX: i32 = 31;
export const STORE_MIN_KIB: u32 = 1024;

const SPB: u32 = 8;                       // sectors a block
const ENTRY_SIZE: u32 = 160;
const PER_BLOCK: u32 = 25;                // entries a directory block
const DIR_AREA: u32 = 6;                  // ceil(128 / 25) blocks
const DIR_A: u32 = 2;
const DATA_START: u32 = DIR_A + 2 * DIR_AREA;
const MIN_BLOCKS: u32 = STORE_MIN_KIB / 4;
const XFER_BLOCKS: u32 = 16;
const XFER: u32 = XFER_BLOCKS * STORE_BLOCK;
const PROBE_BLOCKS: u32 = 16;             // "blank" is this much zeros
const MAX_BLOCKS: u64 = 0xffffffff;       // u32 block numbers: the first 16 TiB

const SB_MAGIC: u64 = 0x3165726f74737668; // "hvstore1"
const DIR_MAGIC: u32 = 0x72696476;        // "vdir"
const VERSION: u32 = 1;
const CRC_AT: usize = 4092;               // each metadata block ends in the CRC of the rest

const SB_VERSION: usize = 8, SB_BSIZE: usize = 12, SB_GEN: usize = 16, SB_SLOT: usize = 24, SB_TOTAL: usize = 28;
const SB_DIR_START: usize = 32, SB_DIR_BLOCKS: usize = 36, SB_COUNT: usize = 40, SB_DIR_CRC: usize = 44;
const SB_MAX_IMAGES: usize = 48, SB_MAX_EXTENTS: usize = 52;
const DB_MAGIC: usize = 4000, DB_INDEX: usize = 4004, DB_GEN: usize = 4008;
const E_NAME: usize = 0, E_DOM: usize = 32, E_MEM: usize = 64, E_BYTES: usize = 72, E_SAVED: usize = 80;
const E_CRC: usize = 88, E_EXTENTS: usize = 92, E_EXT: usize = 96;

const NOT_MOUNTED = "no store mounted";

export class StoreImage {
  name: string = "";
  domName: string = "";
  memKiB: u64 = 0;
  bytes: u64 = 0;
  savedAt: u64 = 0;               // seconds since 1970
  crc: u32 = 0;                   // of the `bytes` bytes
  extents: i32 = 0;
  start: StaticArray<u32> = new StaticArray<u32>(STORE_MAX_EXTENTS);   // first block
  blocks: StaticArray<u32> = new StaticArray<u32>(STORE_MAX_EXTENTS);  // length in blocks
}

// ── State ───────────────────────────────────────────────────────────────
let dev: BlockDev | null = null;
let mounted = false;
let dir: StoreImage[] = [];
let activeSlot: u32 = 0;
let generation: u64 = 0;          // the highest on the disk: the next is above it
let totalBlocks: u32 = 0;
let lastError = "";

// Buffers, allocated once: a block (superblock, probe), a directory area,
// and a transfer buffer each for the save and the read.
let metaBuf: usize = 0, dirBuf: usize = 0, wBuf: usize = 0, rBuf: usize = 0;

function buffersReady(): void {
  if (metaBuf != 0) return;
  metaBuf = heap.alloc(STORE_BLOCK);
  dirBuf = heap.alloc(DIR_AREA * STORE_BLOCK);
  wBuf = heap.alloc(XFER);
  rBuf = heap.alloc(XFER);
}

// Every extent of the directory (and of the open save and read): key =
// start << 32 | owner << 3 | extent, the owner an index in the directory
// or SAVE_OWNER / READ_OWNER. Sorted by start.
const SAVE_OWNER: i32 = STORE_MAX_IMAGES, READ_OWNER: i32 = STORE_MAX_IMAGES + 1;
const extKeys = new StaticArray<u64>((STORE_MAX_IMAGES + 2) * STORE_MAX_EXTENTS);
// The gaps between them: start << 32 | length.
const gapKeys = new StaticArray<u64>((STORE_MAX_IMAGES + 2) * STORE_MAX_EXTENTS + 1);

// ── Names ───────────────────────────────────────────────────────────────
// An image name: 1..31 printable ASCII characters, no space, no slash.
export function storeNameOk(name: string): bool {
  const n = name.length;
  if (n < 1 || n > STORE_NAME_MAX) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c == 0x2f) return false;
  }
  return true;
}

function domNameOk(name: string): bool {
  if (name.length > STORE_NAME_MAX) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

function badName(name: string): string {
  return "bad image name \"" + name + "\" (1 to 31 printable characters, no spaces or slashes)";
}

function putName(p: usize, s: string): void {
  for (let i = 0; i < s.length; i++) store<u8>(p + <usize>i, <u8>s.charCodeAt(i));
}

// The NUL-padded name in the 32 bytes at `p`, or null if it is not one
// (no NUL, a character out of range, bytes after the NUL).
function takeName(p: usize, image: bool): string | null {
  let n: i32 = -1;
  for (let i = 0; i < 32; i++) {
    const c = load<u8>(p + <usize>i);
    if (n < 0) {
      if (c == 0) n = i;
      else if (c < 0x20 || c >= 0x7f || (image && (c == 0x20 || c == 0x2f))) return null;
    } else if (c != 0) return null;
  }
  if (n < 0 || (image && n == 0)) return null;
  return stringFromBytes(p, <u32>n);
}

// ── Blocks and extents ──────────────────────────────────────────────────
@inline function blocksOf(d: BlockDev): u32 {
  const b = d.sectors() / SPB;
  return <u32>(b > MAX_BLOCKS ? MAX_BLOCKS : b);
}
@inline function dirStart(slot: u32): u32 { return DIR_A + slot * DIR_AREA; }
@inline function dirBlocksFor(count: i32): u32 { return count == 0 ? 1 : (<u32>count + PER_BLOCK - 1) / PER_BLOCK; }
@inline function blocksForBytes(bytes: u64): u64 { return bytes / STORE_BLOCK + (bytes % STORE_BLOCK != 0 ? 1 : 0); }
@inline function slotName(slot: u32): string { return slot == 0 ? "A" : "B"; }

function sortKeys(keys: StaticArray<u64>, n: i32): void {
  for (let i = 1; i < n; i++) {   // insertion sort: n <= 1032, not on a per-block path
    const k = unchecked(keys[i]);
    let j = i - 1;
    while (j >= 0 && unchecked(keys[j]) > k) {
      unchecked(keys[j + 1] = keys[j]);
      j--;
    }
    unchecked(keys[j + 1] = k);
  }
}

// The extents of `list` into extKeys, sorted; their count. With `sessions`
// also those of the open save and of an unfinished read (whose image a
// commit or remove may have dropped: its blocks stay in use until the read
// ends, so the read never sees them reused).
function gatherExtents(list: StoreImage[], sessions: bool): i32 {
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const img = list[i];
    for (let k = 0; k < img.extents; k++) {
      unchecked(extKeys[n++] = (<u64>img.start[k] << 32) | (<u64>i << 3) | <u64>k);
    }
  }
  if (sessions && wOpen) {
    for (let k = 0; k < wExtents; k++) unchecked(extKeys[n++] = (<u64>wStart[k] << 32) | (<u64>SAVE_OWNER << 3) | <u64>k);
  }
  const r = rImg;
  if (sessions && r !== null && rFail.length == 0 && !rChecked) {
    for (let k = 0; k < r.extents; k++) unchecked(extKeys[n++] = (<u64>r.start[k] << 32) | (<u64>READ_OWNER << 3) | <u64>k);
  }
  sortKeys(extKeys, n);
  return n;
}

@inline function keyStart(key: u64): u32 { return <u32>(key >> 32); }
@inline function keyOwner(key: u64): i32 { return <i32>((key >> 3) & 0x1fffffff); }
function keyBlocks(list: StoreImage[], key: u64): u32 {
  const owner = keyOwner(key), k = <i32>(key & 7);
  if (owner == SAVE_OWNER) return wBlocks[k];
  if (owner == READ_OWNER) return rImg!.blocks[k];
  return list[owner].blocks[k];
}

// The free gaps of the mounted store into gapKeys (in disk order); their count.
function gatherGaps(): i32 {
  const n = gatherExtents(dir, true);
  let g = 0;
  let at: u64 = DATA_START;
  for (let i = 0; i < n; i++) {
    const key = unchecked(extKeys[i]);
    const s = <u64>keyStart(key), e = s + keyBlocks(dir, key);
    if (s > at) unchecked(gapKeys[g++] = (at << 32) | (s - at));
    if (e > at) at = e;
  }
  if (<u64>totalBlocks > at) unchecked(gapKeys[g++] = (at << 32) | (<u64>totalBlocks - at));
  return g;
}

function freeBlocks(): u64 {
  const g = gatherGaps();
  let free: u64 = 0;
  for (let i = 0; i < g; i++) free += unchecked(gapKeys[i]) & 0xffffffff;
  return free;
}

// ── Superblocks and directories ─────────────────────────────────────────
class Super {
  valid: bool = false;
  why: string = "";               // not valid although its CRC and magic are right
  slot: u32 = 0;
  gen: u64 = 0;
  total: u32 = 0;
  dirBlocks: u32 = 0;
  count: i32 = 0;
  dirCrc: u32 = 0;
}

// Reads slot `slot`'s superblock into `s`: "" (valid or not), or the device's error.
function readSuper(d: BlockDev, slot: u32, devBlocks: u32, s: Super): string {
  s.valid = false;
  s.why = "";
  s.slot = slot;
  if (slot >= devBlocks) return "";
  const e = d.read(<u64>slot * SPB, SPB, metaBuf);
  if (e.length != 0) return "reading the superblock: " + e;
  const p = metaBuf;
  if (crc32(p, CRC_AT) != load<u32>(p + CRC_AT) || load<u64>(p) != SB_MAGIC) return "";
  s.gen = load<u64>(p + SB_GEN);
  s.total = load<u32>(p + SB_TOTAL);
  s.dirBlocks = load<u32>(p + SB_DIR_BLOCKS);
  const count = load<u32>(p + SB_COUNT);
  s.dirCrc = load<u32>(p + SB_DIR_CRC);
  if (load<u32>(p + SB_VERSION) != VERSION || load<u32>(p + SB_BSIZE) != STORE_BLOCK ||
      load<u32>(p + SB_MAX_IMAGES) != <u32>STORE_MAX_IMAGES || load<u32>(p + SB_MAX_EXTENTS) != <u32>STORE_MAX_EXTENTS) {
    s.why = "superblock of another version or layout";
  } else if (load<u32>(p + SB_SLOT) != slot || load<u32>(p + SB_DIR_START) != dirStart(slot)) {
    s.why = "superblock of the other slot";
  } else if (count > <u32>STORE_MAX_IMAGES) {
    s.why = "superblock lists " + dec(count) + " images, at most " + dec(<u64>STORE_MAX_IMAGES);
  } else if (s.dirBlocks != dirBlocksFor(<i32>count)) {
    s.why = "superblock gives " + dec(s.dirBlocks) + " directory blocks for " + dec(count) + " images";
  } else if (s.total < MIN_BLOCKS || s.total > devBlocks) {
    s.why = "superblock gives a store of " + dec(s.total) + " blocks on a disk of " + dec(devBlocks);
  } else if (s.gen == 0) {
    s.why = "superblock of generation 0";
  }
  if (s.why.length != 0) return "";
  s.count = <i32>count;
  s.valid = true;
  return "";
}

let dirIoError = false;
let parsed: StoreImage[] = [];

// Reads and checks the directory of the valid superblock `s` into `parsed`:
// "" or why it is not usable (dirIoError set if the device failed).
function readDir(d: BlockDev, s: Super): string {
  dirIoError = false;
  const n = s.dirBlocks;
  const e = d.read(<u64>dirStart(s.slot) * SPB, n * SPB, dirBuf);
  if (e.length != 0) {
    dirIoError = true;
    return "reading the directory: " + e;
  }
  for (let b: u32 = 0; b < n; b++) {
    const p = dirBuf + <usize>b * STORE_BLOCK;
    if (crc32(p, CRC_AT) != load<u32>(p + CRC_AT)) return "directory block " + dec(b) + " fails its checksum";
    if (load<u32>(p + DB_MAGIC) != DIR_MAGIC || load<u32>(p + DB_INDEX) != b || load<u64>(p + DB_GEN) != s.gen) {
      return "directory block " + dec(b) + " is not this generation's";
    }
  }
  if (crc32(dirBuf, <usize>n * STORE_BLOCK) != s.dirCrc) return "the directory is not the one its superblock wrote";
  return parseDir(s);
}

function entryAt(i: u32): usize {
  return dirBuf + <usize>(i / PER_BLOCK) * STORE_BLOCK + <usize>(i % PER_BLOCK) * ENTRY_SIZE;
}

function allZero(p: usize, len: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) if (load<u64>(p + i) != 0) return false;
  for (; i < len; i++) if (load<u8>(p + i) != 0) return false;
  return true;
}

function parseDir(s: Super): string {
  const list = new Array<StoreImage>();
  for (let i = 0; i < s.count; i++) {
    const p = entryAt(<u32>i);
    const at = "directory entry " + dec(<u64>i);
    const name = takeName(p + E_NAME, true);
    if (name === null) return at + ": bad image name";
    const img = new StoreImage();
    img.name = name;
    const dom = takeName(p + E_DOM, false);
    if (dom === null) return at + " (" + name + "): bad domain name";
    img.domName = dom;
    if (i > 0 && !(list[i - 1].name < name)) return at + " (" + name + "): out of name order or listed twice";
    img.memKiB = load<u64>(p + E_MEM);
    img.bytes = load<u64>(p + E_BYTES);
    img.savedAt = load<u64>(p + E_SAVED);
    img.crc = load<u32>(p + E_CRC);
    const ext = load<u32>(p + E_EXTENTS);
    if (ext > <u32>STORE_MAX_EXTENTS) return at + " (" + name + "): " + dec(ext) + " extents, at most 8";
    if (img.bytes > <u64>s.total * STORE_BLOCK) return at + " (" + name + "): longer than the store";
    img.extents = <i32>ext;
    let sum: u64 = 0;
    for (let k = 0; k < STORE_MAX_EXTENTS; k++) {
      const start = load<u32>(p + E_EXT + <usize>k * 8), len = load<u32>(p + E_EXT + <usize>k * 8 + 4);
      if (k >= img.extents) {
        if (start != 0 || len != 0) return at + " (" + name + "): a stray extent";
        continue;
      }
      if (len == 0) return at + " (" + name + "): extent " + dec(<u64>k) + " is empty";
      if (start < DATA_START || <u64>start + len > <u64>s.total) {
        return at + " (" + name + "): extent " + dec(<u64>k) + " outside the data area";
      }
      img.start[k] = start;
      img.blocks[k] = len;
      sum += len;
    }
    if (sum != blocksForBytes(img.bytes)) {
      return at + " (" + name + "): " + dec(img.bytes) + " bytes in " + dec(sum) + " blocks";
    }
    list.push(img);
  }
  // Unused entries and the rest of the last block are zero.
  for (let i = <u32>s.count; i < s.dirBlocks * PER_BLOCK; i++) {
    if (!allZero(entryAt(i), ENTRY_SIZE)) return "directory entry " + dec(i) + ": a stray entry after the last image";
  }
  for (let b: u32 = 0; b < s.dirBlocks; b++) {
    const p = dirBuf + <usize>b * STORE_BLOCK;
    if (!allZero(p + DB_GEN + 8, CRC_AT - DB_GEN - 8)) {
      return "directory block " + dec(b) + ": stray bytes in its trailer";
    }
  }
  const n = gatherExtents(list, false);
  for (let i = 1; i < n; i++) {
    const a = unchecked(extKeys[i - 1]), b = unchecked(extKeys[i]);
    if (<u64>keyStart(a) + keyBlocks(list, a) > <u64>keyStart(b)) {
      return "images " + list[keyOwner(a)].name + " and " + list[keyOwner(b)].name + " share block " + dec(keyStart(b));
    }
  }
  parsed = list;
  return "";
}

// Writes `list` as generation `gen` into slot `slot`: the directory, a flush,
// the superblock, a flush.
function writeState(d: BlockDev, list: StoreImage[], slot: u32, gen: u64, total: u32): string {
  const n = dirBlocksFor(list.length);
  memory.fill(dirBuf, 0, <usize>n * STORE_BLOCK);
  for (let i = 0; i < list.length; i++) {
    const img = list[i], p = entryAt(<u32>i);
    putName(p + E_NAME, img.name);
    putName(p + E_DOM, img.domName);
    store<u64>(p + E_MEM, img.memKiB);
    store<u64>(p + E_BYTES, img.bytes);
    store<u64>(p + E_SAVED, img.savedAt);
    store<u32>(p + E_CRC, img.crc);
    store<u32>(p + E_EXTENTS, <u32>img.extents);
    for (let k = 0; k < img.extents; k++) {
      store<u32>(p + E_EXT + <usize>k * 8, img.start[k]);
      store<u32>(p + E_EXT + <usize>k * 8 + 4, img.blocks[k]);
    }
  }
  for (let b: u32 = 0; b < n; b++) {
    const p = dirBuf + <usize>b * STORE_BLOCK;
    store<u32>(p + DB_MAGIC, DIR_MAGIC);
    store<u32>(p + DB_INDEX, b);
    store<u64>(p + DB_GEN, gen);
    store<u32>(p + CRC_AT, crc32(p, CRC_AT));
  }
  let e = d.write(<u64>dirStart(slot) * SPB, n * SPB, dirBuf);
  if (e.length != 0) return "writing the directory: " + e;
  // Also makes the new image's data durable before anything points at it.
  e = d.flush();
  if (e.length != 0) return "flushing the disk: " + e;
  const p = metaBuf;
  memory.fill(p, 0, STORE_BLOCK);
  store<u64>(p, SB_MAGIC);
  store<u32>(p + SB_VERSION, VERSION);
  store<u32>(p + SB_BSIZE, STORE_BLOCK);
  store<u64>(p + SB_GEN, gen);
  store<u32>(p + SB_SLOT, slot);
  store<u32>(p + SB_TOTAL, total);
  store<u32>(p + SB_DIR_START, dirStart(slot));
  store<u32>(p + SB_DIR_BLOCKS, n);
  store<u32>(p + SB_COUNT, <u32>list.length);
  store<u32>(p + SB_DIR_CRC, crc32(dirBuf, <usize>n * STORE_BLOCK));
  store<u32>(p + SB_MAX_IMAGES, <u32>STORE_MAX_IMAGES);
  store<u32>(p + SB_MAX_EXTENTS, <u32>STORE_MAX_EXTENTS);
  store<u32>(p + CRC_AT, crc32(p, CRC_AT));
  e = d.write(<u64>slot * SPB, SPB, p);
  if (e.length != 0) return "writing the superblock: " + e;
  e = d.flush();
  if (e.length != 0) return "flushing the disk: " + e;
  return "";
}

// 1 if the first blocks are all zero, 0 if not, -1 on a read error (lastError).
function blank(d: BlockDev): i32 {
  const n = min<u32>(blocksOf(d), PROBE_BLOCKS);
  for (let b: u32 = 0; b < n; b++) {
    const e = d.read(<u64>b * SPB, SPB, metaBuf);
    if (e.length != 0) {
      lastError = "reading the disk: " + e;
      return -1;
    }
    if (!allZero(metaBuf, STORE_BLOCK)) return 0;
  }
  return 1;
}

let mountIoError = false;   // the last load failed on the device, not on what it holds
let seenGen: u64 = 0;       // the highest generation of a valid superblock seen by it

// Reads the newest usable state of `d`: "" (mounted) or why not.
function loadState(d: BlockDev): string {
  mounted = false;
  dir = [];
  mountIoError = false;
  seenGen = 0;
  buffersReady();
  const devBlocks = blocksOf(d);
  const a = new Super(), b = new Super();
  let e = readSuper(d, 0, devBlocks, a);
  if (e.length == 0) e = readSuper(d, 1, devBlocks, b);
  if (e.length != 0) {
    mountIoError = true;
    return e;
  }
  if (!a.valid && !b.valid) {
    if (a.why.length != 0 || b.why.length != 0) {
      return "the store is damaged (" + (a.why.length != 0 ? "slot A: " + a.why : "slot B: " + b.why) + ")";
    }
    const z = blank(d);
    mountIoError = z < 0;
    return z < 0 ? lastError : z > 0 ? "no store on this disk (mkstore formats it)" : "the disk holds something else";
  }
  seenGen = a.valid && (!b.valid || a.gen >= b.gen) ? a.gen : b.gen;
  const first = a.valid && (!b.valid || a.gen >= b.gen) ? a : b;
  const second = first === a ? b : a;
  let why = readDir(d, first);
  if (why.length != 0 && dirIoError) {
    // Not the other slot: mounting it would make the next update overwrite this one.
    mountIoError = true;
    return why;
  }
  let chosen = first;
  if (why.length != 0) {
    why = "slot " + slotName(first.slot) + ": " + why;
    if (!second.valid) return "the store is damaged (" + why + ")";
    const why2 = readDir(d, second);
    if (why2.length != 0) {
      mountIoError = dirIoError;
      return dirIoError ? why2 : "the store is damaged (" + why + "; slot " + slotName(second.slot) + ": " + why2 + ")";
    }
    chosen = second;
  }
  dev = d;
  dir = parsed;
  parsed = [];
  activeSlot = chosen.slot;
  generation = seenGen;
  totalBlocks = chosen.total;
  mounted = true;
  return "";
}

// After a failed update: what the disk holds now (the old state or, if the
// failure came after the superblock landed, the new one).
function reload(): void {
  const d = dev;
  if (d !== null) loadState(d);
}

// Writes `list` as the next state: "" and it is the mounted one, or why not.
function switchTo(list: StoreImage[]): string {
  const slot = 1 - activeSlot, gen = generation + 1;
  const e = writeState(dev!, list, slot, gen, totalBlocks);
  if (e.length != 0) {
    reload();
    return e;
  }
  dir = list;
  activeSlot = slot;
  generation = gen;
  return "";
}

function indexOf(name: string): i32 {
  for (let i = 0; i < dir.length; i++) if (dir[i].name == name) return i;
  return -1;
}

// ── Probe, mount, format ────────────────────────────────────────────────
export function storeError(): string { return lastError; }

export function storeProbe(d: BlockDev): u32 {
  lastError = "";
  buffersReady();
  const devBlocks = blocksOf(d);
  const s = new Super();
  for (let slot: u32 = 0; slot < 2; slot++) {
    const e = readSuper(d, slot, devBlocks, s);
    if (e.length != 0) {
      lastError = e;
      return STORE_UNREADABLE;
    }
    if (s.valid) return STORE_OURS;
  }
  const z = blank(d);
  return z < 0 ? STORE_UNREADABLE : z > 0 ? STORE_BLANK : STORE_OTHER;
}

export function storeMount(d: BlockDev): string {
  storeWriteAbort();
  storeReadEnd();
  return loadState(d);
}

export function storeMounted(): bool { return mounted; }

// Writes an empty store into the slot the current state is not in, then
// into the other: a cut during the first leaves the old store, during the
// second the new one.
export function storeFormat(d: BlockDev): string {
  storeWriteAbort();
  storeReadEnd();
  buffersReady();
  const devBlocks = blocksOf(d);
  if (devBlocks < MIN_BLOCKS) {
    mounted = false;
    return "disk too small for a store: " + dec(d.sectors() / 2) + " KiB, at least " + dec(STORE_MIN_KIB) + " KiB";
  }
  const why = loadState(d);
  if (why.length != 0 && mountIoError) return "formatting: " + why;
  const first: u32 = mounted ? 1 - activeSlot : 0;
  const gen = seenGen + 1;
  mounted = false;
  const empty = new Array<StoreImage>();
  let e = writeState(d, empty, first, gen, devBlocks);
  if (e.length == 0) e = writeState(d, empty, 1 - first, gen + 1, devBlocks);
  const m = loadState(d);
  if (e.length != 0) return "formatting: " + e;
  return m;
}

// ── The directory ───────────────────────────────────────────────────────
export function storeImages(): StoreImage[] { return dir.slice(0); }

export function storeFind(name: string): StoreImage | null {
  const i = indexOf(name);
  return i < 0 ? null : dir[i];
}

export function storeFreeKiB(): u64 { return mounted ? freeBlocks() * 4 : 0; }

export function storeRemove(name: string): string {
  if (!mounted) return NOT_MOUNTED;
  if (!storeNameOk(name)) return badName(name);
  const i = indexOf(name);
  if (i < 0) return "no image named " + name;
  const list = dir.slice(0);
  list.splice(i, 1);
  return switchTo(list);
}

// ── Saving ──────────────────────────────────────────────────────────────
let wOpen = false;
let wFail = "";                 // once set, the save can only be aborted
let wName = "";
let wMax: u64 = 0;              // bytes reserved
let wBytes: u64 = 0;            // bytes written
let wCrc: u32 = 0;
let wFill: u32 = 0;             // bytes in wBuf
let wNext: u32 = 0;             // logical block wBuf goes to
let wExtents: i32 = 0;
const wStart = new StaticArray<u32>(STORE_MAX_EXTENTS);
const wBlocks = new StaticArray<u32>(STORE_MAX_EXTENTS);
const topGaps = new StaticArray<u64>(STORE_MAX_EXTENTS);

function full(need: u64): string {
  return "store full: " + dec(freeBlocks() * 4) + " KiB free, " + dec(need * 4) + " KiB needed";
}

// Reserves `need` blocks into wStart/wBlocks: the first gap that holds them
// all, else the fewest gaps (largest first, at most 8) in disk order.
function reserve(need: u32): string {
  wExtents = 0;
  if (need == 0) return "";
  const g = gatherGaps();
  for (let i = 0; i < g; i++) {
    const gap = unchecked(gapKeys[i]);
    if (<u32>gap >= need) {
      wStart[0] = <u32>(gap >> 32);
      wBlocks[0] = need;
      wExtents = 1;
      return "";
    }
  }
  // The 8 largest gaps, largest first (keys sort by start; compare lengths).
  const top = topGaps;
  let t = 0;
  for (let i = 0; i < g; i++) {
    const gap = unchecked(gapKeys[i]);
    if (t == STORE_MAX_EXTENTS && <u32>gap <= <u32>top[t - 1]) continue;
    let j = t < STORE_MAX_EXTENTS ? t++ : t - 1;
    while (j > 0 && <u32>top[j - 1] < <u32>gap) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = gap;
  }
  let have: u64 = 0, n = 0;
  while (n < t && have < need) have += <u32>top[n++];
  if (have < need) {
    return full(need) + (freeBlocks() >= need ? " (the free space is in more than 8 pieces)" : "");
  }
  // The last one only as far as needed.
  const last = top[n - 1];
  top[n - 1] = ((last >> 32) << 32) | <u64>(<u32>last - <u32>(have - need));
  sortKeys(top, n);
  for (let k = 0; k < n; k++) {
    wStart[k] = <u32>(top[k] >> 32);
    wBlocks[k] = <u32>top[k];
  }
  wExtents = n;
  return "";
}

export function storeWriteBegin(name: string, maxBytes: u64): string {
  if (!mounted) return NOT_MOUNTED;
  if (!storeNameOk(name)) return badName(name);
  if (wOpen) return "a save is already in progress (image " + wName + ")";
  if (indexOf(name) < 0 && dir.length >= STORE_MAX_IMAGES) {
    return "store full: " + dec(<u64>STORE_MAX_IMAGES) + " images, the most it holds";
  }
  const need = blocksForBytes(maxBytes);
  if (need > <u64>totalBlocks) return full(need);
  const e = reserve(<u32>need);
  if (e.length != 0) return e;
  wOpen = true;
  wFail = "";
  wName = name;
  wMax = maxBytes;
  wBytes = 0;
  wCrc = 0;
  wFill = 0;
  wNext = 0;
  return "";
}

// wBuf's first `n` blocks to the reservation at logical block wNext.
function writeOut(n: u32): string {
  let lb = wNext, left = n, base: u32 = 0;
  let src = wBuf;
  for (let k = 0; k < wExtents && left != 0; k++) {
    const len = wBlocks[k];
    if (lb < base + len) {
      const m = min<u32>(base + len - lb, left);
      const e = dev!.write(<u64>(wStart[k] + (lb - base)) * SPB, m * SPB, src);
      if (e.length != 0) return e;
      src += <usize>m * STORE_BLOCK;
      lb += m;
      left -= m;
    }
    base += len;
  }
  wNext = lb;
  return left == 0 ? "" : "past its reservation";
}

export function storeWrite(buf: usize, len: u32): string {
  if (!wOpen) return "no save in progress";
  if (wFail.length != 0) return wFail;
  if (<u64>len > wMax - wBytes) {
    wFail = "image " + wName + " is longer than the " + dec(wMax) + " bytes reserved for it";
    return wFail;
  }
  wCrc = crc32Update(wCrc, buf, len);
  wBytes += len;
  let done: u32 = 0;
  while (done < len) {
    const n = min<u32>(len - done, XFER - wFill);
    memory.copy(wBuf + wFill, buf + done, n);
    wFill += n;
    done += n;
    if (wFill == XFER) {
      const e = writeOut(XFER_BLOCKS);
      if (e.length != 0) {
        wFail = "writing image " + wName + ": " + e;
        return wFail;
      }
      wFill = 0;
    }
  }
  return "";
}

export function storeWriteAbort(): void {
  wOpen = false;
  wFail = "";
  wExtents = 0;
}

export function storeWriteCommit(domName: string, memKiB: u64, savedAt: u64): string {
  if (!wOpen) return "no save in progress";
  const e = commit(domName, memKiB, savedAt);
  storeWriteAbort();
  return e;
}

function commit(domName: string, memKiB: u64, savedAt: u64): string {
  if (wFail.length != 0) return wFail;
  if (!mounted) return NOT_MOUNTED;
  if (!domNameOk(domName)) return "bad domain name \"" + domName + "\" (at most 31 printable characters)";
  if (wFill != 0) {
    const padded = (wFill + STORE_BLOCK - 1) & ~(STORE_BLOCK - 1);
    memory.fill(wBuf + wFill, 0, padded - wFill);
    const e = writeOut(padded / STORE_BLOCK);
    if (e.length != 0) return "writing image " + wName + ": " + e;
    wFill = 0;
  }
  const img = new StoreImage();
  img.name = wName;
  img.domName = domName;
  img.memKiB = memKiB;
  img.bytes = wBytes;
  img.savedAt = savedAt;
  img.crc = wCrc;
  // Only the blocks written: the rest of the reservation stays free.
  let used = wNext;
  for (let k = 0; k < wExtents && used != 0; k++) {
    const m = min<u32>(wBlocks[k], used);
    img.start[k] = wStart[k];
    img.blocks[k] = m;
    img.extents = k + 1;
    used -= m;
  }
  const list = new Array<StoreImage>();
  let placed = false;
  for (let i = 0; i < dir.length; i++) {
    const old = dir[i];
    if (!placed && !(old.name < img.name)) {
      list.push(img);
      placed = true;
      if (old.name == img.name) continue;   // replaced
    }
    list.push(old);
  }
  if (!placed) list.push(img);
  if (list.length > STORE_MAX_IMAGES) return "store full: " + dec(<u64>STORE_MAX_IMAGES) + " images, the most it holds";
  return switchTo(list);
}

// ── Reading ─────────────────────────────────────────────────────────────
let rImg: StoreImage | null = null;
let rFail = "";
let rPos: u64 = 0;              // bytes handed out
let rCrc: u32 = 0;
let rNext: u32 = 0;             // logical block to read next
let rOff: u32 = 0, rLen: u32 = 0; // the unread part of rBuf
let rChecked = false;

export function storeReadBegin(name: string): string {
  if (!mounted) return NOT_MOUNTED;
  if (!storeNameOk(name)) return badName(name);
  const i = indexOf(name);
  if (i < 0) return "no image named " + name;
  rImg = dir[i];
  rFail = "";
  rPos = 0;
  rCrc = 0;
  rNext = 0;
  rOff = 0;
  rLen = 0;
  rChecked = false;
  return "";
}

export function storeReadEnd(): void { rImg = null; }

// The next blocks of `img` into rBuf: as many as fit, from one extent.
function readIn(img: StoreImage): string {
  let base: u32 = 0;
  for (let k = 0; k < img.extents; k++) {
    const len = img.blocks[k];
    if (rNext < base + len) {
      const n = min<u32>(base + len - rNext, XFER_BLOCKS);
      const e = dev!.read(<u64>(img.start[k] + (rNext - base)) * SPB, n * SPB, rBuf);
      if (e.length != 0) return e;
      const left = img.bytes - rPos;
      rLen = <u64>n * STORE_BLOCK < left ? n * STORE_BLOCK : <u32>left;
      rOff = 0;
      rNext += n;
      return "";
    }
    base += len;
  }
  return "past its last extent";
}

export function storeRead(buf: usize, len: u32): i64 {
  const img = rImg;
  if (img === null) {
    lastError = "no image being read";
    return -1;
  }
  if (rFail.length != 0) {
    lastError = rFail;
    return -1;
  }
  let done: u32 = 0;
  while (done < len && rPos < img.bytes) {
    if (rOff == rLen) {
      const e = readIn(img);
      if (e.length != 0) {
        rFail = "reading image " + img.name + ": " + e;
        lastError = rFail;
        return -1;
      }
    }
    const n = min<u32>(len - done, rLen - rOff);
    memory.copy(buf + done, rBuf + rOff, n);
    rCrc = crc32Update(rCrc, rBuf + rOff, n);
    rOff += n;
    done += n;
    rPos += n;
  }
  if (rPos == img.bytes && !rChecked) {
    rChecked = true;
    if (rCrc != img.crc) {
      rFail = "image " + img.name + " is damaged (checksum)";
      lastError = rFail;
      return -1;
    }
  }
  return done;
}
