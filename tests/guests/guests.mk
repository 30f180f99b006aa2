# The guest-kernel suite (tests/guests/): small NASM kernels, one behaviour each.
# Included by the top-level Makefile; also usable on its own:
#   make -f tests/guests/guests.mk guests
#
# <name>.asm is an ELF32 multiboot1 kernel linked at 1 MiB -> build/guests/<name>.elf,
# except the raw images listed in GUEST_BIN_NAMES -> build/guests/<name>.bin
# (kind=realmode: loaded at 0x7c00; kind=flat64: loaded at 0x100000).
# build/guests/hypercall.inc is generated from src/arch/abi.ts.

BUILD ?= build
GUEST_SRC_DIR   := tests/guests
GUEST_BUILD     := $(BUILD)/guests
GUEST_BIN_NAMES := real_mode_entry_runs long_mode_entry_runs triple_fault_real_mode
GUEST_ALL_NAMES := $(basename $(notdir $(wildcard $(GUEST_SRC_DIR)/*.asm)))
GUEST_ELF_NAMES := $(filter-out $(GUEST_BIN_NAMES),$(GUEST_ALL_NAMES))
GUEST_ELFS      := $(patsubst %,$(GUEST_BUILD)/%.elf,$(GUEST_ELF_NAMES))
GUEST_BINS      := $(patsubst %,$(GUEST_BUILD)/%.bin,$(filter $(GUEST_BIN_NAMES),$(GUEST_ALL_NAMES)))
GUEST_DEPS      := $(GUEST_SRC_DIR)/lib.inc $(GUEST_SRC_DIR)/paging.inc $(GUEST_SRC_DIR)/vcpus.inc $(GUEST_SRC_DIR)/clock.inc $(GUEST_SRC_DIR)/apic.inc $(GUEST_SRC_DIR)/acpi.inc $(GUEST_SRC_DIR)/rand.inc $(GUEST_BUILD)/hypercall.inc $(GUEST_SRC_DIR)/guests.mk
GUEST_NASM      := nasm -w+all -w-unknown-warning -I$(GUEST_BUILD)/ -I$(GUEST_SRC_DIR)/

.PHONY: guests clean-guests
.SECONDARY: $(patsubst %,$(GUEST_BUILD)/%.o,$(GUEST_ELF_NAMES))
guests: $(GUEST_ELFS) $(GUEST_BINS)

$(GUEST_BUILD)/hypercall.inc: src/arch/abi.ts
	@mkdir -p $(@D)
	sed -n 's/^export const \([A-Z0-9_]*\): u[0-9]* = \([0-9a-fA-Fx]*\);.*/\1 equ \2/p' $< > $@

$(GUEST_BUILD)/%.o: $(GUEST_SRC_DIR)/%.asm $(GUEST_DEPS)
	@mkdir -p $(@D)
	$(GUEST_NASM) -f elf32 $< -o $@

$(GUEST_BUILD)/%.elf: $(GUEST_BUILD)/%.o $(GUEST_SRC_DIR)/guest.ld
	ld.lld -m elf_i386 -nostdlib -static -z max-page-size=4096 -T $(GUEST_SRC_DIR)/guest.ld $< -o $@

$(GUEST_BUILD)/%.bin: $(GUEST_SRC_DIR)/%.asm $(GUEST_DEPS)
	@mkdir -p $(@D)
	$(GUEST_NASM) -f bin $< -o $@

clean-guests:
	rm -rf $(GUEST_BUILD)
