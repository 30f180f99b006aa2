// Small text helpers for messages: errno results and memory sizes.
import { EPERM, ESRCH, EFAULT, ENOMEM, EBUSY, EINVAL, ENOSYS } from "../src/hypercall/abi";
import { dec } from "../src/lib/str";

export function errnoName(e: u64): string {
  if (e == EPERM) return "EPERM";
  if (e == ESRCH) return "ESRCH";
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

// "64 MiB", or "1028 KiB" when not whole MiB.
export function kibText(kib: u64): string {
  if (kib != 0 && (kib & 1023) == 0) return dec(kib >> 10) + " MiB";
  return dec(kib) + " KiB";
}
