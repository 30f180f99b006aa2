// Domain 0's run-time domain builder: each boot module the hypervisor left
// for it (`domain ... start=dom0`, listed by HC_MODULE_LIST) becomes a
// running domain through hypercalls. The image is parsed by the hypervisor's
// own parser (src/domain/image.ts), the boot information and the vCPU entry
// are made by the same portable code the boot-time builder uses
// (src/domain/entry.ts, src/domain/bootinfo-writer.ts):
//
//   HC_MODULE_READ (whole image, 64 KiB at a time) -> parseImage ->
//   HC_DOMAIN_CREATE (the module's command line) -> HC_DOMAIN_LOAD (each
//   segment's file bytes; the rest of new memory is already zero) ->
//   imageBootInfo + HC_DOMAIN_LOAD -> imageEntry + HC_VCPU_SET_ENTRY ->
//   HC_DOMAIN_START
//
// A step that fails destroys the half-built domain and reports the errno.
import { vmcall, rdtsc } from "./hw";
import { puts, putsln, putDec, putSigned } from "./uart";
import {
  HC_MODULE_LIST, HC_MODULE_READ, HC_DOMAIN_CREATE, HC_DOMAIN_LOAD, HC_VCPU_SET_ENTRY, HC_DOMAIN_START,
  HC_DOMAIN_DESTROY, HC_DOMAIN_INFO, HC_MODULE_LIST_MAX, HC_MODULE_READ_MAX, HC_DOMAIN_LOAD_MAX,
  HC_DOMAIN_CONFIG_MAX, MODREC_INDEX, MODREC_CMDLINE_LEN, MODREC_SIZE_BYTES, MODREC_CMDLINE,
  MODREC_CMDLINE_MAX, MODREC_SIZE, VCPUENTRY_SIZE, GUEST_BOOTINFO_GPA, DOMREC_NAME, DOMREC_NAME_MAX,
  DOMINFO_SIZE,
} from "../src/hypercall/abi";
import { parseDomainConfig, isDomainModule, isForDom0 } from "../src/domain/config";
import { parseImage } from "../src/domain/image";
import { imageBootInfo, imageEntry } from "../src/domain/entry";
import { BOOTINFO_MAX, bootInfoErrorText } from "../src/domain/bootinfo-writer";
import { stringFromBytes } from "../src/lib/str";

// Largest module image Domain 0 reads into its memory.
const IMAGE_MAX: u64 = 8 << 20;

const modBuf = memory.data(<i32>(HC_MODULE_LIST_MAX * MODREC_SIZE), 8);
const bootInfo = memory.data(<i32>BOOTINFO_MAX, 8);
const entry = memory.data(<i32>VCPUENTRY_SIZE, 8);
const info = memory.data(<i32>DOMINFO_SIZE, 8);

function fail(index: u32, what: string, rc: i64): void {
  puts("dom0: module ");
  putDec(index);
  puts(": ");
  puts(what);
  if (rc != 0) {
    puts(" (");
    putSigned(rc);
    puts(")");
  }
  putsln("");
}

// Builds and starts every module left for Domain 0; the number started.
export function buildModuleDomains(): u32 {
  const n = vmcall(HC_MODULE_LIST, modBuf, HC_MODULE_LIST_MAX, 0, 0);
  if (n < 0) {
    puts("dom0: HC_MODULE_LIST failed: ");
    putSigned(n);
    putsln("");
    return 0;
  }
  let started: u32 = 0;
  for (let i: u32 = 0; i < <u32>n; i++) {
    const r = modBuf + <usize>(i * MODREC_SIZE);
    const index = load<u32>(r + MODREC_INDEX);
    const lineLen = load<u32>(r + MODREC_CMDLINE_LEN);
    const shown = lineLen < MODREC_CMDLINE_MAX ? lineLen : MODREC_CMDLINE_MAX - 1;
    const line = stringFromBytes(r + MODREC_CMDLINE, shown);
    if (!isDomainModule(line) || !isForDom0(line)) continue;
    if (lineLen >= MODREC_CMDLINE_MAX || lineLen > HC_DOMAIN_CONFIG_MAX) {
      fail(index, "command line longer than " + (MODREC_CMDLINE_MAX - 1).toString() + " bytes", 0);
      continue;
    }
    if (buildOne(index, r + MODREC_CMDLINE, lineLen, line, load<u64>(r + MODREC_SIZE_BYTES))) started++;
  }
  return started;
}

