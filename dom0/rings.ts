// Reading the hypervisor's byte rings: its log (HC_LOG_READ) and a domain's
// console (HC_CONSOLE_READ). Positions are absolute byte counts. A read from
// before the oldest byte still held is clamped without saying so, so a
// reader that wants the whole ring first finds the head (a read at p returns
// a byte iff p < head: an exponential then binary search, ~2 log2(head)
// one-byte reads) and starts at max(0, head - ring size).
import { vmcall } from "./hw";
import { putText } from "./uart";
import {
  HC_LOG_READ, HC_CONSOLE_READ, HC_LOG_READ_MAX, LOG_READ_OWN, LOG_RING_BYTES, CONSOLE_RING_BYTES,
} from "../src/arch/abi";

export const RING_LOG: i64 = -1;   // `id` for the hypervisor log
export const RING_LOG_OWN: i64 = -2;   // its own lines (LOG_READ_OWN)

export const RING_CHUNK: u32 = HC_LOG_READ_MAX; // == HC_CONSOLE_READ_MAX
export const ringBuf = memory.data(<i32>RING_CHUNK, 8);
const probeBuf = memory.data(8);

// Bytes read from `ring` (RING_LOG or a domain id) at `from` into `dst`.
export function ringRead(ring: i64, from: u64, dst: usize, len: u32): i64 {
  if (ring == RING_LOG) return vmcall(HC_LOG_READ, from, dst, len, 0);
  if (ring == RING_LOG_OWN) return vmcall(HC_LOG_READ, from, dst, len, LOG_READ_OWN);
  return vmcall(HC_CONSOLE_READ, <u64>ring, from, dst, len);
}

// The ring's head (bytes ever written), or a negative errno.
export function ringHead(ring: i64): i64 {
  let r = ringRead(ring, 0, probeBuf, 1);
  if (r <= 0) return r;
  let lo: u64 = 0;        // lo < head
  let hi: u64 = RING_CHUNK; // grows until hi >= head
  for (;;) {
    r = ringRead(ring, hi, probeBuf, 1);
    if (r < 0) return r;
    if (r == 0) break;
    lo = hi;
    hi <<= 1;
  }
  while (hi - lo > 1) {
    const mid = lo + (hi - lo) / 2;
    r = ringRead(ring, mid, probeBuf, 1);
    if (r < 0) return r;
    if (r > 0) lo = mid;
    else hi = mid;
  }
  return <i64>hi;
}

export function ringSize(ring: i64): u64 {
  return ring == RING_LOG || ring == RING_LOG_OWN ? LOG_RING_BYTES : CONSOLE_RING_BYTES;
}

// The oldest position the ring still holds, or a negative errno.
export function ringOldest(ring: i64): i64 {
  const head = ringHead(ring);
  if (head < 0) return head;
  const size = ringSize(ring);
  return <u64>head > size ? head - <i64>size : 0;
}

// Has the writer lapped a reader at `pos` (its byte is gone)?
export function ringLapped(ring: i64, pos: u64): bool {
  return ringRead(ring, pos + ringSize(ring), probeBuf, 1) > 0;
}

// The last byte ringPrint printed (LF when it printed nothing).
export let ringPrintLast: u8 = 10;

// Prints the ring from `from` to its head as terminal text; the position
// after the last byte printed (or a negative errno).
export function ringPrint(ring: i64, from: u64): i64 {
  let pos = from;
  let prev: u8 = 10;
  ringPrintLast = 10;
  for (;;) {
    const n = ringRead(ring, pos, ringBuf, RING_CHUNK);
    if (n < 0) return n;
    if (n == 0) break;
    prev = putText(ringBuf, <u32>n, prev);
    ringPrintLast = prev;
    pos += <u64>n;
  }
  return <i64>pos;
}
