// The hypervisor's AssemblyScript runtime (asc --runtime src/mm/rt): the
// runtime interface over regions (src/mm/region.ts), without a garbage
// collector: nothing is freed one by one; a region is given back whole.
// Memory comes zeroed, as the standard library expects of a runtime other
// than the stub. No exports: these are found by their global names.
import { OBJECT, OBJECT_OVERHEAD, OBJECT_MAXSIZE, BLOCK_MAXSIZE, BLOCK_OVERHEAD } from "rt/common";
import { regionAlloc, regionCurrent, regionRealloc, regionFreeBlock, blockSize } from "./region";

// @ts-ignore: decorator
@unsafe @global
function __alloc(size: usize): usize {
  if (size > BLOCK_MAXSIZE) unreachable();
  return regionAlloc(regionCurrent(), size);
}

// @ts-ignore: decorator
@unsafe @global
function __realloc(ptr: usize, size: usize): usize {
  if (size > BLOCK_MAXSIZE) unreachable();
  return regionRealloc(ptr, size);
}

// @ts-ignore: decorator
@unsafe @global
function __free(ptr: usize): void {
  regionFreeBlock(ptr);
}

// @ts-ignore: decorator
@unsafe @global
function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) unreachable();
  const ptr = __alloc(OBJECT_OVERHEAD + size);
  const object = changetype<OBJECT>(ptr - BLOCK_OVERHEAD);
  object.rtId = id;
  object.rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) unreachable();
  const ptr = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(ptr - BLOCK_OVERHEAD).rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@global @unsafe
function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
function __pin(ptr: usize): usize { return ptr; }

// @ts-ignore: decorator
@global @unsafe
function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {}

// @ts-ignore: decorator
@global @unsafe
function __collect(): void {}
