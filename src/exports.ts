// What the wasm exports besides kmain: the entry points the unit tests drive
// (tests/unit/) on the same compiled module that runs on bare metal.
export {
  HV_IMAGE_BASE, HV_WASM_BASE, HV_WASM_END, HV_DIRECT_MAP, HV_MAPPED_BYTES,
  HV_BOOT_STACK_SIZE, HV_IST_STACK_SIZE,
  HANDOFF_MB_MAGIC, HANDOFF_MB_INFO, HANDOFF_ENTRY_TSC, HANDOFF_IMAGE_END, HANDOFF_SIZE,
} from "./arch/layout";
