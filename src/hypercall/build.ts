// Run-time domain building (HC_MODULE_LIST ... HC_DOMAIN_START): Domain 0
// reads a boot module, creates a domain, loads its image and boot
// information, sets the vCPU's entry and starts it. The dispatcher has
// already checked the caller's right for each (RIGHT_*). Every id, size and guest range
// is checked before anything changes; a malformed call returns a negative
// errno and has no effect. The builder steps themselves are
// src/domain/builder.ts, shared with the boot-time path.
import { Domain, domainById, domain0, DOMSTATE_CREATED, DOMSTATE_STOPPED } from "../domain/domain";
import { guestCopy, guestRangeOk } from "../domain/memory";
import { moduleAvailable, moduleCount } from "../domain/modules";
import { DomainConfig, parseDomainConfig, rightsText } from "../domain/config";
import { rightsFromCmdline } from "../domain/rights";
import {
  domainCreate, domainSetEntry, domainStart, nextDomainName, builderHandoff,
} from "../lifecycle/builder";
import { stringFromBytes, hex } from "../lib/str";
import { print, println, printDec } from "../log/log";
import { ioBitmapPasses } from "../vmx/vmcs-init";
import {
  ESRCH, EFAULT, EINVAL, ENOMEM, EPERM, RIGHT_CONTROL,
  HC_MODULE_LIST_MAX, HC_MODULE_READ_MAX, HC_DOMAIN_CONFIG_MAX, HC_DOMAIN_LOAD_MAX,
  MODREC_INDEX, MODREC_CMDLINE_LEN, MODREC_SIZE_BYTES, MODREC_CMDLINE, MODREC_CMDLINE_MAX, MODREC_SIZE,
  VCPUENTRY_SIZE,
} from "../arch/abi";

@inline function err(e: u32): i64 { return -<i64>e; }

const modRecord = memory.data(<i32>MODREC_SIZE, 8);
const configBounce = memory.data(<i32>HC_DOMAIN_CONFIG_MAX);
const entryBounce = memory.data(<i32>VCPUENTRY_SIZE, 8);
// HC_DOMAIN_LOAD copies caller -> bounce -> target.
const loadBounce = memory.data(<i32>HC_DOMAIN_LOAD_MAX, 4096);

// HC_MODULE_LIST: up to `max` records of the modules not taken at boot, in
// module order.
export function hcModuleList(caller: Domain, buf: u64, max: u64): i64 {
  if (max > <u64>HC_MODULE_LIST_MAX) return err(EINVAL);
  if (!guestRangeOk(caller, buf, max * MODREC_SIZE)) return err(EFAULT);
  let n: u64 = 0;
  for (let i = 0; i < moduleCount() && n < max; i++) {
    const m = moduleAvailable(<u64>i);
    if (m === null) continue;
    memory.fill(modRecord, 0, MODREC_SIZE);
    store<u32>(modRecord + MODREC_INDEX, <u32>i);
    const line = m.cmdline;
    store<u32>(modRecord + MODREC_CMDLINE_LEN, <u32>line.length);
    store<u64>(modRecord + MODREC_SIZE_BYTES, m.end - m.start);
    for (let k = 0; k < line.length && k < <i32>MODREC_CMDLINE_MAX - 1; k++) {
      const ch = line.charCodeAt(k);
      store<u8>(modRecord + MODREC_CMDLINE + <u32>k, ch >= 0x20 && ch < 0x7f ? <u8>ch : 0x3f);
    }
    guestCopy(caller, buf + n * MODREC_SIZE, modRecord, MODREC_SIZE, true);
    n++;
  }
  return <i64>n;
}

// HC_MODULE_READ: bytes [offset, offset + len) of a listed module, clipped
// at its end; copied straight from the module (reserved memory).
export function hcModuleRead(caller: Domain, index: u64, offset: u64, buf: u64, len: u64): i64 {
  const m = moduleAvailable(index);
  if (m === null) return err(ESRCH);
  if (len > <u64>HC_MODULE_READ_MAX) return err(EINVAL);
  if (!guestRangeOk(caller, buf, len)) return err(EFAULT);
  const size = m.end - m.start;
  if (offset >= size) return 0;
  const n = size - offset < len ? size - offset : len;
  guestCopy(caller, buf, <usize>(m.start + offset), n, true);
  return <i64>n;
}

// HC_DOMAIN_RIGHTS: the domain's rights become `rights`. The caller must
// hold them and every right the domain has now (so it can take back what
// it gave, never give more, and never demote one above it); Domain 0's
// are its own.
export function hcDomainRights(caller: Domain, id: u64, rights: u64): i64 {
  const d = domainById(id);
  if (d === null || d.state == DOMSTATE_STOPPED || d === caller) return err(ESRCH);
  if ((rights & ~<u64>RIGHT_CONTROL) != 0) return err(EINVAL);
  if (d === domain0() || ((<u32>rights | d.rights) & ~caller.rights) != 0) return err(EPERM);
  d.rights = <u32>rights;
  return 0;
}

