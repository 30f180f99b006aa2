// Reading and changing a DomU from outside (HC_DOMAIN_MEM_READ/_WRITE,
// HC_VCPU_GET/_SET), as debuggers and introspection tools need: its
// guest-physical memory at any time, a vCPU's registers while the domain
// is paused and none of its vCPUs is on a CPU. The dispatcher has checked
// the caller's RIGHT_MEMORY; every id, range and buffer is checked before
// anything is copied or changed.
import { Domain, Vcpu, VcpuState, domainById, DOMSTATE_STOPPED } from "../domain/domain";
import { guestCopy, guestRangeOk, guestToHost } from "../domain/memory";
import { switchTo } from "../vmx/switch";
import { vmcsRead16, vmcsRead64, vmcsReadNat, vmcsWriteNat } from "../vmx/vmcs";
import { domainOnOtherCpu } from "../state/capture";
import { isCanonical } from "../arch/paging";
import {
  GUEST_RSP, GUEST_RIP, GUEST_RFLAGS, GUEST_CR0, GUEST_CR3, GUEST_CR4, GUEST_IA32_EFER, GUEST_CS_SELECTOR,
  CR0_GUEST_HOST_MASK, CR4_GUEST_HOST_MASK, CR0_READ_SHADOW, CR4_READ_SHADOW,
} from "../arch/vmcs";
import {
  ESRCH, EFAULT, EINVAL, EBUSY, ENOMEM, HC_DOMAIN_MEM_MAX, MEM_PAGES_MAX, MEM_PAGE_ZERO, VCPUREG_RAX, VCPUREG_RBX, VCPUREG_RCX, VCPUREG_RDX,
  VCPUREG_RSI, VCPUREG_RDI, VCPUREG_RBP, VCPUREG_RSP, VCPUREG_R8, VCPUREG_RIP, VCPUREG_RFLAGS, VCPUREG_SETTABLE,
  VCPUREG_CR0, VCPUREG_CR2, VCPUREG_CR3, VCPUREG_CR4, VCPUREG_EFER, VCPUREG_CS, VCPUREGS_SIZE,
} from "../arch/abi";
import { RFLAGS_FIXED } from "../arch/cr";

const bounce = memory.data(<i32>(HC_DOMAIN_MEM_MAX > VCPUREGS_SIZE ? HC_DOMAIN_MEM_MAX : VCPUREGS_SIZE), 8);
// RFLAGS bits a guest may hold: CF, PF, AF, ZF, SF, TF, IF, DF, OF, IOPL,
// NT, RF, AC, VIF, VIP, ID; VM (virtual-8086 mode) is refused, bit 1 is 1.
const RFLAGS_SETTABLE: u64 = 0x3f7fd7;
const RFLAGS_VM: u64 = 1 << 17;

@inline function err(e: u32): i64 { return -<i64>e; }

// A live DomU other than the caller, or null.
function target(caller: Domain, id: u64): Domain | null {
  const d = domainById(id);
  return d === null || d.state == DOMSTATE_STOPPED || d === caller ? null : d;
}

// HC_DOMAIN_MEM_READ (`write` false) and HC_DOMAIN_MEM_WRITE: `len` bytes
// between the domain's RAM at `gpa` and the caller's `buf`.
export function hcDomainMem(caller: Domain, id: u64, gpa: u64, buf: u64, len: u64, write: bool): i64 {
  const d = target(caller, id);
  if (d === null) return err(ESRCH);
  if (len > <u64>HC_DOMAIN_MEM_MAX || !guestRangeOk(d, gpa, len)) return err(EINVAL);
  if (!guestRangeOk(caller, buf, len)) return err(EFAULT);
  if (write) {
    guestCopy(caller, buf, bounce, len, false);
    // A page a snapshot holds is copied first: no frame for that, nothing written.
    if (!guestCopy(d, gpa, bounce, len, true)) return err(ENOMEM);
  } else {
    guestCopy(d, gpa, bounce, len, false);
    guestCopy(caller, buf, bounce, len, true);
  }
  return <i64>len;
}

// HC_DOMAIN_MEM_PAGES: a batch of the domain's pages for a save, each
// copied straight from its frame, a page of zeros as a flag alone.
const entries = memory.data(<i32>(MEM_PAGES_MAX * 8), 8);
export function hcDomainMemPages(caller: Domain, id: u64, frame: u64, count: u64, buf: u64): i64 {
  const d = target(caller, id);
  if (d === null) return err(ESRCH);
  const frames = d.guest.memBytes >> 12;
  if (count == 0 || count > <u64>MEM_PAGES_MAX || frame >= frames || count > frames - frame) return err(EINVAL);
  if (!guestRangeOk(caller, buf, count * (8 + 4096))) return err(EFAULT);
  let data = buf + count * 8;
  let n: i64 = 0;
  for (let i: u64 = 0; i < count; i++) {
    const page = <usize>guestToHost(d, (frame + i) << 12);
    const zero = pageIsZero(page);
    store<u64>(entries + (<usize>i << 3), (frame + i) | (zero ? MEM_PAGE_ZERO : 0));
    if (zero) continue;
    guestCopy(caller, data, page, 4096, true);
    data += 4096;
    n++;
  }
  guestCopy(caller, buf, entries, count * 8, true);
  return n;
}

