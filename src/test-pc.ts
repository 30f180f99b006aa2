// Test-only exports of the PC chipset models made here (PCI host bridge,
// fw_cfg); tests register them on a port bus (portBusRegister) and drive
// them with portRead/portWrite.
import { PciHost } from "./devices/pci-host";
import { FwCfg } from "./devices/fw-cfg";

export function pciHostCreate(): PciHost { return new PciHost(); }
export function fwCfgCreate(memBytes: u64, cpus: u32, lowReserved: u64): FwCfg { return new FwCfg(memBytes, cpus, lowReserved); }
