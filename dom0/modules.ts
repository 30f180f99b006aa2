// The boot modules the hypervisor left to Domain 0 (HC_MODULE_LIST), and how
// the shell names them.
//
// GRUB hands a module only the words after its file name, so by convention
// the first word of a module's command line is its file name (grub.cfg
// repeats the path: `module2 /boot/guests/counter.elf /boot/guests/counter.elf`).
// A first word that is `domain`, `config` or a key=value word is not a file
// name (the module has none). A module is
//   - a config (an xl.cfg-style file, dom0/xlcfg.ts) when its file name ends
//     in `.cfg` or the word after the file name is `config`;
//   - a domain module when it has the `domain` word (`start=dom0`: the
//     hypervisor left it to Domain 0, src/domain/config.ts);
//   - otherwise an image (a kernel for a config's `kernel =`).
// The shell finds a module by its index, its file name or that name's last
// path component, or, for a domain module, its `name=`.
import { vmcall } from "./hw";
import {
  HC_MODULE_LIST, HC_MODULE_READ, HC_MODULE_LIST_MAX, HC_MODULE_READ_MAX,
  MODREC_INDEX, MODREC_CMDLINE_LEN, MODREC_SIZE_BYTES, MODREC_CMDLINE, MODREC_CMDLINE_MAX, MODREC_SIZE,
} from "../src/arch/abi";
import { isDomainModule } from "../src/domain/config";
import { optionValue } from "../src/boot/cmdline";
import { stringFromBytes, dec } from "../src/lib/str";
import { parseDecimal } from "./words";

export const MOD_IMAGE: i32 = 0;
export const MOD_CONFIG: i32 = 1;
export const MOD_DOMAIN: i32 = 2;

const records = memory.data(<i32>(HC_MODULE_LIST_MAX * MODREC_SIZE), 8);
let count: i32 = 0;

// Reads the list again (it does not change after boot, but is cheap); the
// count, or a negative errno.
export function modulesLoad(): i32 {
  const n = vmcall(HC_MODULE_LIST, records, HC_MODULE_LIST_MAX, 0, 0);
  count = n < 0 ? 0 : <i32>n;
  return n < 0 ? <i32>n : count;
}

export function moduleCount(): i32 { return count; }

function rec(slot: i32): usize { return records + <usize>(slot * <i32>MODREC_SIZE); }

export function moduleIndex(slot: i32): u32 { return load<u32>(rec(slot) + MODREC_INDEX); }
export function moduleSize(slot: i32): u64 { return load<u64>(rec(slot) + MODREC_SIZE_BYTES); }
export function moduleLineLen(slot: i32): u32 { return load<u32>(rec(slot) + MODREC_CMDLINE_LEN); }
export function moduleLinePtr(slot: i32): usize { return rec(slot) + MODREC_CMDLINE; }
export function moduleTruncated(slot: i32): bool { return moduleLineLen(slot) > MODREC_CMDLINE_MAX - 1; }

// The command line (its first MODREC_CMDLINE_MAX - 1 bytes when longer).
export function moduleLine(slot: i32): string {
  const n = moduleLineLen(slot);
  return stringFromBytes(moduleLinePtr(slot), n < MODREC_CMDLINE_MAX ? n : MODREC_CMDLINE_MAX - 1);
}

@inline function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09;
}

// Word `k` (0-based) of `line`, or "".
function word(line: string, k: i32): string {
  const n = line.length;
  let i = 0;
  for (let w = 0; ; w++) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i == n) return "";
    const start = i;
    while (i < n && !isSpace(line.charCodeAt(i))) i++;
    if (w == k) return line.substring(start, i);
  }
  return "";
}

// The file name at the start of a module command line, or "".
export function fileNameOf(line: string): string {
  const w = word(line, 0);
  if (w == "domain" || w == "config" || w.indexOf("=") >= 0) return "";
  return w;
}

export function baseName(path: string): string {
  return path.substring(path.lastIndexOf("/") + 1);
}

export function moduleKindOf(line: string): i32 {
  const file = fileNameOf(line);
  if (file.endsWith(".cfg") || word(line, file.length != 0 ? 1 : 0) == "config") return MOD_CONFIG;
  if (isDomainModule(line)) return MOD_DOMAIN;
  return MOD_IMAGE;
}

export function moduleKindName(kind: i32): string {
  if (kind == MOD_CONFIG) return "config";
  if (kind == MOD_DOMAIN) return "domain";
  return "image";
}

// How the shell calls a module: its file name, or `name=` of a domain
// module, or `#<index>`.
export function moduleLabel(slot: i32): string {
  const line = moduleLine(slot);
  const file = fileNameOf(line);
  if (file.length != 0) return baseName(file);
  const name = optionValue(line, "name");
  if (name !== null && isDomainModule(line)) return name;
  return "#" + dec(moduleIndex(slot));
}

// Does `what` name the module in `slot`?
function matches(slot: i32, what: string): bool {
  const line = moduleLine(slot);
  const file = fileNameOf(line);
  if (file.length != 0 && (file == what || baseName(file) == what)) return true;
  if (isDomainModule(line)) {
    const name = optionValue(line, "name");
    if (name !== null && name == what) return true;
  }
  return false;
}

// Set by moduleFind when it returns -1.
export let moduleFindError: string = "";

// The slot of the module `what` names (see the top), or -1 with
// moduleFindError set. Call modulesLoad() first.
export function moduleFind(what: string): i32 {
  const index = parseDecimal(what);
  let found = -1;
  let also = -1;
  for (let s = 0; s < count; s++) {
    const hit = index >= 0 ? <i64>moduleIndex(s) == index : matches(s, what);
    if (!hit) continue;
    if (found < 0) found = s;
    else if (also < 0) also = s;
  }
  if (found < 0) {
    moduleFindError = "no boot module \"" + what + "\" (modules lists them)";
    return -1;
  }
  if (also >= 0) {
    moduleFindError = "\"" + what + "\" names modules " + dec(moduleIndex(found)) + " and " +
      dec(moduleIndex(also)) + ": give its path or index";
    return -1;
  }
  return found;
}

// Copies the module's first `size` bytes to `dst`; false if a read fails.
export function moduleRead(slot: i32, dst: usize, size: u64): bool {
  return moduleReadAt(slot, 0, dst, size);
}

// Copies bytes [offset, offset + size) of the module to `dst`; false if a
// read fails or comes short (the module ends before).
export function moduleReadAt(slot: i32, offset: u64, dst: usize, size: u64): bool {
  const index = moduleIndex(slot);
  for (let off: u64 = 0; off < size; off += HC_MODULE_READ_MAX) {
    const want = size - off < HC_MODULE_READ_MAX ? size - off : HC_MODULE_READ_MAX;
    if (vmcall(HC_MODULE_READ, index, offset + off, dst + <usize>off, want) != <i64>want) return false;
  }
  return true;
}
