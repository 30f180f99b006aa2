// Small text helpers for messages: errno results and memory sizes.
import { EPERM, ENOENT, ESRCH, EFAULT, ENOMEM, EBUSY, EEXIST, EINVAL, ENOSPC, ENOSYS } from "../src/arch/abi";
import { dec } from "../src/lib/str";

export function errnoName(e: u64): string {
  if (e == EPERM) return "EPERM";
  if (e == ENOENT) return "ENOENT";
  if (e == ESRCH) return "ESRCH";
  if (e == EEXIST) return "EEXIST";
  if (e == ENOSPC) return "ENOSPC";
  if (e == EFAULT) return "EFAULT";
  if (e == ENOMEM) return "ENOMEM";
  if (e == EBUSY) return "EBUSY";
  if (e == EINVAL) return "EINVAL";
  if (e == ENOSYS) return "ENOSYS";
  return "";
}

// "-22 EINVAL" for a negative result.
export function errnoText(rc: i64): string {
  if (rc >= 0) return dec(<u64>rc);
  const e = <u64>(-rc);
  const name = errnoName(e);
  return "-" + dec(e) + (name.length != 0 ? " " + name : "");
}

// "64 MiB", "495.6 MiB" (tenths, rounded down: no floating point), or
// "512 KiB" below 1 MiB.
export function kibText(kib: u64): string {
  if (kib < 1024) return dec(kib) + " KiB";
  if ((kib & 1023) == 0) return dec(kib >> 10) + " MiB";
  const tenths = (kib * 10) >> 10;
  return dec(tenths / 10) + "." + dec(tenths % 10) + " MiB";
}
