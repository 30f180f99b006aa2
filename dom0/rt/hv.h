/* Domain 0 build of the runtime shim: boot/wasm-rt.c is compiled unchanged
 * with -Idom0/rt first, so its `#include "hv.h"` lands here and its calls to
 * the hypervisor module's entry points go to the dom0 module (wasm2c -n dom0,
 * build/dom0/dom0.h). */
#include "dom0.h"
#define Z_hv_instance_t  Z_dom0_instance_t
#define Z_hv_init_module Z_dom0_init_module
#define Z_hv_instantiate Z_dom0_instantiate
#define Z_hvZ_kmain      Z_dom0Z_kmain
/* Domain 0 runs on one vCPU: no AP entry. */
#define HV_UNIPROCESSOR 1
