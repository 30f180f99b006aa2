// What Domain 0's wasm exports besides kmain: entry points for the unit
// tests (tests/unit/dom0-*.test.ts), which run this same module in Node
// against a simulated machine and hypervisor (tests/sim/dom0.ts).
import { stringFromBytes, jsonString, dec, hex } from "../src/lib/str";
import { cpuListParse, cpuListError, cpuListText } from "./cpulist";
import { splitWords } from "./words";
import { XlConfig, xlParseFile, xlAssignWord, xlToDomainLine } from "./xlcfg";
import { planCreate } from "./create";
import { domainResolve, resolveError, domId } from "./domains";
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
