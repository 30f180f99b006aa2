# TypeScript to native:
#   src/main.ts --asc--> build/hv.wasm --wasm2c--> build/hv.c --clang--> build/hv.o
#   boot/*.asm --nasm--> build/*.o;  ld.lld -T boot/linker.ld --> build/hv.elf
#   grub-mkrescue --> build/hv.iso (BIOS and UEFI, CD or USB stick)

BUILD      := build
ASC        := node_modules/.bin/asc
NODE_BIN   := node_modules/.bin

# Debian packages by the command or file that shows each is present: what
# the build needs, and what the tests and `make run` need besides.
BUILD_TOOLS := nasm:nasm clang:clang ld.lld:lld wasm2c:wabt wasm2wat:wabt \
  grub-mkrescue:grub-common xorriso:xorriso mformat:mtools
BUILD_FILES := /usr/lib/grub/i386-pc/multiboot2.mod:grub-pc-bin \
  /usr/lib/grub/x86_64-efi/multiboot2.mod:grub-efi-amd64-bin /usr/include/stdlib.h:libc6-dev
TEST_TOOLS  := ld:binutils nm:binutils bochs:bochs qemu-system-x86_64:qemu-system-x86 \
  iasl:acpica-tools
TEST_FILES  := /usr/share/bochs/BIOS-bochs-latest:bochsbios /usr/share/vgabios/vgabios.bin:vgabios \
  /usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so.0:bochs-term \
  /usr/share/OVMF/OVMF_CODE.fd:ovmf

