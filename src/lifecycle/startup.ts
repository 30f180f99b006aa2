// INIT and STARTUP for a PC's vCPUs (SDM Vol. 3A 9.4): a vCPU in
// wait-for-SIPI whose LAPIC takes a STARTUP enters real mode at CS =
// vector << 8, IP = 0, with a fresh VMCS; one never run joins the
// scheduler, one stopped by an INIT is woken. The STARTUP comes from
// another vCPU's ICR write, inside that vCPU's exit: its VMCS is made
// current again afterwards.
import { Vcpu, DOMSTATE_STOPPED, DOMSTATE_CREATED } from "../domain/domain";
import { VcpuStarter, vcpuStarterSet, vcpuWake } from "../domain/wake";
import { StartState, START_REAL } from "../vmx/vmcs-init";
import { switchTo } from "../vmx/switch";
import { vcpuEntryState } from "./builder";
import { domainStop } from "./stop";
import { schedAdd } from "../sched/scheduler";
import { thisCpu } from "../cpu/percpu";

const entry = new StartState();

@final
class SipiStarter extends VcpuStarter {
  startup(v: Vcpu, vector: u32): void {
    const dom = v.domain;
    if (dom.state == DOMSTATE_STOPPED || dom.state == DOMSTATE_CREATED) return;
    const s = entry.clear();
    s.mode = START_REAL;
    s.realCs = vector << 8;
    const current = thisCpu().vmcsOwner;
    vcpuEntryState(v, s);
    if (current != 0) switchTo(changetype<Vcpu>(current));
    if (v.schedId < 0) {
      if (!schedAdd(v)) domainStop(dom, "too many vCPUs for the scheduler");
      return;
    }
    v.state.haltIf = true;
    vcpuWake(v, true);
  }
}
vcpuStarterSet(new SipiStarter());
