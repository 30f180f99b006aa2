// Small helpers shared by exit handlers.
import { hex } from "../../lib/str";

export function exitIntrInfoText(info: u32): string {
  return "vector " + hex(info & 0xff, 2) + " type " + hex((info >> 8) & 7, 1);
}