HV_SRC  := $(shell find src -name '*.ts') src/mm/rt-transform.mjs
ASM_SRC := $(wildcard boot/*.asm)
ASM_OBJ := $(patsubst boot/%.asm,$(BUILD)/%.o,$(ASM_SRC))

# Layout constants (src/arch/layout.ts) in pages of 64 KiB for asc.
layout = $(shell sed -n 's/^export const $(1): u[0-9]* = \(0x[0-9a-fA-F]*\|[0-9]*\);.*/\1/p' src/arch/layout.ts)
WASM_BASE  := $(call layout,HV_WASM_BASE)
WASM_PAGES := $(shell echo $$(( $(call layout,HV_WASM_END) / 65536 )))

# ASC_EXTRA: e.g. --debug (function names survive into the native symbols;
# bench/exit-profile.ts builds that way into BUILD=build/profile).
ASCFLAGS := -O3 --runtime src/mm/rt --transform ./src/mm/rt-transform.mjs --disable simd --memoryBase $$(($(WASM_BASE))) \
  --maximumMemory $(WASM_PAGES) --use abort=src/log/log/abort $(ASC_EXTRA)

# Freestanding kernel code: no libc, no red zone (interrupts use the stack
# below RSP), no SSE/x87 (guest FPU state must never be clobbered), no PIC.
# The direct map makes every wasm address valid, so wasm2c's bounds checks are
# off (the "signal handler" mode, whose handler is the page-fault dump).
# Indirect branches go through boot/spec.asm's thunk, a retpoline where the
# CPU needs one (src/cpu/mitigations.ts).
CFLAGS := -O2 -std=c11 -ffreestanding -fno-builtin -mno-red-zone -mretpoline-external-thunk \
  -mno-sse -mno-sse2 -mno-mmx -mno-80387 -fno-pic -fno-pie \
  -fno-stack-protector -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
  -Wall -Wno-unused-function -Wno-unused-variable -Wno-unused-but-set-variable \
  -DNDEBUG -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1 -DWASM_RT_SKIP_SIGNAL_RECOVERY=1 \
  -I$(BUILD) -Iboot

.PHONY: all deps build-deps run test test-unit test-integration bench bench-profile soak check-float clean linux-guest
all: $(BUILD)/hv.iso

include tests/guests/guests.mk

# Installs what is missing: the Debian packages of the lists $(1) and $(2)
# (as root, or with sudo), then the npm packages package-lock.json pins
# (asc, and tsx and vitest for the tests), which need Node.js.
define install
@missing=""; \
for t in $(1); do command -v $${t%%:*} >/dev/null || missing="$$missing $${t##*:}"; done; \
for f in $(2); do [ -e $${f%%:*} ] || missing="$$missing $${f##*:}"; done; \
if [ -n "$$missing" ]; then \
  echo "deps: installing$$missing"; \
  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
fi
@if [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
  command -v npm >/dev/null || { echo "error: npm not found: install Node.js 18 or later with npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }; \
  npm ci --no-audit --no-fund; \
fi
endef

# What the build needs: an order-only prerequisite of every rule that runs a
# tool (through the build directory, or directly), so that `make` and any
# build target on a fresh clone install it first; deps adds what the tests
# and `make run` need.
build-deps:
	$(call install,$(BUILD_TOOLS),$(BUILD_FILES))
deps:
	$(call install,$(BUILD_TOOLS) $(TEST_TOOLS),$(BUILD_FILES) $(TEST_FILES))

$(BUILD): | build-deps
	mkdir -p $@
$(GUEST_BUILD)/hypercall.inc: | build-deps

$(BUILD)/hv.wasm: $(HV_SRC) | $(BUILD)
	$(ASC) src/main.ts $(ASCFLAGS) -o $@ --textFile $(BUILD)/hv.wat
	@$(MAKE) -s check-float WASM=$@ || { rm -f $@; exit 1; }

# The unit tests' build (tests/sim/machine.ts loads it): src/test.ts, the
# microkernel plus the test-only exports of src/exports.ts, with names kept
# (--debug) and HV_DEBUG defined, which turns on debug-only checks (each
# VMCS access against its field's width, src/vmx/vmcs.ts). build/hv.wasm,
# the image's, has neither.
TEST_ASCFLAGS := $(ASCFLAGS) --debug --use HV_DEBUG=1
$(BUILD)/hv-test.wasm: $(HV_SRC) | $(BUILD)
	$(ASC) src/test.ts $(TEST_ASCFLAGS) -o $@ --textFile $(BUILD)/hv-test.wat
	@$(MAKE) -s check-float WASM=$@ || { rm -f $@; exit 1; }

# The microkernel must not touch the FPU: any f32/f64 value type or
# instruction in a wasm fails its build (both builds are checked).
WASM ?= $(BUILD)/hv.wasm $(BUILD)/hv-test.wasm
check-float: | build-deps
	@for w in $(WASM); do \
	  if wasm2wat $$w | grep -nE '\b(f32|f64)\b' | head -5 | grep .; then \
	    echo "error: $$w uses floating point (f32/f64); the microkernel must not touch the FPU" >&2; exit 1; fi; \
	done

$(BUILD)/layout.inc: src/arch/layout.ts | $(BUILD)
	sed -n 's/^export const \([A-Z0-9_]*\): u[0-9]* = \([0-9a-fA-Fx]*\);.*/\1 equ \2/p' $< > $@
# The hardware definitions and the hypercall ABI, for boot/*.asm: each
# `export const NAME: uN = <number or shift>;` line becomes `NAME equ ...`.
ARCH_TS := src/arch/cr.ts src/arch/msr.ts src/arch/paging.ts src/arch/cpuid.ts src/arch/vmcs.ts \
  src/arch/vmx-exit.ts src/arch/abi.ts
$(BUILD)/arch.inc: $(ARCH_TS) | $(BUILD)
	sed -n 's/^export const \([A-Z0-9_]*\): u[0-9]* = \([0-9a-fA-Fx <]*[0-9a-fA-F]\);.*/\1 equ \2/p' $^ > $@
$(BUILD)/layout.h: src/arch/layout.ts | $(BUILD)
	sed -n 's/^export const \([A-Z0-9_]*\): u[0-9]* = \([0-9a-fA-Fx]*\);.*/#define \1 \2ull/p' $< > $@
$(BUILD)/layout.ld: src/arch/layout.ts | $(BUILD)
	sed -n 's/^export const \([A-Z0-9_]*\): u[0-9]* = \([0-9a-fA-Fx]*\);.*/\1 = \2;/p' $< > $@

$(BUILD)/hv.c: $(BUILD)/hv.wasm
	wasm2c $< -o $@

$(BUILD)/hv.o: $(BUILD)/hv.c
	clang $(CFLAGS) -c $< -o $@
$(BUILD)/wasm-rt.o: boot/wasm-rt.c $(BUILD)/hv.c $(BUILD)/layout.h
	clang $(CFLAGS) -c $< -o $@
$(BUILD)/%.o: boot/%.asm $(BUILD)/layout.inc $(BUILD)/arch.inc boot/import.inc boot/x86.inc
	nasm -f elf64 -w+all -I$(BUILD)/ -Iboot/ $< -o $@

$(BUILD)/hv.elf: $(ASM_OBJ) $(BUILD)/hv.o $(BUILD)/wasm-rt.o boot/linker.ld $(BUILD)/layout.ld
	ld.lld -nostdlib -static -z max-page-size=4096 -L$(BUILD) -T boot/linker.ld \
	  $(ASM_OBJ) $(BUILD)/hv.o $(BUILD)/wasm-rt.o -o $@

# ── Linux guests ────────────────────────────────────────────────────────────
# Debian 12's cloud kernel, the one version everything here uses (Debian's
# archive keeps only the newest security build: move both together).
LINUX_ABI     := 6.1.0-57
LINUX_VERSION := 6.1.192-3
LINUX_PACKAGE := linux-image-$(LINUX_ABI)-cloud-amd64
LINUX_KERNEL  := $(BUILD)/linux/vmlinuz

$(LINUX_KERNEL): Makefile | $(BUILD)
	rm -rf $(BUILD)/linux/kernel-deb && mkdir -p $(BUILD)/linux/kernel-deb
	cd $(BUILD)/linux/kernel-deb && apt-get download -q $(LINUX_PACKAGE)=$(LINUX_VERSION)
	dpkg-deb --fsys-tarfile $(BUILD)/linux/kernel-deb/$(LINUX_PACKAGE)_$(LINUX_VERSION)_amd64.deb | \
	  tar -x -O ./boot/vmlinuz-$(LINUX_ABI)-cloud-amd64 > $@.part
	echo "$(LINUX_PACKAGE) $(LINUX_VERSION)" > $(BUILD)/linux/version
	rm -rf $(BUILD)/linux/kernel-deb
	mv $@.part $@

# The test initramfs: Debian 12's busybox-static and tests/guests/linux/.
BUSYBOX_VERSION := 1:1.35.0-4+deb12u1+b1
LINUX_INITRD    := $(BUILD)/linux/initrd.img
LINUX_GUEST     := $(LINUX_KERNEL) $(LINUX_INITRD)
linux-guest: $(LINUX_GUEST)
$(BUILD)/linux/busybox: Makefile | $(BUILD)
	rm -rf $(BUILD)/linux/busybox-deb && mkdir -p $(BUILD)/linux/busybox-deb
	cd $(BUILD)/linux/busybox-deb && apt-get download -q busybox-static=$(BUSYBOX_VERSION)
	dpkg-deb --fsys-tarfile $(BUILD)/linux/busybox-deb/busybox-static_*_amd64.deb | tar -x -O ./bin/busybox > $@.part
	rm -rf $(BUILD)/linux/busybox-deb
	chmod +x $@.part && mv $@.part $@
$(LINUX_INITRD): $(BUILD)/linux/busybox $(wildcard tests/guests/linux/*)
	$(NODE_BIN)/tsx tests/guests/linux/mkinitramfs.ts $< $@

# The example guests qemu/grub.cfg boots next to Domain 0, and the configs
# Domain 0's shell can `create` them from.
ISO_GUESTS  := uart_output_reaches_log hypercall_version cpuid_hypervisor_leaf counter
ISO_CONFIGS := tests/guests/counter.cfg tests/guests/linux/linux.cfg

$(BUILD)/hv.iso: $(BUILD)/hv.elf $(BUILD)/dom0.elf $(patsubst %,$(BUILD)/guests/%.elf,$(ISO_GUESTS)) $(ISO_CONFIGS) \
  $(LINUX_GUEST) qemu/grub.cfg
	rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub $(BUILD)/iso/boot/guests
	cp $(BUILD)/hv.elf $(BUILD)/dom0.elf $(BUILD)/iso/boot/
	cp $(patsubst %,$(BUILD)/guests/%.elf,$(ISO_GUESTS)) $(ISO_CONFIGS) $(LINUX_GUEST) $(BUILD)/iso/boot/guests/
	cp qemu/grub.cfg $(BUILD)/iso/boot/grub/
	grub-mkrescue -o $@ $(BUILD)/iso 2>$(BUILD)/grub-mkrescue.log || { cat $(BUILD)/grub-mkrescue.log; exit 1; }

run: deps $(BUILD)/hv.iso
	$(NODE_BIN)/tsx qemu/run.ts $(RUNFLAGS)

test: deps
	$(MAKE) $(BUILD)/hv.iso $(BUILD)/hv-test.wasm guests $(BUILD)/dom0.elf $(LINUX_GUEST)
	$(NODE_BIN)/vitest run --config tests/vitest.config.ts

test-unit: deps $(BUILD)/hv-test.wasm $(BUILD)/dom0/dom0.wasm $(BUILD)/layout.inc $(BUILD)/layout.ld $(LINUX_KERNEL)
	$(NODE_BIN)/vitest run --config tests/vitest.config.ts tests/unit

test-integration: deps $(BUILD)/hv.iso guests
	$(NODE_BIN)/vitest run --config tests/vitest.config.ts tests/integration

clean:
	rm -rf $(BUILD)

# The exit fuzzer at 1,000,000 steps beside a canary (its 100,000-step run
# is tests/integration/fuzz.test.ts, in `make test`); FUZZ_SEED replays one.
soak: deps $(BUILD)/hv.elf $(BUILD)/dom0.elf guests
	$(NODE_BIN)/tsx bench/fuzz-soak.ts

bench: deps $(BUILD)/hv.iso guests
	$(NODE_BIN)/tsx bench/exit-cost.ts
	$(NODE_BIN)/tsx bench/apic-cost.ts
	$(NODE_BIN)/tsx bench/switch-cost.ts
	$(NODE_BIN)/tsx bench/idle-cost.ts
	$(NODE_BIN)/tsx bench/linux-boot.ts
	$(NODE_BIN)/tsx bench/save.ts
	$(NODE_BIN)/tsx bench/flood.ts

# ── Domain 0 ────────────────────────────────────────────────────────────────
# dom0/**/*.ts --asc--> build/dom0/dom0.wasm --wasm2c -n dom0--> dom0.c/.h
#   --clang--> dom0.o; boot/wasm-rt.c compiled unchanged against dom0/rt/
#   (hv.h maps the module's names, layout.h the alias and heap limit);
#   dom0/boot.asm --nasm--> boot.o; ld.lld -T dom0/linker.ld --> build/dom0.elf
# The wasm memory base is 2 MiB (asc wants it in decimal), above the image at
# 1 MiB (dom0/linker.ld asserts the image ends below it). Domain 0 lives long:
# the minimal runtime (TLSF, mark and sweep) frees, and its main loop collects
# between events, when no object is on the stack (dom0/main.ts). Domain 0 uses
# no function references: the shim has no funcref tables.
DOM0_BUILD     := $(BUILD)/dom0
DOM0_SRC       := $(shell find dom0 -name '*.ts') $(HV_SRC)
DOM0_ASCFLAGS  := -O3 --runtime minimal --disable simd --memoryBase 2097152 \
  --maximumMemory 256 --use abort=dom0/uart/abort
DOM0_CFLAGS    := $(filter-out -I$(BUILD) -Iboot -mretpoline-external-thunk,$(CFLAGS)) -Idom0/rt -I$(DOM0_BUILD)

$(DOM0_BUILD)/dom0.wasm: $(DOM0_SRC) Makefile | build-deps
	@mkdir -p $(@D)
	$(ASC) dom0/main.ts $(DOM0_ASCFLAGS) -o $@ --textFile $(DOM0_BUILD)/dom0.wat
	@$(MAKE) -s check-float WASM=$@ || { rm -f $@; exit 1; }
$(DOM0_BUILD)/dom0.c: $(DOM0_BUILD)/dom0.wasm
	wasm2c -n dom0 $< -o $@
$(DOM0_BUILD)/dom0.o: $(DOM0_BUILD)/dom0.c
	clang $(DOM0_CFLAGS) -c $< -o $@
$(DOM0_BUILD)/wasm-rt.o: boot/wasm-rt.c $(DOM0_BUILD)/dom0.c dom0/rt/hv.h dom0/rt/layout.h
	clang $(DOM0_CFLAGS) -c $< -o $@
$(DOM0_BUILD)/boot.o: dom0/boot.asm boot/import.inc boot/x86.inc | build-deps
	@mkdir -p $(@D)
	nasm -f elf64 -w+all -Iboot/ $< -o $@
# The shim reports a trap with boot/serial.asm's routines, as in the hypervisor.
$(BUILD)/dom0.elf: $(DOM0_BUILD)/boot.o $(DOM0_BUILD)/dom0.o $(DOM0_BUILD)/wasm-rt.o $(BUILD)/serial.o dom0/linker.ld
	ld.lld -nostdlib -static -z max-page-size=4096 -T dom0/linker.ld \
	  $(DOM0_BUILD)/boot.o $(DOM0_BUILD)/dom0.o $(DOM0_BUILD)/wasm-rt.o $(BUILD)/serial.o -o $@
dom0: $(BUILD)/dom0.elf
.PHONY: dom0

bench-profile: deps guests
	$(NODE_BIN)/tsx bench/exit-profile.ts
