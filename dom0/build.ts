// Domain 0's domain builder: a config line and a boot module's image become
// a running domain through hypercalls. The image is parsed by the
// hypervisor's own parser (src/domain/image.ts); the boot information and
// the vCPU entry are made by the same portable code the boot-time builder
// uses (src/domain/entry.ts, src/domain/bootinfo-writer.ts):
//
//   HC_MODULE_READ (whole image, 64 KiB at a time) -> parseImage ->
//   HC_DOMAIN_CREATE (the config line) -> HC_DOMAIN_LOAD (each segment's
//   file bytes; the rest of new memory is already zero) ->
//   imageBootInfo + HC_DOMAIN_LOAD -> imageEntry + HC_VCPU_SET_ENTRY ->
//   HC_DOMAIN_START
//
// A Linux bzImage (larger than Domain 0's memory would hold) is parsed
// from its first 64 KiB; its kernel and its initrd (`ramdisk=`, placed by
// bzImageInitrdAt) go from their modules to the domain 64 KiB at a time,
// HC_MODULE_READ then HC_DOMAIN_LOAD.
//
// Everything is checked before HC_DOMAIN_CREATE; a later step that fails
// destroys the half-built domain. Used at boot for the `start=dom0` modules
// and by the shell's `create`.
import { vmcall, rdtsc } from "./hw";
import {
  HC_DOMAIN_CREATE, HC_DOMAIN_LOAD, HC_VCPU_SET_ENTRY, HC_DOMAIN_START, HC_DOMAIN_DESTROY, HC_DOMAIN_INFO,
  HC_DOMAIN_LOAD_MAX, HC_DOMAIN_CONFIG_MAX, HC_MODULE_READ_MAX, VCPUENTRY_SIZE, GUEST_BOOTINFO_GPA, DOMREC_NAME, DOMREC_NAME_MAX,
  DOMINFO_SIZE, ENOMEM, EINVAL,
} from "../src/arch/abi";
import { parseDomainConfig } from "../src/domain/config";
import { GuestImage, parseImage, parseBzImage } from "../src/domain/image";
import { bzImageIs, bzImageInitrdAt, bzImageInitrdMiss } from "../src/domain/bzimage";
import { imageBootInfo, imageEntry } from "../src/domain/entry";
import { BOOTINFO_MAX, bootInfoErrorText } from "../src/domain/bootinfo-writer";
import { stringFromBytes, strnlen, dec } from "../src/lib/str";
import { moduleSize, moduleRead, moduleReadAt, moduleLabel, moduleIndex } from "./modules";
import { hostRead, hostMemFreeKiB } from "./host";
import { errnoText, kibText } from "./text";

// Largest image Domain 0 reads into its memory.
export const IMAGE_MAX: u64 = 8 << 20;

const bootInfo = memory.data(<i32>BOOTINFO_MAX, 8);
const entry = memory.data(<i32>VCPUENTRY_SIZE, 8);
const info = memory.data(<i32>DOMINFO_SIZE, 8);
const configBuf = memory.data(<i32>HC_DOMAIN_CONFIG_MAX);
// A module's first bytes (a bzImage's header), then each piece streamed.
const chunk = memory.data(<i32>HC_MODULE_READ_MAX, 8);

// One image buffer, grown to the largest image read and then reused.
let imageBuf: usize = 0;
let imageCap: usize = 0;

export class BuildResult {
  id: i64 = -1;           // the new domain's id, -1 on failure
  name: string = "";      // its name as the hypervisor keeps it
  error: string = "";     // what went wrong, naming the module or step
  createTsc: u64 = 0;     // rdtsc before HC_DOMAIN_CREATE
  startTicks: u64 = 0;    // HC_DOMAIN_CREATE .. HC_DOMAIN_START, TSC ticks

  fail(message: string): BuildResult {
    this.error = message;
    return this;
  }
}

function abandon(r: BuildResult, id: i64, what: string, rc: i64): BuildResult {
  return abandonWith(r, id, what + " failed (" + errnoText(rc) + ")");
}

