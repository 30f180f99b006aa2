// The save stream: a domain as one self-describing byte stream, what
// `save` writes to Domain 0's image store and `restore` reads back (and
// what live migration will send), after Xen's migration stream v2
// (docs/specs/libxc-migration-stream.pandoc): a header, then records of a
// type and a length, each with its own CRC-32, memory as batches of
// (frame, page) with zero pages sent as a flag, the state last (so a live
// sender can send memory while the domain runs), an end record.
//
//   stream header    24 bytes: magic "TSHVSAVE", version, page shift,
//                    flags (0), CRC-32 of the 20 bytes before it
//   record           type u32, length u32 (of the body), CRC-32 of the
//                    body, 0 u32; the body, zero-padded to 8 bytes
//
//   CONFIG   first   savedAt u64 (s since 1970), memBytes u64, the config
//                    line the domain was created from (HC_DOMAIN_CREATE)
//   PAGES    any     count u32 (1-PAGES_BATCH_MAX), 0 u32, count u64
//                    entries (frame number | PAGE_ZERO), then the 4 KiB of
//                    each entry without PAGE_ZERO, in order
//   DOMAIN   once    the state record's domain header (src/state/record.ts)
//   VCPU     each    one vCPU record, by index
//   DEVICE   each    one device block, in the domain's order
//   END      last    records u32 (before it), 0 u32, frames sent u64,
//                    CRC-32 of every record header before it, 0 u32
//
// The DOMAIN, VCPU and DEVICE bodies put end to end are the state record
// HC_DOMAIN_STATE_GET gives and HC_DOMAIN_STATE_SET takes; the hypervisor
// checks their contents, the reader here everything around them. Nothing
// in a stream is trusted: StreamReader checks each record's length before
// it is read, its CRC and its place, and says which record at which
// offset is at fault.
import { crc32, crc32Update } from "../lib/crc32";
import { HC_DOMAIN_CONFIG_MAX, MEM_PAGES_MAX, MEM_PAGE_ZERO } from "../arch/abi";
import {
  DOMREC_MAGIC, VCPUREC_MAGIC, RECORD_VERSION, D_MAGIC, D_VERSION, D_SIZE, D_VCPUS, D_DEVICES, D_MEM, DOMREC_HEADER,
  V_MAGIC, V_VERSION, V_SIZE, V_INDEX, V_STATE,
} from "./record";
import { DEVSTATE_SIZE, DEVSTATE_HEADER } from "../devices/device";
import { dec, hex } from "../lib/str";

export const STREAM_MAGIC_LO: u32 = 0x56485354;   // "TSHV"
export const STREAM_MAGIC_HI: u32 = 0x45564153;   // "SAVE"
export const STREAM_VERSION: u32 = 1;
export const STREAM_HEADER: u32 = 24;
export const PAGE_SHIFT: u32 = 12;
export const PAGE_BYTES: u32 = 1 << PAGE_SHIFT;

export const REC_HEADER: u32 = 16;
export const REC_CONFIG: u32 = 1;
export const REC_PAGES: u32 = 2;
export const REC_DOMAIN: u32 = 3;
export const REC_VCPU: u32 = 4;
export const REC_DEVICE: u32 = 5;
export const REC_END: u32 = 6;

export const CONFIG_FIXED: u32 = 16;
// A batch is what HC_DOMAIN_MEM_PAGES gives.
export const PAGE_ZERO: u64 = MEM_PAGE_ZERO;
export const PAGE_FRAME_MASK: u64 = (<u64>1 << 40) - 1;   // 4 PiB of guest memory
export const PAGES_BATCH_MAX: u32 = MEM_PAGES_MAX;
export const END_SIZE: u32 = 24;
// Bounds a reader holds the stream to (a body is read whole before it is
// checked, so none may be larger than the reader's buffer).
export const VCPUS_MAX: u32 = 64;
export const DEVICES_MAX: u32 = 64;
export const PART_MAX: u32 = 64 << 10;
export const STATE_MAX: u32 = 1 << 20;
export const BODY_MAX: u32 = 8 + PAGES_BATCH_MAX * 8 + PAGES_BATCH_MAX * PAGE_BYTES;

