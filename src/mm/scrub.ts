// Zeroing and copying physical memory. Frames are reached through the
// direct map, which covers the first 4 GiB (frames above it are not handed
// to domains yet).
import { copy_qwords, zero_qwords } from "../arch/hw";

export function zeroFrame(pa: u64): void {
  memory.fill(<usize>pa, 0, 4096);
}

export function zeroRange(pa: u64, len: u64): void {
  memory.fill(<usize>pa, 0, <usize>len);
}

// A frame zeroed or copied eight bytes a step (REP STOSQ, REP MOVSQ): what
// copy-on-write, a fork's EPT tables and the idle scrubber move, a page at
// a time.
export function zeroFrameQ(pa: u64): void {
  zero_qwords(<usize>pa, 512);
}

export function copyFrame(dst: u64, src: u64): void {
  copy_qwords(<usize>dst, <usize>src, 512);
}