function buildOne(index: u32, linePtr: usize, lineLen: u32, line: string, size: u64): bool {
  const cfg = parseDomainConfig(line, "dom");
  if (cfg.error.length != 0) {
    fail(index, cfg.error, 0);
    return false;
  }
  if (size == 0 || size > IMAGE_MAX) {
    fail(index, "image size not in 1 byte .. 8 MiB", 0);
    return false;
  }
  const image = heap.alloc(<usize>size);
  for (let off: u64 = 0; off < size; off += HC_MODULE_READ_MAX) {
    const want = size - off < HC_MODULE_READ_MAX ? size - off : HC_MODULE_READ_MAX;
    const got = vmcall(HC_MODULE_READ, index, off, image + <usize>off, want);
    if (got != <i64>want) {
      fail(index, "HC_MODULE_READ failed", got);
      return false;
    }
  }
  const img = parseImage(image, size, cfg.kind, cfg.memBytes, cfg.load);
  if (img.error.length != 0) {
    fail(index, img.error, 0);
    return false;
  }
  const biSize = imageBootInfo(img, bootInfo, cfg.memBytes, cfg.cmdline);
  if (biSize < 0) {
    fail(index, bootInfoErrorText(biSize), 0);
    return false;
  }
  imageEntry(img, entry);

  const t0 = rdtsc();
  const id = vmcall(HC_DOMAIN_CREATE, linePtr, lineLen, 0, 0);
  if (id < 0) {
    fail(index, "HC_DOMAIN_CREATE failed", id);
    return false;
  }
  for (let s = 0; s < img.segments.length; s++) {
    const seg = unchecked(img.segments[s]);
    for (let off: u64 = 0; off < seg.fileSize; off += HC_DOMAIN_LOAD_MAX) {
      const len = seg.fileSize - off < HC_DOMAIN_LOAD_MAX ? seg.fileSize - off : HC_DOMAIN_LOAD_MAX;
      const rc = vmcall(HC_DOMAIN_LOAD, <u64>id, seg.gpa + off, image + <usize>(seg.fileOffset + off), len);
      if (rc != <i64>len) return abandon(index, <u64>id, "HC_DOMAIN_LOAD of a segment failed", rc);
    }
  }
  if (biSize > 0) {
    const rc = vmcall(HC_DOMAIN_LOAD, <u64>id, GUEST_BOOTINFO_GPA, bootInfo, <u64>biSize);
    if (rc != <i64>biSize) return abandon(index, <u64>id, "HC_DOMAIN_LOAD of the boot information failed", rc);
  }
  let rc = vmcall(HC_VCPU_SET_ENTRY, <u64>id, 0, entry, 0);
  if (rc != 0) return abandon(index, <u64>id, "HC_VCPU_SET_ENTRY failed", rc);
  rc = vmcall(HC_DOMAIN_START, <u64>id, 0, 0, 0);
  if (rc != 0) return abandon(index, <u64>id, "HC_DOMAIN_START failed", rc);
  const t1 = rdtsc();

  // The name the hypervisor gave it (name= or its default).
  puts("dom0: created domain ");
  putDec(<u64>id);
  puts(" ");
  if (vmcall(HC_DOMAIN_INFO, <u64>id, info, 0, 0) == 0) {
    let k: u32 = 0;
    while (k < DOMREC_NAME_MAX && load<u8>(info + DOMREC_NAME + k) != 0) k++;
    puts(stringFromBytes(info + DOMREC_NAME, k));
  } else {
    puts(cfg.name);
  }
  puts(" from module ");
  putDec(index);
  putsln("");
  puts("dom0: create to start took ");
  putDec(t1 - t0);
  putsln(" TSC ticks");
  return true;
}

function abandon(index: u32, id: u64, what: string, rc: i64): bool {
  fail(index, what, rc);
  vmcall(HC_DOMAIN_DESTROY, id, 0, 0, 0);
  return false;
}