const H_TYPE: u32 = 0;
const H_LENGTH: u32 = 4;
const H_CRC: u32 = 8;

@inline export function align8(n: u32): u32 { return (n + 7) & ~7; }
// Bytes a record with a body of `len` takes in the stream.
@inline export function recordBytes(len: u32): u32 { return REC_HEADER + align8(len); }

export function recordName(type: u32): string {
  if (type == REC_CONFIG) return "CONFIG";
  if (type == REC_PAGES) return "PAGES";
  if (type == REC_DOMAIN) return "DOMAIN";
  if (type == REC_VCPU) return "VCPU";
  if (type == REC_DEVICE) return "DEVICE";
  if (type == REC_END) return "END";
  return "type " + dec(type);
}

// ── Writing ──────────────────────────────────────────────────────────────

export function streamHeaderWrite(dst: usize): u32 {
  store<u32>(dst, STREAM_MAGIC_LO);
  store<u32>(dst + 4, STREAM_MAGIC_HI);
  store<u32>(dst + 8, STREAM_VERSION);
  store<u32>(dst + 12, PAGE_SHIFT);
  store<u32>(dst + 16, 0);
  store<u32>(dst + 20, crc32(dst, 20));
  return STREAM_HEADER;
}

// Seals the record at `dst` whose `len`-byte body is already at
// dst + REC_HEADER: pads it, writes its header; its bytes in the stream.
export function recordSeal(dst: usize, type: u32, len: u32): u32 {
  const body = dst + REC_HEADER;
  memory.fill(body + len, 0, <usize>(align8(len) - len));
  store<u32>(dst + H_TYPE, type);
  store<u32>(dst + H_LENGTH, len);
  store<u32>(dst + H_CRC, crc32(body, len));
  store<u32>(dst + 12, 0);
  return recordBytes(len);
}

// What a writer keeps to write the END record.
export class StreamWriter {
  records: u32 = 0;
  frames: u64 = 0;
  headersCrc: u32 = 0;

  // Seals the record at `dst` (recordSeal) holding `frames` guest frames,
  // and counts it: its bytes in the stream.
  seal(dst: usize, type: u32, len: u32, frames: u32): u32 {
    const n = recordSeal(dst, type, len);
    this.records++;
    this.frames += frames;
    this.headersCrc = crc32Update(this.headersCrc, dst, REC_HEADER);
    return n;
  }

  // The END record at `dst`: its bytes.
  end(dst: usize): u32 {
    const b = dst + REC_HEADER;
    store<u32>(b, this.records);
    store<u32>(b + 4, 0);
    store<u64>(b + 8, this.frames);
    store<u32>(b + 16, this.headersCrc);
    store<u32>(b + 20, 0);
    return recordSeal(dst, REC_END, END_SIZE);
  }
}

// A DOMAIN, VCPU or DEVICE part of the state record at `rec` (`len`
// bytes), beginning at offset `at`: its length, with its type in
// statePartType; 0 if the record is not framed as one (a hypervisor's own
// record always is).
export let statePartType: u32 = 0;
export function statePart(rec: usize, len: u32, at: u32): u32 {
  if (at == 0) {
    statePartType = REC_DOMAIN;
    return len >= DOMREC_HEADER ? DOMREC_HEADER : 0;
  }
  const vcpus = load<u32>(rec + D_VCPUS);
  // The vCPU records, all one size, then the devices.
  let p = DOMREC_HEADER;
  if (vcpus != 0 && p + V_SIZE + 4 <= len) {
    const size = load<u32>(rec + p + V_SIZE);
    const end = <u64>p + <u64>vcpus * <u64>size;
    if (<u64>at < end) {
      statePartType = REC_VCPU;
      return size != 0 && (at - p) % size == 0 && <u64>at + size <= <u64>len ? size : 0;
    }
    p = <u32>end;
  }
  statePartType = REC_DEVICE;
  if (at + DEVSTATE_HEADER > len) return 0;
  const n = <u64>load<u32>(rec + at + DEVSTATE_SIZE) + DEVSTATE_HEADER;
  return <u64>at + n <= <u64>len ? <u32>n : 0;
}

