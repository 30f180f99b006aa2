// The PCI host bridge of a domain, configuration mechanism #1 (PCI Local
// Bus 3.0, 3.2.2.3.2): CONFIG_ADDRESS at 0xCF8 (only 32-bit accesses; a
// byte at 0xCF9 is the PIIX reset control register) and CONFIG_DATA at
// 0xCFC-0xCFF (byte, word and dword). Bus 0 holds the host bridge (00:00.0,
// 8086:1237) and the ISA bridge (00:01.0, 8086:7000); any other function,
// or a disabled CONFIG_ADDRESS, reads all ones and drops writes. Later
// devices (virtio) will add functions here.
import { Access, Device, DEV_OK, DEV_RESET, WIDTH_1, WIDTH_2, WIDTH_4, widthMask } from "./device";
import {
  PCI_ADDRESS_ENABLE, PCI_ADDRESS_BUS_SHIFT, PCI_ADDRESS_DEV_SHIFT, PCI_ADDRESS_FN_SHIFT, PCI_ADDRESS_REG_MASK,
  PCI_CONFIG_DATA, PCI_VENDOR_ID, PCI_DEVICE_ID, PCI_COMMAND, PCI_REVISION_ID, PCI_CLASS_DEVICE, PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_MULTI, PCI_CONFIG_SIZE, PCI_VENDOR_INTEL, PCI_DEVICE_82441, PCI_DEVICE_82371SB_ISA,
  PCI_CLASS_BRIDGE_HOST, PCI_CLASS_BRIDGE_ISA, PCI_COMMAND_IO, PCI_COMMAND_MEMORY, PCI_COMMAND_MASTER,
  PCI_COMMAND_SPECIAL, PCI_RESET_CONTROL_OFFSET,
} from "../arch/pci";
import { PCI_CONFIG_PORT, RESET_CONTROL_RST_CPU, RESET_CONTROL_SYS_RST } from "../arch/platform";

export const PCI_HOST_KIND: u32 = 0x54534850;   // "PHST"
const FUNCTIONS: u32 = 2;                       // 00:00.0 and 00:01.0

// The state: CONFIG_ADDRESS, the reset control byte, and each function's
// 256-byte configuration space (plain data: saved as it is).
@unmanaged
class PciHostState {
  address: u32;
  resetControl: u32;
}
const SPACES: usize = 8;    // offset of the configuration spaces in the block
const BLOCK_SIZE: u32 = <u32>SPACES + FUNCTIONS * PCI_CONFIG_SIZE;
const COMMAND_WRITABLE: u16 = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SPECIAL;

@final
export class PciHost extends Device {
  private s: usize = heap.alloc(BLOCK_SIZE);

  constructor() {
    super();
    this.reset();
  }

  kind(): u32 { return PCI_HOST_KIND; }
  name(): string { return "pci-host"; }
  version(): u32 { return 1; }
  block(): usize { return this.s; }
  blockSize(): u32 { return BLOCK_SIZE; }
  widths(): u32 { return WIDTH_1 | WIDTH_2 | WIDTH_4; }

