// The test build's entry (build/hv-test.wasm, see the Makefile): the
// microkernel's entry points and what the unit tests drive (src/exports.ts).
// The production image comes from src/main.ts alone and exports only what
// the runtime shim (boot/wasm-rt.c) calls.
export * from "./main";
export * from "./exports";
export * from "./test-pc";
export * from "./test-pic";
export * from "./test-ioapic";
export * from "./test-rtc";
export * from "./test-lapic";
export * from "./test-pit";
export * from "./test-acpi";
export * from "./test-linux";
export * from "./test-state";
export * from "./test-spec";
