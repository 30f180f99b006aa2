// Zeroing physical memory. Frames are reached through the direct map, which
// covers the first 4 GiB (frames above it are not handed to domains yet).
export function zeroFrame(pa: u64): void {
  memory.fill(<usize>pa, 0, 4096);
}

export function zeroRange(pa: u64, len: u64): void {
  memory.fill(<usize>pa, 0, <usize>len);
}