  reset(): void {
    memory.fill(this.s, 0, BLOCK_SIZE);
    this.header(0, PCI_DEVICE_82441, PCI_CLASS_BRIDGE_HOST, 0x02, 0);
    this.header(1, PCI_DEVICE_82371SB_ISA, PCI_CLASS_BRIDGE_ISA, 0x00, PCI_HEADER_TYPE_MULTI);
    // Both answer I/O and memory cycles and master the bus from reset.
    store<u16>(this.space(0) + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    store<u16>(this.space(1) + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  }

  private header(fn: u32, device: u16, cls: u16, revision: u8, headerType: u8): void {
    const p = this.space(fn);
    store<u16>(p + PCI_VENDOR_ID, PCI_VENDOR_INTEL);
    store<u16>(p + PCI_DEVICE_ID, device);
    store<u8>(p + PCI_REVISION_ID, revision);
    store<u16>(p + PCI_CLASS_DEVICE, cls);
    store<u8>(p + PCI_HEADER_TYPE, headerType);
  }

  @inline private space(fn: u32): usize { return this.s + SPACES + <usize>(fn * PCI_CONFIG_SIZE); }
  @inline private st(): PciHostState { return changetype<PciHostState>(this.s); }

  // The function CONFIG_ADDRESS selects, or -1.
  private selected(): i32 {
    const a = this.st().address;
    if ((a & PCI_ADDRESS_ENABLE) == 0 || ((a >> PCI_ADDRESS_BUS_SHIFT) & 0xff) != 0) return -1;
    const dev = (a >> PCI_ADDRESS_DEV_SHIFT) & 0x1f, fn = (a >> PCI_ADDRESS_FN_SHIFT) & 7;
    if (fn != 0 || dev >= FUNCTIONS) return -1;
    return <i32>dev;
  }

  read(a: Access): u64 {
    const port = <u32>a.address;
    if (port < <u32>PCI_CONFIG_DATA) {
      if (a.width == 4 && port == <u32>PCI_CONFIG_PORT) return this.st().address;
      if (a.width == 1 && port == <u32>PCI_CONFIG_PORT + PCI_RESET_CONTROL_OFFSET) return this.st().resetControl;
      return widthMask(a.width);
    }
    const f = this.selected();
    const reg = (this.st().address & PCI_ADDRESS_REG_MASK) + (port - <u32>PCI_CONFIG_DATA);
    if (f < 0 || reg + a.width > PCI_CONFIG_SIZE) return widthMask(a.width);
    const p = this.space(<u32>f) + reg;
    return a.width == 1 ? <u64>load<u8>(p) : a.width == 2 ? <u64>load<u16>(p) : <u64>load<u32>(p);
  }

  write(a: Access, value: u64): u32 {
    const port = <u32>a.address;
    if (port < <u32>PCI_CONFIG_DATA) {
      if (a.width == 4 && port == <u32>PCI_CONFIG_PORT) this.st().address = <u32>value & 0x80fffffc;
      else if (a.width == 1 && port == <u32>PCI_CONFIG_PORT + PCI_RESET_CONTROL_OFFSET) return this.resetControl(<u32>value & 0xff);
      return DEV_OK;
    }
    const f = this.selected();
    const reg = (this.st().address & PCI_ADDRESS_REG_MASK) + (port - <u32>PCI_CONFIG_DATA);
    if (f < 0 || reg + a.width > PCI_CONFIG_SIZE) return DEV_OK;
    // Only the command register is writable (the functions have no BARs).
    for (let i: u32 = 0; i < a.width; i++) {
      const r = reg + i;
      if (r != PCI_COMMAND && r != PCI_COMMAND + 1) continue;
      const b = <u8>(value >> (<u64>i << 3));
      const keep = <u8>(r == PCI_COMMAND ? COMMAND_WRITABLE & 0xff : COMMAND_WRITABLE >> 8);
      store<u8>(this.space(<u32>f) + r, b & keep);
    }
    return DEV_OK;
  }

  // RST_CPU going 0 -> 1 resets (a full reset with SYS_RST; either is a
  // reset of the whole domain here).
  private resetControl(v: u32): u32 {
    const before = this.st().resetControl;
    this.st().resetControl = v & (RESET_CONTROL_SYS_RST | <u32>0x08);   // bit 3 (full reset) as written
    if ((v & RESET_CONTROL_RST_CPU) != 0 && (before & RESET_CONTROL_RST_CPU) == 0) return DEV_RESET;
    return DEV_OK;
  }

  check(b: usize): string {
    return (load<u32>(b) & ~<u32>0x80fffffc) != 0 ? "CONFIG_ADDRESS has reserved bits set" : "";
  }
}
