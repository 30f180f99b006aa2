/* Domain 0's memory model for boot/wasm-rt.c: the wasm linear memory starts at
 * the alias of guest-physical 0 that dom0/boot.asm maps (PML4 slot 256), so a
 * wasm address is a guest-physical address; the heap may grow up to
 * HV_WASM_END (inside the 16 MiB the domain is given at least). */
#define HV_DIRECT_MAP 0xffff800000000000ull
#define HV_WASM_END   0x1000000ull