function imageSpace(size: usize): usize {
  if (size > imageCap) {
    imageBuf = imageBuf == 0 ? heap.alloc(size) : heap.realloc(imageBuf, size);
    imageCap = size;
  }
  return imageBuf;
}

// Copies [off, off + len) of the module in `slot` to guest-physical `gpa`
// of domain `id`, a piece at a time; "" or the step that failed.
function streamModule(slot: i32, off: u64, len: u64, id: i64, gpa: u64): string {
  for (let done: u64 = 0; done < len; done += HC_DOMAIN_LOAD_MAX) {
    const n = len - done < HC_DOMAIN_LOAD_MAX ? len - done : HC_DOMAIN_LOAD_MAX;
    if (!moduleReadAt(slot, off + done, chunk, n)) return "HC_MODULE_READ of " + moduleLabel(slot) + " at " + dec(off + done) + " failed";
    const rc = vmcall(HC_DOMAIN_LOAD, <u64>id, gpa + done, chunk, n);
    if (rc != <i64>n) return "HC_DOMAIN_LOAD of " + moduleLabel(slot) + " failed (" + errnoText(rc) + ")";
  }
  return "";
}

// Destroys the half-built domain `id`; the build fails with `why`.
function abandonWith(r: BuildResult, id: i64, why: string): BuildResult {
  vmcall(HC_DOMAIN_DESTROY, <u64>id, 0, 0, 0);
  return r.fail(why);
}

