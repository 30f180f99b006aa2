/*
 * The freestanding wasm runtime: what wasm2c's output needs from its host, on
 * bare metal. The linear memory is the direct map of physical memory, so a
 * wasm address is a physical address and no access is bounds-checked; a stray
 * one page-faults into the exception dump. This is the only C in the tree.
 */
#include <stdarg.h>
#include "hv.h"
#include "layout.h"

#define WASM_PAGE 65536u
/* What wasm2c's bulk-memory range checks compare against: every wasm
 * address is mapped, so the whole 4 GiB (the heap's own limit is `pages`). */
#define MEMORY_SIZE UINT32_MAX

/* boot/serial.asm */
void serial_puts(const char *s);
void serial_hex64(uint64_t v);
void serial_drain(void);

static Z_hv_instance_t hv;

/* Called by boot/entry.asm in 64-bit mode with the hand-off block, holding
 * the big lock (boot/smp.asm). */
void hv_start(uint64_t handoff) {
  Z_hv_init_module();
  Z_hv_instantiate(&hv, NULL);
  Z_hvZ_kmain(&hv, (uint32_t)handoff);
}

#ifndef HV_UNIPROCESSOR
/* Called by boot/trampoline.asm on every other CPU, holding the big lock:
 * the one instance, run by one CPU at a time. */
void hv_ap_start(uint32_t cpu) {
  Z_hvZ_apMain(&hv, cpu);
}
#endif

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages, uint32_t max_pages) {
  mem->data = (uint8_t *)HV_DIRECT_MAP;
  mem->pages = initial_pages;
  mem->max_pages = max_pages;
  mem->size = MEMORY_SIZE;
}

/* The heap may grow up to HV_WASM_END, the end of the reserved range. */
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta) {
  uint64_t pages = (uint64_t)mem->pages + delta;
  if (pages > mem->max_pages || pages * WASM_PAGE > HV_WASM_END) return UINT32_MAX;
  uint32_t old = mem->pages;
  mem->pages = (uint32_t)pages;
  return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem) { (void)mem; }

bool wasm_rt_is_initialized(void) { return true; }

static const char *const trap_names[] = {
  "none", "out-of-bounds access", "integer overflow", "integer divide by zero",
  "invalid conversion", "unreachable executed", "invalid indirect call",
  "uncaught exception", "call stack exhausted",
};

/* A trap in the microkernel is a hypervisor bug: report where and stop. */
void wasm_rt_trap(wasm_rt_trap_t trap) {
  serial_puts("\nhv: PANIC: wasm trap: ");
  serial_puts((unsigned)trap < sizeof trap_names / sizeof *trap_names ? trap_names[trap] : "unknown");
  serial_puts(" called from ");
  serial_hex64((uint64_t)__builtin_return_address(0));
  serial_puts("\nhv: halted\n");
  serial_drain();
  Z_hwZ_halt_forever(NULL);
  __builtin_unreachable();
}

/* Function types for call_indirect checks: equal signatures, equal index. */
#define MAX_FUNC_TYPES 128
#define MAX_FUNC_TYPE_ARITY 16
static struct { uint32_t params, results; uint8_t types[MAX_FUNC_TYPE_ARITY]; } func_types[MAX_FUNC_TYPES];
static uint32_t func_type_count;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  uint8_t types[MAX_FUNC_TYPE_ARITY];
  uint32_t n = params + results;
  if (n > MAX_FUNC_TYPE_ARITY) wasm_rt_trap(WASM_RT_TRAP_CALL_INDIRECT);
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < n; i++) types[i] = (uint8_t)va_arg(ap, int);
  va_end(ap);
  for (uint32_t t = 0; t < func_type_count; t++) {
    if (func_types[t].params != params || func_types[t].results != results) continue;
    uint32_t i = 0;
    while (i < n && func_types[t].types[i] == types[i]) i++;
    if (i == n) return t;
  }
  if (func_type_count == MAX_FUNC_TYPES) wasm_rt_trap(WASM_RT_TRAP_CALL_INDIRECT);
  func_types[func_type_count].params = params;
  func_types[func_type_count].results = results;
  for (uint32_t i = 0; i < n; i++) func_types[func_type_count].types[i] = types[i];
  return func_type_count++;
}

/* The compiler may emit calls to these; string instructions keep it from
 * turning the loops back into calls to themselves. */
// Eight bytes a step when all three are multiples of 8 (pages, records):
// an eighth of the iterations, which is what Bochs counts.
void *memcpy(void *dst, const void *src, size_t n) {
  void *d = dst;
  if ((((uintptr_t)dst | (uintptr_t)src | n) & 7) == 0) {
    size_t q = n >> 3;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q) : : "memory");
    return dst;
  }
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  if ((uintptr_t)dst <= (uintptr_t)src || (uintptr_t)dst >= (uintptr_t)src + n) return memcpy(dst, src, n);
  void *d = (uint8_t *)dst + n - 1;
  const void *s = (const uint8_t *)src + n - 1;
  __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  void *d = dst;
  if ((((uintptr_t)dst | n) & 7) == 0) {
    size_t q = n >> 3;
    uint64_t v = (uint8_t)c * 0x0101010101010101ull;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
    return dst;
  }
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return dst;
}
