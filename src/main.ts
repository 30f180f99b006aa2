import { println, printHex } from "./log/log";
import { serialInit } from "./log/serial";
import { HANDOFF_MB_MAGIC, HANDOFF_MB_INFO } from "./arch/layout";
export * from "./exports";
export function kmain(handoff: u32): void {
  serialInit();
  println("hv: hello from wasm");
  printHex(load<u64>(handoff + HANDOFF_MB_MAGIC)); println("");
  printHex(load<u64>(handoff + HANDOFF_MB_INFO)); println("");
  load<u64>(<usize>0xfffffff0, 0x20);
}
