// Saving a DomU to the image store and restoring it, as `xl save` and
// `xl restore` do: the save stream (src/state/stream.ts) written from the
// hypervisor's view of the domain (HC_DOMAIN_STATE_GET, HC_DOMAIN_MEM_READ)
// and read back into a new domain (HC_DOMAIN_CREATE from the saved config,
// HC_DOMAIN_LOAD of the saved memory, HC_DOMAIN_STATE_SET of the saved
// state). A stream is checked record by record as it is read, and whatever
// is wrong with it stops the restore before the domain runs: the domain
// made for it is destroyed again.
import { vmcall } from "./hw";
import { progressStart, progressStep } from "./progress";
import { hostRead, hostWallSecs } from "./host";
import {
  StreamReader, StreamWriter, streamHeaderWrite, recordBytes, statePart, statePartType,
  STREAM_HEADER, REC_HEADER, REC_CONFIG, REC_PAGES, REC_DOMAIN, REC_VCPU, REC_DEVICE, REC_END, CONFIG_FIXED,
  PAGE_ZERO, PAGE_FRAME_MASK, PAGES_BATCH_MAX, PAGE_BYTES, PAGE_SHIFT, BODY_MAX, STATE_MAX, END_SIZE, VCPUS_MAX, DEVICES_MAX,
} from "../src/state/stream";
import {
  HC_DOMAIN_STATE_GET, HC_DOMAIN_STATE_SET, HC_DOMAIN_MEM_PAGES, HC_DOMAIN_CREATE, HC_DOMAIN_LOAD, HC_DOMAIN_DESTROY,
  HC_DOMAIN_CONFIG_MAX, HC_DOMAIN_LOAD_MAX, STATE_RECORD, STATE_CONFIG, EINVAL, EBUSY,
} from "../src/arch/abi";
import { untilOffCpu } from "./pause";
import { domainsLoad, findLiveByName } from "./domains";
import { errnoText } from "./text";
import { dec } from "../src/lib/str";

// One record on its way (its header, then its body), and the state.
const rec = heap.alloc(<usize>(REC_HEADER + BODY_MAX + 8));
const state = heap.alloc(<usize>STATE_MAX);
const body = rec + REC_HEADER;

// Where a stream goes and where it comes from: the image store, or a
// buffer (the unit tests').
export abstract class StreamSink {
  // The `n` bytes at `p`, next: "" or why not.
  abstract write(p: usize, n: u32): string;
}
export abstract class StreamSource {
  // Up to `n` next bytes into `p`: how many (0 at the end), -1 on an error.
  abstract read(p: usize, n: u32): i64;
  abstract error(): string;
}

// What a save or restore did, for the line the shell prints.
export class Outcome {
  error: string = "";
  id: u32 = 0;              // the restored domain
  name: string = "";        // its name
  bytes: u64 = 0;           // of the stream
  frames: u64 = 0;          // guest frames in it
  dataPages: u64 = 0;       // of them, non-zero (sent whole)
  savedAt: u64 = 0;         // s since 1970, as its CONFIG record says
}

// The stream of domain `id` (paused, `memKiB` of RAM) into `sink`,
// its state taken once the domain is off every CPU.
export function saveTo(sink: StreamSink, id: u32, memKiB: u64): Outcome {
  const out = new Outcome();
  const n = vmcall(HC_DOMAIN_STATE_GET, id, STATE_CONFIG, body + CONFIG_FIXED, HC_DOMAIN_CONFIG_MAX);
  if (n < 0 || n > <i64>HC_DOMAIN_CONFIG_MAX) {
    out.error = "its config: " + (n < 0 ? errnoText(n) : "longer than " + dec(HC_DOMAIN_CONFIG_MAX) + " bytes");
    return out;
  }
  const configLen = <u32>n;
  const s = untilOffCpu(HC_DOMAIN_STATE_GET, id, STATE_RECORD, state, STATE_MAX);
  if (s < 0 || s > <i64>STATE_MAX) {
    out.error = "its state: " + (s == -<i64>EBUSY ? "it does not leave its CPU" : s < 0 ? errnoText(s) : "larger than " + dec(STATE_MAX) + " bytes");
    return out;
  }
  const stateLen = <u32>s;
  for (let at: u32 = 0; at < stateLen;) {
    const k = statePart(state, stateLen, at);
    if (k == 0) {
      out.error = "its state record is not framed as one (at " + dec(at) + ")";
      return out;
    }
    at += k;
  }
  out.error = streamOut(sink, id, memKiB << 10, configLen, stateLen, out);
  return out;
}