function pageIsZero(p: usize): bool {
  for (let i: usize = 0; i < 4096; i += 32) {
    if ((load<u64>(p + i) | load<u64>(p + i + 8) | load<u64>(p + i + 16) | load<u64>(p + i + 24)) != 0) return false;
  }
  return true;
}

// The vCPU of a paused live DomU whose registers may be read or changed;
// `whyNot` says why not (the errno).
let whyNot: u32 = 0;
function stoppedVcpu(caller: Domain, id: u64, index: u64): Vcpu | null {
  const d = target(caller, id);
  whyNot = ESRCH;
  if (d === null || index >= <u64>d.vcpus.length) return null;
  whyNot = EBUSY;
  if (!d.paused || domainOnOtherCpu(d)) return null;
  whyNot = 0;
  return unchecked(d.vcpus[<i32>index]);
}

// What the guest reads of CR0 or CR4: its own bits, the read shadow's
// where the host owns them.
@inline function guestView(value: u64, mask: u64, shadow: u64): u64 {
  return (value & ~mask) | (shadow & mask);
}

// HC_VCPU_GET: the VCPUREGS_SIZE record at the caller's `buf`. Its VMCS is
// made current here for the reads (the dispatcher makes the caller's
// current again).
export function hcVcpuGet(caller: Domain, id: u64, index: u64, buf: u64): i64 {
  const v = stoppedVcpu(caller, id, index);
  if (v === null) return err(whyNot);
  if (!guestRangeOk(caller, buf, VCPUREGS_SIZE)) return err(EFAULT);
  const s = v.state;
  const r = bounce;
  store<u64>(r + (VCPUREG_RAX << 3), s.rax);
  store<u64>(r + (VCPUREG_RBX << 3), s.rbx);
  store<u64>(r + (VCPUREG_RCX << 3), s.rcx);
  store<u64>(r + (VCPUREG_RDX << 3), s.rdx);
  store<u64>(r + (VCPUREG_RSI << 3), s.rsi);
  store<u64>(r + (VCPUREG_RDI << 3), s.rdi);
  store<u64>(r + (VCPUREG_RBP << 3), s.rbp);
  // R8-R15 follow R8 in VcpuState as in the record.
  memory.copy(r + (VCPUREG_R8 << 3), changetype<usize>(s) + offsetof<VcpuState>("r8"), 64);
  store<u64>(r + (VCPUREG_CR2 << 3), s.cr2);
  switchTo(v);
  store<u64>(r + (VCPUREG_RSP << 3), vmcsReadNat(GUEST_RSP));
  store<u64>(r + (VCPUREG_RIP << 3), vmcsReadNat(GUEST_RIP));
  store<u64>(r + (VCPUREG_RFLAGS << 3), vmcsReadNat(GUEST_RFLAGS));
  store<u64>(r + (VCPUREG_CR0 << 3), guestView(vmcsReadNat(GUEST_CR0), vmcsReadNat(CR0_GUEST_HOST_MASK), vmcsReadNat(CR0_READ_SHADOW)));
  store<u64>(r + (VCPUREG_CR3 << 3), vmcsReadNat(GUEST_CR3));
  store<u64>(r + (VCPUREG_CR4 << 3), guestView(vmcsReadNat(GUEST_CR4), vmcsReadNat(CR4_GUEST_HOST_MASK), vmcsReadNat(CR4_READ_SHADOW)));
  store<u64>(r + (VCPUREG_EFER << 3), vmcsRead64(GUEST_IA32_EFER));
  store<u64>(r + (VCPUREG_CS << 3), <u64>vmcsRead16(GUEST_CS_SELECTOR));
  guestCopy(caller, buf, r, VCPUREGS_SIZE, true);
  return 0;
}

// HC_VCPU_SET: one general register, RIP (canonical) or RFLAGS (bit 1 set,
// no reserved bit, not virtual-8086 mode); -EINVAL for anything else.
export function hcVcpuSet(caller: Domain, id: u64, index: u64, reg: u64, value: u64): i64 {
  const v = stoppedVcpu(caller, id, index);
  if (v === null) return err(whyNot);
  if (reg >= <u64>VCPUREG_SETTABLE) return err(EINVAL);
  const r = <u32>reg;
  if (r == VCPUREG_RIP && !isCanonical(value)) return err(EINVAL);
  if (r == VCPUREG_RFLAGS && ((value & ~RFLAGS_SETTABLE) != 0 || (value & RFLAGS_FIXED) == 0 || (value & RFLAGS_VM) != 0)) {
    return err(EINVAL);
  }
  const s = v.state;
  switch (r) {
    case VCPUREG_RAX: s.rax = value; break;
    case VCPUREG_RBX: s.rbx = value; break;
    case VCPUREG_RCX: s.rcx = value; break;
    case VCPUREG_RDX: s.rdx = value; break;
    case VCPUREG_RSI: s.rsi = value; break;
    case VCPUREG_RDI: s.rdi = value; break;
    case VCPUREG_RBP: s.rbp = value; break;
    case VCPUREG_RSP: switchTo(v); vmcsWriteNat(GUEST_RSP, value); break;
    case VCPUREG_RIP: switchTo(v); vmcsWriteNat(GUEST_RIP, value); break;
    case VCPUREG_RFLAGS: switchTo(v); vmcsWriteNat(GUEST_RFLAGS, value); break;
    default: store<u64>(changetype<usize>(s) + offsetof<VcpuState>("r8") + ((<usize>r - VCPUREG_R8) << 3), value);
  }
  return 0;
}