// ── Reading ──────────────────────────────────────────────────────────────

const PHASE_HEADER: u32 = 0;
const PHASE_CONFIG: u32 = 1;
const PHASE_PAGES: u32 = 2;    // PAGES, or the DOMAIN record
const PHASE_VCPUS: u32 = 3;
const PHASE_DEVICES: u32 = 4;  // DEVICE, or END once all are there
const PHASE_DONE: u32 = 5;

// Reads a stream as its bytes come: header(), then for each record
// recordHeader() (how many body bytes to read next) and recordBody().
// Each returns false once something is wrong, with `error` saying what
// and where; after that it takes nothing more.
export class StreamReader {
  error: string = "";
  offset: u64 = 0;        // of the next byte expected
  records: u32 = 0;       // records read whole, END excluded
  type: u32 = 0;          // of the record being read
  length: u32 = 0;        // its body's bytes
  // What the records said so far.
  savedAt: u64 = 0;
  memBytes: u64 = 0;
  frames: u64 = 0;
  stateSize: u32 = 0;     // the DOMAIN record's size of the whole state
  stateBytes: u32 = 0;    // of it, read so far
  vcpus: u32 = 0;
  devices: u32 = 0;
  vcpusRead: u32 = 0;
  devicesRead: u32 = 0;
  // A PAGES record's entries and non-zero pages (recordBody's).
  batch: u32 = 0;
  private phase: u32 = PHASE_HEADER;
  private at: u64 = 0;    // where the record being read began
  private crcBody: u32 = 0;
  private headersCrc: u32 = 0;
  private vcpuSize: u32 = 0;

  get done(): bool { return this.phase == PHASE_DONE; }

  private fail(why: string): bool {
    if (this.error.length == 0) {
      this.error = this.phase == PHASE_HEADER
        ? "stream header: " + why
        : "record " + dec(this.records + 1) + " (" + recordName(this.type) + ") at offset " + dec(this.at) + ": " + why;
    }
    return false;
  }

  // The STREAM_HEADER bytes at `p`.
  header(p: usize): bool {
    if (this.error.length != 0) return false;
    if (this.phase != PHASE_HEADER) return this.fail("read twice");
    if (load<u32>(p) != STREAM_MAGIC_LO || load<u32>(p + 4) != STREAM_MAGIC_HI) return this.fail("not a saved domain (magic)");
    if (crc32(p, 20) != load<u32>(p + 20)) return this.fail("checksum");
    const v = load<u32>(p + 8);
    if (v != STREAM_VERSION) return this.fail("version " + dec(v) + ", this reads version " + dec(STREAM_VERSION));
    if (load<u32>(p + 12) != PAGE_SHIFT) return this.fail("page size 2^" + dec(load<u32>(p + 12)) + ", not 4 KiB");
    if (load<u32>(p + 16) != 0) return this.fail("unknown flags " + hex(load<u32>(p + 16)));
    this.phase = PHASE_CONFIG;
    this.offset = STREAM_HEADER;
    return true;
  }

  // The REC_HEADER bytes at `p`: the bytes of body (padding included) to
  // read and hand to recordBody, or -1.
  recordHeader(p: usize): i64 {
    if (this.error.length != 0) return -1;
    if (this.phase == PHASE_HEADER || this.phase == PHASE_DONE) {
      this.fail(this.phase == PHASE_DONE ? "bytes after the END record" : "no stream header");
      return -1;
    }
    this.at = this.offset;
    this.type = load<u32>(p + H_TYPE);
    this.length = load<u32>(p + H_LENGTH);
    this.crcBody = load<u32>(p + H_CRC);
    if (load<u32>(p + 12) != 0) { this.fail("reserved header word not 0"); return -1; }
    const why = this.placeAndSize();
    if (why.length != 0) { this.fail(why); return -1; }
    if (this.type != REC_END) this.headersCrc = crc32Update(this.headersCrc, p, REC_HEADER);
    this.offset += REC_HEADER;
    return <i64>align8(this.length);
  }

