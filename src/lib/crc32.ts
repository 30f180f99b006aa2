// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320; zlib's and
// Ethernet's), what the save stream and Domain 0's image store check their
// records and blocks with. crc32("123456789") == 0xCBF43926.
const table = memory.data(1024, 4);
let tableReady = false;

function tableInit(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xedb88320 ^ (c >> 1) : c >> 1;
    store<u32>(table + (<usize>n << 2), c);
  }
  tableReady = true;
}

// Continues `crc` (0 to start) over the `len` bytes at `p`.
export function crc32Update(crc: u32, p: usize, len: usize): u32 {
  if (!tableReady) tableInit();
  let c = ~crc;
  for (let i: usize = 0; i < len; i++) {
    c = load<u32>(table + (<usize>((c ^ load<u8>(p + i)) & 0xff) << 2)) ^ (c >> 8);
  }
  return ~c;
}

export function crc32(p: usize, len: usize): u32 { return crc32Update(0, p, len); }
