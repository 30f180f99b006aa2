// How long a domain Domain 0 created took to show its first console output:
// the TSC at HC_DOMAIN_CREATE is kept for the last few domains created, and
// each EVENT_CONSOLE checks those still silent (a one-byte HC_CONSOLE_READ).
// The time is Domain 0's view: when it was woken after the first byte.
import { vmcall, rdtsc } from "./hw";
import { HC_CONSOLE_READ } from "../src/arch/abi";

const TRACKED: i32 = 16;
const ids = memory.data(TRACKED * 8, 8);
const created = memory.data(TRACKED * 8, 8);
const firstOut = memory.data(TRACKED * 8, 8);   // ticks, 0 while silent
const probe = memory.data(8);
let next: i32 = 0;

export function firstOutputTrack(id: u64, createTsc: u64): void {
  store<u64>(ids + <usize>(next * 8), id);
  store<u64>(created + <usize>(next * 8), createTsc);
  store<u64>(firstOut + <usize>(next * 8), 0);
  next = (next + 1) % TRACKED;
}

export function firstOutputPoll(): void {
  let now: u64 = 0;
  for (let i = 0; i < TRACKED; i++) {
    const id = load<u64>(ids + <usize>(i * 8));
    if (id == 0 || load<u64>(firstOut + <usize>(i * 8)) != 0) continue;
    if (vmcall(HC_CONSOLE_READ, id, 0, probe, 1) != 1) continue;
    if (now == 0) now = rdtsc();
    const t = now - load<u64>(created + <usize>(i * 8));
    store<u64>(firstOut + <usize>(i * 8), t != 0 ? t : 1);
  }
}

// TSC ticks from create to the first output seen, or 0 (not tracked or silent).
export function firstOutputTicks(id: u64): u64 {
  for (let i = 0; i < TRACKED; i++) {
    if (load<u64>(ids + <usize>(i * 8)) == id) return load<u64>(firstOut + <usize>(i * 8));
  }
  return 0;
}
