// What Domain 0's wasm exports besides kmain: entry points for the unit
// tests (tests/unit/dom0-*.test.ts), which run this same module in Node
// against a simulated machine and hypervisor (tests/sim/dom0.ts).
import { stringFromBytes, jsonString, dec, hex } from "../src/lib/str";
import { cpuListParse, cpuListError, cpuListText } from "./cpulist";
import { splitWords } from "./words";
import { XlConfig, xlParseFile, xlAssignWord, xlToDomainLine } from "./xlcfg";
import { planCreate } from "./create";
import { domainResolve, resolveError, domId } from "./domains";
import { StreamSink, StreamSource, Outcome, saveTo, restoreFrom } from "./save";
import { crc32 } from "../src/lib/crc32";
import { AtaDisk, ataProbe, ataProbeReport } from "./ata";
import { BlockDev } from "./blockdev";
import { storeProbe, storeMount, storeFormat, storeImages, storeFind, StoreImage } from "./store";
import { ramdisk } from "./ramdisk";

export { leKey, leEcho, leEchoLen, lePtr, leLen, leCursor, leReset, leClearHistory, leRedraw } from "./lineedit";
export { shellStart, shellEvents, shellInput } from "./shell";
export { runLine } from "./commands";
export { domainsFindSelf } from "./domains";

// The `len` bytes at `addr` as a string: how a test hands a string in.
export function bytesToString(addr: u32, len: u32): string { return stringFromBytes(addr, len); }

// A full collection (the shell's main loop does one after each event).
export function collect(): void { __collect(); }

function jsonList(list: string[]): string {
  let s = "[";
  for (let i = 0; i < list.length; i++) s += (i != 0 ? "," : "") + jsonString(list[i]);
  return s + "]";
}

export function wordsJson(line: string): string {
  const w = splitWords(line);
  return "{\"words\":" + jsonList(w.list) + ",\"error\":" + jsonString(w.error) + "}";
}

function xlJson(c: XlConfig): string {
  const line = c.error.length == 0 ? xlToDomainLine(c) : "";
  return "{\"name\":" + jsonString(c.name) + ",\"memory\":" + c.memoryMiB.toString() +
    ",\"vcpus\":" + c.vcpus.toString() + ",\"kernel\":" + jsonString(c.kernel) +
    ",\"cmdline\":" + jsonString(c.cmdline) + ",\"weight\":" + c.weight.toString() +
    ",\"cap\":" + c.cap.toString() + ",\"kind\":" + jsonString(c.kind) +
    ",\"line\":" + jsonString(line) + ",\"error\":" + jsonString(c.error) + "}";
}

// An xl.cfg file's text, parsed.
export function xlFileJson(text: string): string {
  const c = new XlConfig();
  xlParseFile(c, text);
  return xlJson(c);
}

// key=value words (a shell line's arguments), parsed.
export function xlWordsJson(line: string): string {
  const c = new XlConfig();
  const w = splitWords(line);
  for (let i = 0; i < w.list.length; i++) if (!xlAssignWord(c, w.list[i])) break;
  return xlJson(c);
}

// What `create <args>` would build: the config line and the image module.
export function createPlanJson(line: string): string {
  const p = planCreate(splitWords(line).list);
  return "{\"line\":" + jsonString(p.line) + ",\"slot\":" + p.slot.toString() + ",\"error\":" + jsonString(p.error) + "}";
}

// The id a domain word resolves to, or -1 (resolveJsonError says why).
export function resolveDomain(word: string, stoppedOk: bool): i64 {
  const slot = domainResolve(word, stoppedOk);
  return slot < 0 ? -1 : <i64>domId(slot);
}
export function resolveErrorText(): string { return resolveError; }
export function decText(v: u64): string { return dec(v); }

// A CPU list word: `{"mask":"<hex>","text":"<list>","error":"..."}`.
export function cpuListJson(word: string): string {
  const m = cpuListParse(word);
  return "{\"mask\":" + jsonString(hex(m)) + ",\"text\":" + jsonString(cpuListText(m)) +
    ",\"error\":" + jsonString(m == 0 ? cpuListError : "") + "}";
}

// The save stream through a buffer instead of the store: what `save`
// writes of domain `id` into [buf, buf + max), and a restore from the
// `len` bytes at `buf` (tests/unit/dom0-stream.test.ts).
class BufferSink extends StreamSink {
  constructor(public at: usize, public end: usize) { super(); }
  write(p: usize, n: u32): string {
    if (this.at + n > this.end) return "the buffer is full";
    memory.copy(this.at, p, n);
    this.at += n;
    return "";
  }
}
class BufferSource extends StreamSource {
  constructor(public at: usize, public end: usize) { super(); }
  read(p: usize, n: u32): i64 {
    const k = <u32>(this.end - this.at < <usize>n ? this.end - this.at : <usize>n);
    memory.copy(p, this.at, k);
    this.at += k;
    return <i64>k;
  }
  error(): string { return ""; }
}