  // Why a record of this type and length cannot come here, or "".
  private placeAndSize(): string {
    const t = this.type, n = this.length, ph = this.phase;
    if (t < REC_CONFIG || t > REC_END) return "unknown record type";
    if (ph == PHASE_CONFIG && t != REC_CONFIG) return "the stream must begin with CONFIG";
    if (t == REC_CONFIG) {
      if (ph != PHASE_CONFIG) return "a second CONFIG";
      if (n <= CONFIG_FIXED || n > CONFIG_FIXED + HC_DOMAIN_CONFIG_MAX) return "length " + dec(n) + " out of range";
      return "";
    }
    if (t == REC_PAGES) {
      if (ph != PHASE_PAGES) return "memory after the domain's state";
      if (n < 8 + 8 || n > BODY_MAX) return "length " + dec(n) + " out of range";
      return "";
    }
    if (t == REC_DOMAIN) {
      if (ph != PHASE_PAGES) return "a second DOMAIN";
      return n == DOMREC_HEADER ? "" : "length " + dec(n) + ", a domain header has " + dec(DOMREC_HEADER);
    }
    if (t == REC_VCPU) {
      if (ph != PHASE_VCPUS) return ph < PHASE_VCPUS ? "a vCPU before the DOMAIN record" : "more vCPUs than the DOMAIN record has";
      if (n < V_STATE || n > PART_MAX) return "length " + dec(n) + " out of range";
      if (this.vcpusRead != 0 && n != this.vcpuSize) return "length " + dec(n) + ", vCPU 0's was " + dec(this.vcpuSize);
      return "";
    }
    if (t == REC_DEVICE) {
      if (ph != PHASE_DEVICES || this.devicesRead == this.devices) {
        return ph < PHASE_VCPUS ? "a device before the DOMAIN record" : ph == PHASE_VCPUS ? "a device before every vCPU" : "more devices than the DOMAIN record has";
      }
      if (n < DEVSTATE_HEADER || n > PART_MAX) return "length " + dec(n) + " out of range";
      return "";
    }
    // END
    if (ph != PHASE_DEVICES || this.devicesRead != this.devices) {
      return ph < PHASE_VCPUS ? "the stream ends before the domain's state" : "the stream ends before every vCPU and device";
    }
    return n == END_SIZE ? "" : "length " + dec(n) + ", END has " + dec(END_SIZE);
  }

  // The body (recordHeader's byte count) at `p`.
  recordBody(p: usize): bool {
    if (this.error.length != 0) return false;
    const n = this.length;
    for (let i = n; i < align8(n); i++) if (load<u8>(p + i) != 0) return this.fail("padding not zero");
    if (crc32(p, n) != this.crcBody) return this.fail("checksum");
    const why = this.contents(p);
    if (why.length != 0) return this.fail(why);
    this.offset += align8(n);
    if (this.type != REC_END) this.records++;
    return true;
  }

