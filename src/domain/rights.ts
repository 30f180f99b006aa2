// Domain rights: which hypercalls a domain may make beyond the basic ones.
// A boot module gets RIGHT_CONTROL with the option `control=1`; a domain
// without it gets -EPERM from every management call.
import { Domain } from "./domain";
import { optionValue } from "../boot/cmdline";
import { RIGHT_CONTROL } from "../arch/abi";

// The rights a domain module's command line asks for (`control=1`).
// Creation time only: it allocates.
export function rightsFromCmdline(cmdline: string): u32 {
  const control = optionValue(cmdline, "control");
  return control !== null && control == "1" ? RIGHT_CONTROL : 0;
}

@inline export function hasRight(dom: Domain, right: u32): bool {
  return (dom.rights & right) == right;
}