// The stream's size at most, for a store to reserve: a domain of
// `memKiB` with every page sent whole, its state as large as can be.
export function streamBound(memKiB: u64): u64 {
  const frames = (memKiB << 10) >> PAGE_SHIFT;
  const batches = (frames + PAGES_BATCH_MAX - 1) / PAGES_BATCH_MAX;
  return <u64>STREAM_HEADER + recordBytes(CONFIG_FIXED + HC_DOMAIN_CONFIG_MAX) + batches * (REC_HEADER + 8) +
    frames * (8 + PAGE_BYTES) + <u64>STATE_MAX + <u64>(VCPUS_MAX + DEVICES_MAX + 1) * (REC_HEADER + 8) + recordBytes(END_SIZE);
}

function put(sink: StreamSink, p: usize, n: u32, out: Outcome): string {
  out.bytes += n;
  return sink.write(p, n);
}

function streamOut(sink: StreamSink, id: u32, memBytes: u64, configLen: u32, stateLen: u32, out: Outcome): string {
  const w = new StreamWriter();
  let why = put(sink, rec, streamHeaderWrite(rec), out);
  if (why.length != 0) return why;
  out.savedAt = hostRead() == 0 ? hostWallSecs() : 0;
  store<u64>(body, out.savedAt);
  store<u64>(body + 8, memBytes);
  why = put(sink, rec, w.seal(rec, REC_CONFIG, CONFIG_FIXED + configLen, 0), out);
  if (why.length != 0) return why;
  const frames = memBytes >> PAGE_SHIFT;
  progressStart("saving", memBytes);
  for (let f: u64 = 0; f < frames; f += PAGES_BATCH_MAX) {
    if (!progressStep(f << PAGE_SHIFT)) return "cancelled (Ctrl-C)";
    const count = <u32>(frames - f < <u64>PAGES_BATCH_MAX ? frames - f : <u64>PAGES_BATCH_MAX);
    store<u32>(body, count);
    store<u32>(body + 4, 0);
    // The entries and the pages with data, as the record holds them.
    const got = vmcall(HC_DOMAIN_MEM_PAGES, id, f, count, body + 8);
    if (got < 0 || got > <i64>count) return "reading its memory at frame " + dec(f) + ": " + errnoText(got < 0 ? got : -<i64>EINVAL);
    const pages = <u32>got;
    const data = body + 8 + (<usize>count << 3) + (<usize>pages << PAGE_SHIFT);
    out.frames += count;
    out.dataPages += pages;
    why = put(sink, rec, w.seal(rec, REC_PAGES, <u32>(data - body), count), out);
    if (why.length != 0) return why;
  }
  for (let at: u32 = 0; at < stateLen;) {
    const k = statePart(state, stateLen, at);
    memory.copy(body, state + at, k);
    why = put(sink, rec, w.seal(rec, statePartType, k, 0), out);
    if (why.length != 0) return why;
    at += k;
  }
  return put(sink, rec, w.end(rec), out);
}

// `line` with its name= word set to `name` ("": as it is).
function renamed(line: string, name: string): string {
  if (name.length == 0) return line;
  const words = line.split(" ");
  let found = false;
  for (let i = 0; i < words.length; i++) {
    if (words[i].startsWith("name=")) {
      words[i] = "name=" + name;
      found = true;
    }
  }
  if (!found) words.push("name=" + name);
  return words.join(" ");
}

function nameOf(line: string): string {
  const words = line.split(" ");
  for (let i = 0; i < words.length; i++) if (words[i].startsWith("name=")) return words[i].substring(5);
  return "";
}

// Reads `n` bytes of the stream into `p`: "" or why not.
function take(src: StreamSource, p: usize, n: u32, r: StreamReader): string {
  let got: u32 = 0;
  while (got < n) {
    const k = src.read(p + got, n - got);
    if (k < 0) return src.error();
    if (k == 0) return "truncated at offset " + dec(r.offset + got) + (r.type != 0 ? " in record " + dec(r.records + 1) : "");
    got += <u32>k;
  }
  return "";
}

