// Virtual-processor identifiers (SDM Vol. 3C 29.1): one per vCPU, so that
// the linear translations of two vCPUs never mix in a TLB, even two of one
// domain run in turn on one CPU. VPID 0 is the host's. A freed VPID may be
// handed out again once every CPU has flushed it (tlbFlushEverywhere, which
// stopping a domain does).
const VPID_COUNT: u32 = 1 << 16;
const used = memory.data(<i32>(VPID_COUNT >> 3));
let next: u32 = 1;

// A free VPID, or 0 if all 65535 are in use.
export function vpidAlloc(): u32 {
  for (let k: u32 = 0; k < VPID_COUNT; k++) {
    const v = (next + k) & (VPID_COUNT - 1);
    if (v == 0) continue;
    const byte = used + (v >> 3);
    const bit = <u8>(<u32>1 << (v & 7));
    if ((load<u8>(byte) & bit) == 0) {
      store<u8>(byte, load<u8>(byte) | bit);
      next = v + 1;
      return v;
    }
  }
  return 0;
}

export function vpidFree(v: u32): void {
  if (v == 0 || v >= VPID_COUNT) return;
  const byte = used + (v >> 3);
  store<u8>(byte, load<u8>(byte) & ~<u8>(<u32>1 << (v & 7)));
}
