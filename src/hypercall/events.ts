// HC_EVENT_SETUP: a domain registers its event page and vector
// (src/domain/events.ts raises the events), and Domain 0 may take the
// serial console with it (src/domain/serial-console.ts).
import { Domain } from "../domain/domain";
import { guestRangeOk, guestToHostWrite } from "../domain/memory";
import { serialConsoleCheck, serialConsoleTake } from "../domain/serial-console";
import { VECTOR_COUNT } from "../arch/vmx-exit";
import { EFAULT, EINVAL, ENOMEM, EVENT_VECTOR_MIN, EVSETUP_FLAG_CONSOLE } from "../arch/abi";

const PAGE_SIZE: u64 = 4096;
const VECTOR_MAX: u64 = <u64>VECTOR_COUNT - 1;

@inline function err(e: u32): i64 { return -<i64>e; }

// HC_EVENT_SETUP(page, vector, flags). Checks, in order: flags (-EINVAL),
// vector 32-255 (-EINVAL), the page 4 KiB aligned and wholly the caller's
// memory (-EFAULT), and with EVSETUP_FLAG_CONSOLE the right to the console
// (-EPERM, -EBUSY); nothing changes on an error. Calling again moves the
// page and vector; the console stays taken. Returns 0, or with
// EVSETUP_FLAG_CONSOLE the hypervisor log's write position (HC_LOG_READ):
// from there on the log reaches the console only through the caller.
export function hcEventSetup(caller: Domain, page: u64, vector: u64, flags: u64): i64 {
  if ((flags & ~<u64>EVSETUP_FLAG_CONSOLE) != 0) return err(EINVAL);
  if (vector < <u64>EVENT_VECTOR_MIN || vector > VECTOR_MAX) return err(EINVAL);
  if ((page & (PAGE_SIZE - 1)) != 0 || !guestRangeOk(caller, page, PAGE_SIZE)) return err(EFAULT);
  const console = (flags & EVSETUP_FLAG_CONSOLE) != 0;
  if (console) {
    const e = serialConsoleCheck(caller);
    if (e != 0) return err(e);
  }
  // Aligned and mapped: the page is one host page (guest memory is never
  // split below 4 KiB), so its host address holds for all of it.
  const host = <usize>guestToHostWrite(caller, page);
  if (host == 0) return err(ENOMEM);
  caller.guest.eventPage = page;
  caller.eventPageHost = host;
  caller.guest.eventVector = <u32>vector;
  return console ? <i64>serialConsoleTake(caller) : 0;
}
