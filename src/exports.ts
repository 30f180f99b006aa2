// What the wasm exports besides kmain: the entry points the unit tests drive
// (tests/unit/) on the same compiled module that runs on bare metal.
export {
  HV_IMAGE_BASE, HV_WASM_BASE, HV_WASM_END, HV_DIRECT_MAP, HV_MAPPED_BYTES,
  HV_BOOT_STACK_SIZE, HV_IST_STACK_SIZE,
  HANDOFF_MB_MAGIC, HANDOFF_MB_INFO, HANDOFF_ENTRY_TSC, HANDOFF_IMAGE_END, HANDOFF_SIZE,
} from "./arch/layout";

// ── Boot information (src/boot/) ───────────────────────────────────────────
// bootInfoParse keeps its result for the accessors below and framesInitBoot.
import { BootInfo, parseBootInfo, bootInfoPrint } from "./boot/bootinfo";
import { framesInit } from "./mm/frames";
import { bootReservedRanges } from "./mm/reserved";
import { stringFromBytes } from "./lib/str";
let lastBootInfo: BootInfo | null = null;
export function bootInfoParse(magic: u32, info: u32): i32 {
  const bi = parseBootInfo(magic, info);
  lastBootInfo = bi;
  return bi.error.length == 0 ? 0 : -1;
}
export function bootInfoError(): string { return lastBootInfo !== null ? lastBootInfo!.error : "no boot info parsed"; }
export function bootInfoPrintLast(): void { if (lastBootInfo !== null) bootInfoPrint(lastBootInfo!); }
export function bootInfoJson(): string { return lastBootInfo !== null ? lastBootInfo!.toJson() : "null"; }
// The `len` bytes at `addr` as a string: how a test hands a string argument in.
export function bytesToString(addr: u32, len: u32): string { return stringFromBytes(addr, len); }
export { optionValue as cmdlineOptionValue, hasFlag as cmdlineHasFlag } from "./boot/cmdline";

// ── Physical frames (src/mm/) ──────────────────────────────────────────────
// The allocator over the last parsed boot info, with kmain's reservations.
export function framesInitBoot(): void {
  const bi = lastBootInfo !== null ? lastBootInfo! : new BootInfo();
  framesInit(bi.memory, bootReservedRanges(bi));
}
export {
  frameAlloc, frameAllocContiguous, frameFree, frameFreeChecked, framesFree, framesTotal,
  framesTop, frameIsUsable, frameIsAllocated,
} from "./mm/frames";

// ── VT-x capabilities (src/vmx/capabilities.ts) ────────────────────────────
export {
  vmxProbe, vmxStatus, vmxMissingReason, vmxPrintSummary, vmxPrintMissing,
  vmxFeatureControlBefore, vmxFeatureControl,
  vmxRevisionId, vmxRegionSize, vmxMemoryType, vmxHasTrueControls, vmxAllowed0, vmxAllowed1,
  vmxCanSet, vmxAdjustControls, vmxPreemptionTimerRate, vmxStoresLma, vmxHltActivity,
  vmxCr3TargetCount, vmxMaxMsrListSize, eptVpidHas, eptUsable, eptFeatureText, invvpidTypesText,
} from "./vmx/capabilities";
