// asc --transform: no shadow stack. asc turns the shadow stack on for any
// runtime but its own stub, to let a collector find references on the stack
// (src/mm/rt.ts has no collector); it would cost every call that holds an
// object and, being one stack in linear memory, be wrong with several CPUs.
import { Transform } from "assemblyscript/transform";

export default class NoShadowStack extends Transform {
  afterParse(parser) {
    const program = parser.program ?? this.program;
    program.options.stackSize = 0;
    program.module.useShadowStack = false;
  }
}