// A domain from the stream in `src` (`total` bytes), named `name` ("": its
// saved name, which no live domain may have), paused.
export function restoreFrom(src: StreamSource, total: u64, name: string): Outcome {
  const out = new Outcome();
  const r = new StreamReader();
  let id: i64 = 0;
  let why = take(src, rec, STREAM_HEADER, r);
  if (why.length == 0 && !r.header(rec)) why = r.error;
  progressStart("restoring", total);
  while (why.length == 0 && !r.done) {
    if (!progressStep(r.offset)) { why = "cancelled (Ctrl-C)"; break; }
    why = take(src, rec, REC_HEADER, r);
    if (why.length != 0) break;
    const n = r.recordHeader(rec);
    if (n < 0) { why = r.error; break; }
    why = take(src, body, <u32>n, r);
    if (why.length != 0) break;
    if (!r.recordBody(body)) { why = r.error; break; }
    const t = r.type;
    if (t == REC_CONFIG) {
      const line = renamed(String.UTF8.decodeUnsafe(body + CONFIG_FIXED, r.length - CONFIG_FIXED), name);
      out.name = nameOf(line);
      domainsLoad();
      if (out.name.length != 0 && findLiveByName(out.name) >= 0) {
        why = "a domain named " + out.name + " runs (restore ... name=<new name>)";
        break;
      }
      const bytes = String.UTF8.encode(line);
      if (bytes.byteLength > <i32>HC_DOMAIN_CONFIG_MAX) { why = "its config is too long with the new name"; break; }
      id = vmcall(HC_DOMAIN_CREATE, changetype<usize>(bytes), <u64>bytes.byteLength, 0, 0);
      if (id < 0) { why = "creating it: " + errnoText(id) + (id == -<i64>EINVAL ? " (dmesg says why)" : ""); break; }
    } else if (t == REC_PAGES) {
      why = pagesIn(<u32>id, r.batch);
      out.frames += r.batch;
    } else if (t == REC_DOMAIN || t == REC_VCPU || t == REC_DEVICE) {
      memory.copy(state + r.stateBytes - r.length, body, r.length);
    }
  }
  if (why.length == 0) {
    // Nothing may follow the END record.
    const k = src.read(rec, 8);
    if (k != 0) why = k < 0 ? src.error() : "bytes after the END record at offset " + dec(r.offset);
  }
  if (why.length == 0) {
    const rc = vmcall(HC_DOMAIN_STATE_SET, <u64>id, state, r.stateSize, 0);
    if (rc < 0) {
      why = "its state (the records after its memory) refused: " +
        (rc == -<i64>EINVAL ? String.UTF8.decodeUnsafe(state, strLen(state, 128)) : errnoText(rc));
    }
  }
  out.bytes = r.offset;
  if (why.length != 0) {
    if (id > 0) vmcall(HC_DOMAIN_DESTROY, <u64>id, 0, 0, 0);
    out.error = why;
    return out;
  }
  out.id = <u32>id;
  return out;
}

function strLen(p: usize, max: u32): u32 {
  let n: u32 = 0;
  while (n < max && load<u8>(p + n) != 0) n++;
  return n;
}

// The batch in `body` into domain `id`: runs of non-zero pages at
// consecutive frames go in one HC_DOMAIN_LOAD (zero pages are zero in a
// new domain already).
function pagesIn(id: u32, count: u32): string {
  let data = body + 8 + (<usize>count << 3);
  let runFrame: u64 = 0, runAt: usize = 0, runLen: u32 = 0;
  for (let i: u32 = 0; i <= count; i++) {
    const e = i < count ? load<u64>(body + 8 + (<usize>i << 3)) : PAGE_ZERO;
    const zero = (e & PAGE_ZERO) != 0;
    const frame = e & PAGE_FRAME_MASK;
    if (runLen != 0 && (zero || frame != runFrame + (runLen >> PAGE_SHIFT) || runLen + PAGE_BYTES > HC_DOMAIN_LOAD_MAX)) {
      const rc = vmcall(HC_DOMAIN_LOAD, id, runFrame << PAGE_SHIFT, runAt, runLen);
      if (rc != <i64>runLen) return "loading its memory at frame " + dec(runFrame) + ": " + errnoText(rc < 0 ? rc : -<i64>EINVAL);
      runLen = 0;
    }
    if (zero) continue;
    if (runLen == 0) {
      runFrame = frame;
      runAt = data;
    }
    runLen += PAGE_BYTES;
    data += PAGE_BYTES;
  }
  return "";
}
