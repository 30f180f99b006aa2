// CPUID (SDM Vol. 2A): the host's answer, filtered. Guests do not see VMX,
// SMX, MONITOR/MWAIT, SGX or performance monitoring (none of which they can
// use here); they see the hypervisor-present bit, our leaf 0x40000000, their
// own APIC ID, and OSXSAVE as their own CR4 sets it.
import { Vcpu } from "../../domain/domain";
import { ACTION_NEXT } from "../action";
import { cpuid } from "../../arch/hw";
import {
  CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX, CPUID_LEAF_FEATURES, CPUID_1_ECX_VMX, CPUID_1_ECX_SMX,
  CPUID_1_ECX_HYPERVISOR, CPUID_1_ECX_MONITOR, CPUID_1_ECX_PDCM, CPUID_1_ECX_X2APIC, CPUID_1_ECX_OSXSAVE,
  CPUID_1_EBX_APIC_ID_SHIFT, CPUID_LEAF_EXTENDED_FEATURES, CPUID_7_EBX_SGX, CPUID_LEAF_PERFMON,
  CPUID_LEAF_TOPOLOGY, CPUID_LEAF_HYPERVISOR, CPUID_LEAF_HYPERVISOR_FEATURES, CPUID_LEAF_XSAVE,
  CPUID_D_1_EAX_XSAVES,
} from "../../arch/cpuid";
import { GUEST_CR4 } from "../../arch/vmcs";
import { CR4_OSXSAVE, XCR0_AVX } from "../../arch/cr";
import { guestXcr0Allowed } from "../vmxon";
import { HYPERCALL_ABI_VERSION } from "../../arch/abi";
import { vmcsReadNat } from "../vmcs";
import { gpr, setGpr, REG_RAX, REG_RBX, REG_RCX, REG_RDX } from "../regs";

const out = memory.data(16);
const scratch = memory.data(16);
// The legacy XSAVE region and the XSAVE header (SDM Vol. 1 13.4).
const XSAVE_LEGACY_AND_HEADER: u32 = 576;

// "tshvTSHVtshv" as EBX, ECX, EDX (little-endian ASCII).
const SIGNATURE_EBX: u32 = 0x76687374; // "tshv"
const SIGNATURE_ECX: u32 = 0x56485354; // "TSHV"
const SIGNATURE_EDX: u32 = 0x76687374; // "tshv"

export function handleCpuid(vcpu: Vcpu): u32 {
  const leaf = <u32>gpr(vcpu, REG_RAX);
  const subleaf = <u32>gpr(vcpu, REG_RCX);
  if (leaf >= CPUID_LEAF_HYPERVISOR && leaf <= 0x4fffffff) {
    hypervisorLeaf(leaf);
  } else {
    cpuid(leaf, subleaf, out);
    filter(vcpu, leaf, subleaf);
  }
  setGpr(vcpu, REG_RAX, load<u32>(out, CPUID_EAX));
  setGpr(vcpu, REG_RBX, load<u32>(out, CPUID_EBX));
  setGpr(vcpu, REG_RCX, load<u32>(out, CPUID_ECX));
  setGpr(vcpu, REG_RDX, load<u32>(out, CPUID_EDX));
  return ACTION_NEXT;
}

function hypervisorLeaf(leaf: u32): void {
  memory.fill(out, 0, 16);
  if (leaf == CPUID_LEAF_HYPERVISOR) {
    store<u32>(out, CPUID_LEAF_HYPERVISOR_FEATURES, CPUID_EAX); // highest hypervisor leaf
    store<u32>(out, SIGNATURE_EBX, CPUID_EBX);
    store<u32>(out, SIGNATURE_ECX, CPUID_ECX);
    store<u32>(out, SIGNATURE_EDX, CPUID_EDX);
  } else if (leaf == CPUID_LEAF_HYPERVISOR_FEATURES) {
    store<u32>(out, HYPERCALL_ABI_VERSION, CPUID_EAX);
  }
}

function filter(vcpu: Vcpu, leaf: u32, subleaf: u32): void {
  if (leaf == CPUID_LEAF_FEATURES) {
    let ecx = load<u32>(out, CPUID_ECX);
    ecx &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_MONITOR | CPUID_1_ECX_PDCM | CPUID_1_ECX_X2APIC | CPUID_1_ECX_OSXSAVE);
    ecx |= CPUID_1_ECX_HYPERVISOR;
    if (vmcsReadNat(GUEST_CR4) & CR4_OSXSAVE) ecx |= CPUID_1_ECX_OSXSAVE;
    store<u32>(out, ecx, CPUID_ECX);
    const ebx = load<u32>(out, CPUID_EBX);
    store<u32>(out, (ebx & 0x00ffffff) | (vcpu.index << CPUID_1_EBX_APIC_ID_SHIFT), CPUID_EBX);
  } else if (leaf == CPUID_LEAF_EXTENDED_FEATURES) {
    store<u32>(out, load<u32>(out, CPUID_EBX) & ~CPUID_7_EBX_SGX, CPUID_EBX);
  } else if (leaf == CPUID_LEAF_PERFMON) {
    memory.fill(out, 0, 16);
  } else if (leaf == CPUID_LEAF_TOPOLOGY) {
    store<u32>(out, vcpu.index, CPUID_EDX);
  } else if (leaf == CPUID_LEAF_XSAVE) {
    filterXsave(subleaf);
  }
}

// Leaf 0xD describes exactly the XCR0 components XSETBV accepts
// (src/vmx/exit/xsetbv.ts), and no supervisor state (XSAVES is not enabled).
function filterXsave(subleaf: u32): void {
  const allowed = <u32>guestXcr0Allowed();
  if (subleaf == 0) {
    store<u32>(out, load<u32>(out, CPUID_EAX) & allowed, CPUID_EAX);
    store<u32>(out, 0, CPUID_EDX);
    // ECX: the area for every allowed component; the last one ends it.
    let size: u32 = XSAVE_LEGACY_AND_HEADER;
    if (allowed & <u32>XCR0_AVX) {
      cpuid(CPUID_LEAF_XSAVE, 2, scratch);
      size = load<u32>(scratch, CPUID_EBX) + load<u32>(scratch, CPUID_EAX);
    }
    store<u32>(out, size, CPUID_ECX);
  } else if (subleaf == 1) {
    store<u32>(out, load<u32>(out, CPUID_EAX) & ~CPUID_D_1_EAX_XSAVES, CPUID_EAX);
    store<u32>(out, 0, CPUID_ECX);
    store<u32>(out, 0, CPUID_EDX);
  } else if (subleaf >= 32 || (allowed & (1 << subleaf)) == 0) {
    memory.fill(out, 0, 16);
  }
}
