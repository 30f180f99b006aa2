// Byte rings addressed by absolute position: `head` counts every byte ever
// written; the ring of `size` bytes (a power of two) at `base` holds the last
// `size` of them. Used by the hypervisor log and the domain consoles.

// Copies up to `len` bytes from absolute position `from` (clamped to the
// oldest byte still held) to `dst`; returns the count.
export function ringRead(base: usize, size: u32, head: u64, from: u64, dst: usize, len: u32): u32 {
  const oldest = head > <u64>size ? head - size : 0;
  let pos = from < oldest ? oldest : from;
  let n: u32 = 0;
  while (pos < head && n < len) {
    store<u8>(dst + n, load<u8>(base + <usize>(<u32>pos & (size - 1))));
    pos++;
    n++;
  }
  return n;
}