// Why `caller` may not create a domain of `cfg`, or "": it gives only
// rights it holds itself, and only ports it reaches itself.
function beyondCaller(caller: Domain, cfg: DomainConfig): string {
  const rights = rightsFromCmdline(cfg.cmdline) & ~caller.rights;
  if (rights != 0) return "it may not give rights it lacks (" + rightsText(rights) + ")";
  for (let i = 0; i + 1 < cfg.ioports.length; i += 2) {
    if (!ioBitmapPasses(caller.ioBitmapA, unchecked(cfg.ioports[i]), unchecked(cfg.ioports[i + 1]))) {
      return "it may not give ports it does not hold (" + hex(unchecked(cfg.ioports[i]), 4) + " ...)";
    }
  }
  return "";
}

function createRefused(caller: Domain, why: string): void {
  print("hv: HC_DOMAIN_CREATE by domain ");
  printDec(caller.id);
  print(": ");
  println(why);
}

// HC_DOMAIN_CREATE: the config text (printable ASCII and tabs, no NUL) is
// parsed as a module command line; -EINVAL if it is not a valid config or
// `image` or `initrd` (1 + a module index, 0 none) names no module left to
// Domain 0, -EPERM if it gives rights or ports the caller lacks, -ENOMEM if
// the memory is not there (nothing kept).
export function hcDomainCreate(caller: Domain, gpa: u64, len: u64, image: u64, initrd: u64): i64 {
  if (len == 0 || len > <u64>HC_DOMAIN_CONFIG_MAX) return err(EINVAL);
  const m = image != 0 ? moduleAvailable(image - 1) : null;
  if (image != 0 && m === null) return err(EINVAL);
  const rd = initrd != 0 ? moduleAvailable(initrd - 1) : null;
  if (initrd != 0 && (rd === null || m === null)) return err(EINVAL);
  if (!guestCopy(caller, gpa, configBounce, len, false)) return err(EFAULT);
  for (let i: u32 = 0; i < <u32>len; i++) {
    const c = load<u8>(configBounce + i);
    if ((c < 0x20 || c >= 0x7f) && c != 0x09) return err(EINVAL);
  }
  const cfg = parseDomainConfig(stringFromBytes(configBounce, <u32>len), nextDomainName());
  if (cfg.error.length != 0) {
    createRefused(caller, cfg.error);
    return err(EINVAL);
  }
  const beyond = beyondCaller(caller, cfg);
  if (beyond.length != 0) {
    createRefused(caller, beyond);
    return err(EPERM);
  }
  const d = domainCreate(cfg, builderHandoff());
  if (d === null) return err(ENOMEM);
  d.image = m;
  d.initrd = rd;
  print("hv: domain ");
  printDec(d.id);
  print(" (");
  print(d.name);
  print(") created by domain ");
  printDec(caller.id);
  print(": memory ");
  printDec(d.guest.memBytes >> 10);
  println(" KiB");
  return <i64>d.id;
}

// A created (not yet started) domain by id: null with the errno in `e`.
let targetErrno: u32 = 0;
function createdTarget(id: u64): Domain | null {
  const d = domainById(id);
  if (d === null) { targetErrno = ESRCH; return null; }
  if (d.state != DOMSTATE_CREATED) { targetErrno = EINVAL; return null; }
  return d;
}

// HC_DOMAIN_LOAD: [src, src + len) of the caller to [dst, dst + len) of
// the target, both checked whole before anything is copied.
export function hcDomainLoad(caller: Domain, id: u64, dst: u64, src: u64, len: u64): i64 {
  const d = createdTarget(id);
  if (d === null) return err(targetErrno);
  if (len > <u64>HC_DOMAIN_LOAD_MAX) return err(EINVAL);
  if (!guestRangeOk(d, dst, len) || !guestRangeOk(caller, src, len)) return err(EFAULT);
  guestCopy(caller, src, loadBounce, len, false);
  guestCopy(d, dst, loadBounce, len, true);
  return <i64>len;
}

// HC_VCPU_SET_ENTRY: the VCPUENTRY record at `gpa` of the caller.
export function hcVcpuSetEntry(caller: Domain, id: u64, vcpu: u64, gpa: u64): i64 {
  const d = createdTarget(id);
  if (d === null) return err(targetErrno);
  if (!guestCopy(caller, gpa, entryBounce, VCPUENTRY_SIZE, false)) return err(EFAULT);
  const e = domainSetEntry(d, vcpu, entryBounce);
  return e == 0 ? 0 : err(e);
}

// HC_DOMAIN_START.
export function hcDomainStart(caller: Domain, id: u64): i64 {
  const d = createdTarget(id);
  if (d === null) return err(targetErrno);
  const e = domainStart(d);
  if (e != 0) return err(e);
  print("hv: domain ");
  printDec(d.id);
  print(" (");
  print(d.name);
  print(") started by domain ");
  printDec(caller.id);
  println("");
  return 0;
}

