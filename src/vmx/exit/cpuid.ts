// CPUID (SDM Vol. 2A): the host's answer, filtered. Guests do not see VMX,
// SMX, MONITOR/MWAIT, SGX, performance monitoring and the debug store, thermal and power
// management (APERF/MPERF, SpeedStep) (none of which they can use here:
// their MSRs raise #GP); they see the hypervisor-present bit, our leaves 0x40000000-
// 0x40000010 (the last the TSC's and the LAPIC timer's kHz), their own APIC
// ID and the topology (a core per vCPU: leaves 1, 0xB, 0x1F), x2APIC and
// the TSC-deadline timer where they have a LAPIC model, the TSC's rate in
// leaves 0x15 and 0x16 (so a kernel need not calibrate it), and OSXSAVE as
// their own CR4 sets it.
import { Vcpu } from "../../domain/domain";
import { ACTION_NEXT } from "../action";
import { cpuid } from "../../arch/hw";
import {
  CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX, CPUID_LEAF_FEATURES, CPUID_1_ECX_VMX, CPUID_1_ECX_SMX,
  CPUID_1_ECX_HYPERVISOR, CPUID_1_ECX_MONITOR, CPUID_1_ECX_PDCM, CPUID_1_ECX_X2APIC, CPUID_1_ECX_OSXSAVE,
  CPUID_1_EBX_APIC_ID_SHIFT, CPUID_LEAF_EXTENDED_FEATURES, CPUID_7_EBX_SGX, CPUID_LEAF_PERFMON,
  CPUID_7_EDX_ARCH_CAPABILITIES, CPUID_7_EDX_CORE_CAPABILITIES,
  CPUID_LEAF_TOPOLOGY, CPUID_LEAF_HYPERVISOR, CPUID_LEAF_HYPERVISOR_FEATURES, CPUID_LEAF_XSAVE,
  CPUID_D_1_EAX_XSAVES, CPUID_LEAF_VENDOR, CPUID_1_ECX_TSC_DEADLINE, CPUID_1_EDX_HTT, CPUID_1_EBX_COUNT_SHIFT,
  CPUID_LEAF_TOPOLOGY_V2, CPUID_TOPOLOGY_SMT, CPUID_TOPOLOGY_CORE, CPUID_LEAF_TSC, CPUID_LEAF_FREQUENCY,
  CPUID_LEAF_HYPERVISOR_TIMING, CPUID_LEAF_THERMAL_POWER, CPUID_1_ECX_EST, CPUID_1_ECX_TM2,
  CPUID_1_EDX_ACPI, CPUID_1_EDX_TM, CPUID_1_EDX_DS, CPUID_1_EDX_PBE, CPUID_1_ECX_DTES64, CPUID_1_ECX_DS_CPL,
} from "../../arch/cpuid";
import { tscHz } from "../../cpu/tsc";
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
  } else if (leaf < 0x80000000 && leaf > hostMaxBasic()) {
    // Leaves the host lacks but the guest is told of (the TSC leaves):
    // Intel CPUs answer a leaf above the maximum with the highest one's
    // data, so each is answered here.
    memory.fill(out, 0, 16);
    filter(vcpu, leaf, subleaf);
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

let maxBasic: u32 = 0;
function hostMaxBasic(): u32 {
  if (maxBasic == 0) {
    cpuid(CPUID_LEAF_VENDOR, 0, scratch);
    maxBasic = load<u32>(scratch, CPUID_EAX);
  }
  return maxBasic;
}

function hypervisorLeaf(leaf: u32): void {
  memory.fill(out, 0, 16);
  if (leaf == CPUID_LEAF_HYPERVISOR) {
    store<u32>(out, CPUID_LEAF_HYPERVISOR_TIMING, CPUID_EAX); // highest hypervisor leaf
    store<u32>(out, SIGNATURE_EBX, CPUID_EBX);
    store<u32>(out, SIGNATURE_ECX, CPUID_ECX);
    store<u32>(out, SIGNATURE_EDX, CPUID_EDX);
  } else if (leaf == CPUID_LEAF_HYPERVISOR_FEATURES) {
    store<u32>(out, HYPERCALL_ABI_VERSION, CPUID_EAX);
  } else if (leaf == CPUID_LEAF_HYPERVISOR_TIMING) {
    // The guest's TSC runs at the host's rate; the LAPIC timer counts it.
    const khz = <u32>(tscHz() / 1000);
    store<u32>(out, khz, CPUID_EAX);
    store<u32>(out, khz, CPUID_EBX);
  }
}

function filter(vcpu: Vcpu, leaf: u32, subleaf: u32): void {
  const vcpus = <u32>vcpu.domain.vcpus.length;
  if (leaf == CPUID_LEAF_VENDOR) {
    // Up to the TSC leaves at least, which every guest is given.
    if (load<u32>(out, CPUID_EAX) < CPUID_LEAF_FREQUENCY) store<u32>(out, CPUID_LEAF_FREQUENCY, CPUID_EAX);
  } else if (leaf == CPUID_LEAF_FEATURES) {
    let ecx = load<u32>(out, CPUID_ECX);
    ecx &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_MONITOR | CPUID_1_ECX_PDCM | CPUID_1_ECX_X2APIC |
      CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_TSC_DEADLINE | CPUID_1_ECX_EST | CPUID_1_ECX_TM2 | CPUID_1_ECX_DTES64 |
      CPUID_1_ECX_DS_CPL);
    ecx |= CPUID_1_ECX_HYPERVISOR;
    // A vCPU with a LAPIC model has x2APIC mode and the TSC-deadline timer.
    if (vcpu.lapic !== null) ecx |= CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE;
    if (vmcsReadNat(GUEST_CR4) & CR4_OSXSAVE) ecx |= CPUID_1_ECX_OSXSAVE;
    store<u32>(out, ecx, CPUID_ECX);
    // Its APIC ID and the package's logical processors: one per vCPU.
    const ebx = load<u32>(out, CPUID_EBX);
    store<u32>(out, (ebx & 0x0000ffff) | (vcpu.index << CPUID_1_EBX_APIC_ID_SHIFT) | ((vcpus & 0xff) << CPUID_1_EBX_COUNT_SHIFT), CPUID_EBX);
    const edx = load<u32>(out, CPUID_EDX) & ~(CPUID_1_EDX_ACPI | CPUID_1_EDX_TM | CPUID_1_EDX_DS | CPUID_1_EDX_PBE);
    store<u32>(out, vcpus > 1 ? edx | CPUID_1_EDX_HTT : edx & ~CPUID_1_EDX_HTT, CPUID_EDX);
  } else if (leaf == CPUID_LEAF_EXTENDED_FEATURES) {
    if (subleaf == 0) {
      store<u32>(out, load<u32>(out, CPUID_EBX) & ~CPUID_7_EBX_SGX, CPUID_EBX);
      // Capability MSRs it does not emulate: the guest takes itself as affected.
      store<u32>(out, load<u32>(out, CPUID_EDX) & ~(CPUID_7_EDX_ARCH_CAPABILITIES | CPUID_7_EDX_CORE_CAPABILITIES), CPUID_EDX);
    }
  } else if (leaf == CPUID_LEAF_PERFMON || leaf == CPUID_LEAF_THERMAL_POWER) {
    memory.fill(out, 0, 16);
  } else if (leaf == CPUID_LEAF_TOPOLOGY || leaf == CPUID_LEAF_TOPOLOGY_V2) {
    topology(vcpu.index, vcpus, subleaf);
  } else if (leaf == CPUID_LEAF_XSAVE) {
    filterXsave(subleaf);
  } else if (leaf == CPUID_LEAF_TSC) {
    // TSC = crystal * EBX / EAX: a crystal at the TSC's own rate, ratio 1.
    store<u32>(out, 1, CPUID_EAX);
    store<u32>(out, 1, CPUID_EBX);
    store<u32>(out, <u32>tscHz(), CPUID_ECX);
    store<u32>(out, 0, CPUID_EDX);
  } else if (leaf == CPUID_LEAF_FREQUENCY) {
    const mhz = <u32>(tscHz() / 1000000);
    store<u32>(out, mhz, CPUID_EAX);
    store<u32>(out, mhz, CPUID_EBX);
    store<u32>(out, mhz, CPUID_ECX);   // the LAPIC timer counts the TSC
    store<u32>(out, 0, CPUID_EDX);
  }
}

// Leaf 0xB/0x1F: each vCPU a core of one package, one thread per core,
// x2APIC ID = vCPU index (Vol. 2A CPUID, leaf 0BH).
function topology(id: u32, vcpus: u32, subleaf: u32): void {
  let shift: u32 = 0;
  while ((<u32>1 << shift) < vcpus) shift++;
  memory.fill(out, 0, 16);
  if (subleaf == 0) {
    store<u32>(out, 0, CPUID_EAX);
    store<u32>(out, 1, CPUID_EBX);
    store<u32>(out, (CPUID_TOPOLOGY_SMT << 8) | 0, CPUID_ECX);
  } else if (subleaf == 1) {
    store<u32>(out, shift, CPUID_EAX);
    store<u32>(out, vcpus, CPUID_EBX);
    store<u32>(out, (CPUID_TOPOLOGY_CORE << 8) | 1, CPUID_ECX);
  } else {
    store<u32>(out, subleaf & 0xff, CPUID_ECX);
  }
  store<u32>(out, id, CPUID_EDX);
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