function outcomeJson(o: Outcome): string {
  return "{\"error\":" + jsonString(o.error) + ",\"id\":" + o.id.toString() + ",\"name\":" + jsonString(o.name) +
    ",\"bytes\":" + o.bytes.toString() + ",\"frames\":" + o.frames.toString() + ",\"dataPages\":" + o.dataPages.toString() + "}";
}

export function saveToBufferJson(id: u32, memKiB: u32, buf: usize, max: u32): string {
  return outcomeJson(saveTo(new BufferSink(buf, buf + max), id, memKiB));
}

export function restoreFromBufferJson(buf: usize, len: u32, name: string): string {
  return outcomeJson(restoreFrom(new BufferSource(buf, buf + len), len, name));
}

// `n` bytes of Domain 0's heap, kept (a test's buffer).
export function bufferAlloc(n: u32): usize { return heap.alloc(<usize>n); }
// The disks the last ataProbeJson found; ataRead and the others take an
// index into it and call through BlockDev, as the image store does.
let ataDisks: AtaDisk[] = [];

// Probes the IDE channels: `{"disks":[{"model":..,"sectors":..,"lba48":..,
// "cmd":..,"ctl":..,"slave":..,"where":..}],"report":[one line a position]}`.
export function ataProbeJson(): string {
  ataDisks = ataProbe();
  let s = "{\"disks\":[";
  for (let i = 0; i < ataDisks.length; i++) {
    const d = ataDisks[i];
    s += (i != 0 ? "," : "") + "{\"model\":" + jsonString(d.model()) + ",\"sectors\":" + dec(d.sectors()) +
      ",\"lba48\":" + (d.lba48 ? "true" : "false") + ",\"cmd\":" + dec(d.commandBase()) +
      ",\"ctl\":" + dec(d.controlPort()) + ",\"slave\":" + (d.slave ? "true" : "false") +
      ",\"where\":" + jsonString(d.where) + "}";
  }
  return s + "],\"report\":" + jsonList(ataProbeReport()) + "}";
}

function ataDisk(i: u32): BlockDev | null { return i < <u32>ataDisks.length ? ataDisks[i] : null; }

// `count` sectors at `lba` of probed disk `i` into / out of the buffer at
// `buf` (a wasm address); "" or what went wrong.
export function ataRead(i: u32, lba: u64, count: u32, buf: u32): string {
  const d = ataDisk(i);
  return d === null ? "no disk " + dec(i) : d.read(lba, count, buf);
}
export function ataWrite(i: u32, lba: u64, count: u32, buf: u32): string {
  const d = ataDisk(i);
  return d === null ? "no disk " + dec(i) : d.write(lba, count, buf);
}
export function ataFlush(i: u32): string {
  const d = ataDisk(i);
  return d === null ? "no disk " + dec(i) : d.flush();
}

// The image store (dom0/store.ts) on the test disk (dom0/ramdisk.ts).
export {
  storeFreeKiB, storeWriteBegin, storeWrite, storeWriteCommit, storeWriteAbort, storeReadBegin, storeRead, storeReadEnd,
  storeRemove, storeError, storeMounted,
} from "./store";
export {
  ramdiskCreate, ramdiskAddr, ramdiskDropWritesAfter, ramdiskFailWritesAfter, ramdiskFailReadsAfter, ramdiskWritten,
  ramdiskFlushes, ramdiskLogTake,
} from "./ramdisk";
export function storeProbeRam(): u32 { return storeProbe(ramdisk()); }
export function storeMountRam(): string { return storeMount(ramdisk()); }
export function storeFormatRam(): string { return storeFormat(ramdisk()); }

function imageJson(m: StoreImage): string {
  let ext = "[";
  for (let k = 0; k < m.extents; k++) ext += (k != 0 ? "," : "") + "[" + dec(m.start[k]) + "," + dec(m.blocks[k]) + "]";
  return "{\"name\":" + jsonString(m.name) + ",\"domName\":" + jsonString(m.domName) + ",\"memKiB\":" + dec(m.memKiB) +
    ",\"bytes\":" + dec(m.bytes) + ",\"savedAt\":" + dec(m.savedAt) + ",\"crc\":" + dec(m.crc) + ",\"extents\":" + ext + "]}";
}

// The mounted store's directory: `[{name, domName, memKiB, bytes, savedAt, crc, extents: [[start, blocks]...]}...]`.
export function storeImagesJson(): string {
  const list = storeImages();
  let s = "[";
  for (let i = 0; i < list.length; i++) s += (i != 0 ? "," : "") + imageJson(list[i]);
  return s + "]";
}

// One image's entry, or `null`.
export function storeFindJson(name: string): string {
  const m = storeFind(name);
  return m === null ? "null" : imageJson(m);
}

// The CRC-32C of the `len` bytes at `p` by the engine in use; crcInit()
// installs the CPU's (dom0/crc.ts) where it has one.
export { crcInit } from "./crc";
export function crc32Of(p: usize, len: u32): u32 { return crc32(p, len); }