  // Why the body at `p` is not what its type holds, or "" (and the reader
  // moves on).
  private contents(p: usize): string {
    const t = this.type, n = this.length;
    if (t == REC_CONFIG) {
      const mem = load<u64>(p + 8);
      if (mem == 0 || (mem & <u64>(PAGE_BYTES - 1)) != 0 || (mem >> PAGE_SHIFT) > PAGE_FRAME_MASK) return "memory size " + dec(mem) + " bytes";
      for (let i = CONFIG_FIXED; i < n; i++) {
        const c = load<u8>(p + i);
        if ((c < 0x20 || c >= 0x7f) && c != 0x09) return "the config line holds byte " + hex(c) + " at " + dec(i);
      }
      this.savedAt = load<u64>(p);
      this.memBytes = mem;
      this.phase = PHASE_PAGES;
      return "";
    }
    if (t == REC_PAGES) {
      const count = load<u32>(p);
      if (count == 0 || count > PAGES_BATCH_MAX || load<u32>(p + 4) != 0) return "batch of " + dec(count) + " frames";
      if (<u64>n < 8 + <u64>count * 8) return "entries past its end";
      let data: u32 = 0;
      const frames = this.memBytes >> PAGE_SHIFT;
      for (let i: u32 = 0; i < count; i++) {
        const e = load<u64>(p + 8 + (<usize>i << 3));
        if ((e & ~(PAGE_ZERO | PAGE_FRAME_MASK)) != 0) return "entry " + dec(i) + " has unknown flags";
        if ((e & PAGE_FRAME_MASK) >= frames) return "entry " + dec(i) + ": frame " + hex(e & PAGE_FRAME_MASK) + " beyond its memory";
        if ((e & PAGE_ZERO) == 0) data++;
      }
      if (<u64>n != 8 + <u64>count * 8 + <u64>data * PAGE_BYTES) return "length " + dec(n) + " for " + dec(count) + " entries, " + dec(data) + " with data";
      this.batch = count;
      this.frames += count;
      return "";
    }
    if (t == REC_DOMAIN) {
      if (load<u32>(p + D_MAGIC) != DOMREC_MAGIC) return "not a domain header (magic)";
      if (load<u32>(p + D_VERSION) != RECORD_VERSION) return "state version " + dec(load<u32>(p + D_VERSION));
      if (load<u64>(p + D_MEM) != this.memBytes) return "memory size differs from CONFIG's";
      const vcpus = load<u32>(p + D_VCPUS), devices = load<u32>(p + D_DEVICES), size = load<u32>(p + D_SIZE);
      if (vcpus == 0 || vcpus > VCPUS_MAX) return dec(vcpus) + " vCPUs";
      if (devices > DEVICES_MAX) return dec(devices) + " devices";
      if (size < DOMREC_HEADER || size > STATE_MAX) return "state of " + dec(size) + " bytes";
      this.vcpus = vcpus;
      this.devices = devices;
      this.stateSize = size;
      this.stateBytes = n;
      this.phase = PHASE_VCPUS;
      return "";
    }
    if (t == REC_VCPU) {
      if (load<u32>(p + V_MAGIC) != VCPUREC_MAGIC || load<u32>(p + V_VERSION) != RECORD_VERSION) return "not a vCPU record";
      if (load<u32>(p + V_SIZE) != n) return "its size field says " + dec(load<u32>(p + V_SIZE));
      if (load<u32>(p + V_INDEX) != this.vcpusRead) return "vCPU " + dec(load<u32>(p + V_INDEX)) + " where vCPU " + dec(this.vcpusRead) + " belongs";
      const why = this.stateGrows(n);
      if (why.length != 0) return why;
      this.vcpuSize = n;
      if (++this.vcpusRead == this.vcpus) this.phase = PHASE_DEVICES;
      return "";
    }
    if (t == REC_DEVICE) {
      if (<u64>load<u32>(p + DEVSTATE_SIZE) + DEVSTATE_HEADER != <u64>n) return "its size field says " + dec(load<u32>(p + DEVSTATE_SIZE));
      const why = this.stateGrows(n);
      if (why.length != 0) return why;
      this.devicesRead++;
      return "";
    }
    // END
    if (load<u32>(p) != this.records) return "says " + dec(load<u32>(p)) + " records, there were " + dec(this.records);
    if (load<u64>(p + 8) != this.frames) return "says " + dec(load<u64>(p + 8)) + " frames, there were " + dec(this.frames);
    if (load<u32>(p + 16) != this.headersCrc) return "the record headers' checksum differs";
    if (load<u32>(p + 4) != 0 || load<u32>(p + 20) != 0) return "reserved words not 0";
    if (this.stateBytes != this.stateSize) return "the state is " + dec(this.stateBytes) + " bytes, DOMAIN said " + dec(this.stateSize);
    this.phase = PHASE_DONE;
    return "";
  }

  private stateGrows(n: u32): string {
    if (<u64>this.stateBytes + n > <u64>this.stateSize) return "the state grows past the " + dec(this.stateSize) + " bytes DOMAIN said";
    this.stateBytes += n;
    return "";
  }

  // The input ended: "" if the stream was whole, else what is missing.
  ended(): string {
    if (this.error.length != 0) return this.error;
    if (this.phase == PHASE_DONE) return "";
    this.error = "truncated at offset " + dec(this.offset) + ": " + (this.phase == PHASE_HEADER ? "no stream header" : "no END record");
    return this.error;
  }
}
