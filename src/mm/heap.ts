// The regions of the running hypervisor (src/mm/region.ts): until the run
// loops start, allocations are boot's and permanent; from then on they go
// to the scratch arena, which the run loop empties between exits and
// hypercalls, so that nothing a guest makes the hypervisor do can grow its
// memory. What must outlive that goes explicitly to the permanent heap
// (global tables, made at boot) or to a domain's arena (src/lifecycle/).
import {
  Region, regionUse, regionCurrent, regionPermanent, arenaCreate, arenaReset, REGION_PERMANENT,
} from "./region";

// What one exit or hypercall may need for a moment (log lines, a config).
const SCRATCH_BYTES: usize = 64 << 10;

let scratch: Region | null = null;

// The run loops start: allocations go to the scratch arena from now on.
// False if there are no frames for it.
export function heapRunning(): bool {
  if (scratch === null) {
    const s = arenaCreate(SCRATCH_BYTES);
    if (s === null) return false;
    scratch = s;
  }
  regionUse(scratch!);
  return true;
}

// Bytes the scratch arena holds (part of the arenas' count).
export function heapScratchBytes(): usize {
  return scratch !== null ? <usize>scratch!.pages << 12 : 0;
}

// Empties the scratch arena: nothing allocated since the last call is used
// any more. A no-op when scratch is not the current region (boot, or a
// domain being built).
export function scratchReset(): void {
  const s = scratch;
  if (s === null || changetype<usize>(regionCurrent()) != changetype<usize>(s) || s.used == 0) return;
  arenaReset(s);
}

// Switches allocation to the permanent heap (a global table made after
// boot); returns what to switch back to with regionUse.
export function permanentBegin(): Region {
  return regionUse(regionPermanent());
}

// Is allocation going to the permanent heap now (boot)?
export function heapIsBoot(): bool {
  return regionCurrent().id == REGION_PERMANENT;
}
