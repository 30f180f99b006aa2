// Test-only exports of the PC chipset models made here (PCI host bridge,
// fw_cfg, the 8042 and port 0x92); tests register them on a port bus
// (portBusRegister) and drive them with portRead/portWrite.
import { PciHost } from "./devices/pci-host";
import { FwCfg } from "./devices/fw-cfg";
import { I8042 } from "./devices/i8042";
import { Port92 } from "./devices/port92";

export function pciHostCreate(): PciHost { return new PciHost(); }
export function fwCfgCreate(memBytes: u64, cpus: u32, lowReserved: u64): FwCfg { return new FwCfg(memBytes, cpus, lowReserved); }
export function i8042Create(): I8042 { return new I8042(); }
export function port92Create(): Port92 { return new Port92(); }