// Builds and starts a domain from `line` (a module command line with the
// `domain` word: the HC_DOMAIN_CREATE config) and the image of the module
// in `slot` (dom0/modules.ts); `rdSlot`, if not -1, is a Linux kernel's
// initrd.
export function buildDomain(line: string, slot: i32, rdSlot: i32 = -1): BuildResult {
  const r = new BuildResult();
  const what = "module " + dec(moduleIndex(slot)) + " (" + moduleLabel(slot) + ")";
  const cfg = parseDomainConfig(line, "dom");
  if (cfg.error.length != 0) return r.fail(cfg.error);
  if (line.length > <i32>HC_DOMAIN_CONFIG_MAX) {
    return r.fail("config longer than " + dec(HC_DOMAIN_CONFIG_MAX) + " bytes");
  }
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 || c >= 0x7f) && c != 0x09) return r.fail("config has a character that is not printable ASCII");
    store<u8>(configBuf + <usize>i, <u8>c);
  }
  const size = moduleSize(slot);
  const sizeError = what + ": image size " + dec(size) + " bytes not in 1 byte .. " + kibText(IMAGE_MAX >> 10);
  if (size == 0) return r.fail(sizeError);
  const head = size < <u64>HC_MODULE_READ_MAX ? size : <u64>HC_MODULE_READ_MAX;
  if (!moduleRead(slot, chunk, head)) return r.fail(what + ": HC_MODULE_READ failed");
  // A bzImage streams from its module; anything else is read whole.
  const streamed = bzImageIs(chunk, head);
  let image: usize = 0;
  let img: GuestImage;
  if (streamed) {
    img = parseBzImage(chunk, head, size, cfg.memBytes);
  } else {
    if (size > IMAGE_MAX) return r.fail(sizeError);
    image = imageSpace(<usize>size);
    if (!moduleRead(slot, image, size)) return r.fail(what + ": HC_MODULE_READ failed");
    img = parseImage(image, size, cfg.kind, cfg.memBytes, cfg.load);
  }
  if (img.error.length != 0) return r.fail(what + ": " + img.error);
  let rdAt: u64 = 0;
  let rdSize: u64 = 0;
  if (rdSlot >= 0) {
    const rdWhat = "ramdisk " + moduleLabel(rdSlot);
    const b = img.bz;
    if (b === null) return r.fail(rdWhat + ": an initrd is for a Linux kernel, " + moduleLabel(slot) + " is " + img.format);
    rdSize = moduleSize(rdSlot);
    rdAt = bzImageInitrdAt(b, cfg.memBytes, rdSize);
    if (rdAt == 0) return r.fail(rdWhat + ": " + bzImageInitrdMiss(b, cfg.memBytes, rdSize));
  }
  const biSize = imageBootInfo(img, bootInfo, cfg.memBytes, cfg.cmdline, rdAt, rdSize);
  if (biSize < 0) return r.fail(what + ": " + bootInfoErrorText(biSize));
  imageEntry(img, entry);

  r.createTsc = rdtsc();
  // The image's module goes with the config: a restart (on_reboot=restart)
  // builds the domain again from it.
  const id = vmcall(HC_DOMAIN_CREATE, configBuf, <u64>line.length, <u64>moduleIndex(slot) + 1,
    rdSlot >= 0 ? <u64>moduleIndex(rdSlot) + 1 : 0);
  if (id == -<i64>ENOMEM) {
    const known = hostRead() == 0;
    // Enough free frames, yet no room: the hypervisor's own memory (its
    // heap, the domain's EPT and VMCSs); its log line says which.
    if (known && hostMemFreeKiB() >= cfg.memBytes >> 10) {
      return r.fail("the hypervisor has no room for another domain (" + kibText(hostMemFreeKiB()) + " free for guests; dmesg says why)");
    }
    return r.fail("not enough memory for " + kibText(cfg.memBytes >> 10) + (known ? ": " + kibText(hostMemFreeKiB()) + " free" : ""));
  }
  if (id == -<i64>EINVAL) return r.fail("the hypervisor refused the config \"" + line + "\" (-22 EINVAL)");
  if (id < 0) return r.fail("HC_DOMAIN_CREATE failed (" + errnoText(id) + ")");
  for (let s = 0; s < img.segments.length; s++) {
    const seg = unchecked(img.segments[s]);
    if (streamed) {
      const e = streamModule(slot, seg.fileOffset, seg.fileSize, id, seg.gpa);
      if (e.length != 0) return abandonWith(r, id, e);
      continue;
    }
    for (let off: u64 = 0; off < seg.fileSize; off += HC_DOMAIN_LOAD_MAX) {
      const len = seg.fileSize - off < HC_DOMAIN_LOAD_MAX ? seg.fileSize - off : HC_DOMAIN_LOAD_MAX;
      const rc = vmcall(HC_DOMAIN_LOAD, <u64>id, seg.gpa + off, image + <usize>(seg.fileOffset + off), len);
      if (rc != <i64>len) return abandon(r, id, "HC_DOMAIN_LOAD of a segment", rc);
    }
  }
  if (rdSlot >= 0) {
    const e = streamModule(rdSlot, 0, rdSize, id, rdAt);
    if (e.length != 0) return abandonWith(r, id, e);
  }
  if (biSize > 0) {
    const rc = vmcall(HC_DOMAIN_LOAD, <u64>id, GUEST_BOOTINFO_GPA, bootInfo, <u64>biSize);
    if (rc != <i64>biSize) return abandon(r, id, "HC_DOMAIN_LOAD of the boot information", rc);
  }
  let rc = vmcall(HC_VCPU_SET_ENTRY, <u64>id, 0, entry, 0);
  if (rc != 0) return abandon(r, id, "HC_VCPU_SET_ENTRY", rc);
  rc = vmcall(HC_DOMAIN_START, <u64>id, 0, 0, 0);
  if (rc != 0) return abandon(r, id, "HC_DOMAIN_START", rc);
  r.startTicks = rdtsc() - r.createTsc;
  r.id = id;
  // The name the hypervisor gave it (name= or its default).
  r.name = cfg.name;
  if (vmcall(HC_DOMAIN_INFO, <u64>id, info, 0, 0) == 0) {
    const n = strnlen(info + DOMREC_NAME, DOMREC_NAME_MAX);
    r.name = stringFromBytes(info + DOMREC_NAME, n < 0 ? DOMREC_NAME_MAX : <u32>n);
  }
  return r;
}
