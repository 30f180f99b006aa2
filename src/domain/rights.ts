// Domain rights (RIGHT_* in src/arch/abi.ts): what a domain may do beyond
// running itself. A boot module gets them with `rights=<names>` or all of
// them with `control=1`; a domain made by HC_DOMAIN_CREATE only rights its
// creator holds. Each call checks its own (src/hypercall/dispatch.ts).
import { Domain } from "./domain";
import { optionValue } from "../boot/cmdline";
import { rightsNamed } from "./config";
import { RIGHT_CONTROL, RIGHT_DOMAINS } from "../arch/abi";

// The rights a domain module's command line asks for (`control=1`, or
// `rights=`; the last of each wins). Creation time only: it allocates.
export function rightsFromCmdline(cmdline: string): u32 {
  const control = optionValue(cmdline, "control");
  let r: u32 = control !== null && control == "1" ? RIGHT_CONTROL : 0;
  const named = optionValue(cmdline, "rights");
  if (named !== null) {
    const v = rightsNamed(named);
    if (v > 0) r |= <u32>v;
  }
  return r;
}

@inline export function hasRight(dom: Domain, right: u32): bool {
  return (dom.rights & right) == right;
}

// A control domain: one that manages others (never a snapshot's, a fork's
// or dedup's subject).
@inline export function isControlDomain(dom: Domain): bool {
  return (dom.rights & RIGHT_DOMAINS) != 0;
}
