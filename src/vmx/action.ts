// What an exit handler asks the run loop to do next. Advancing RIP is the
// handler's decision, made by returning ACTION_NEXT (or YIELD/BLOCK, which
// also complete the instruction); it uses VM_EXIT_INSTRUCTION_LEN.
export const ACTION_RESUME: u32 = 0;   // re-enter at the same RIP (fault injected, or retried)
export const ACTION_NEXT: u32 = 1;     // the instruction is done: skip it and re-enter
export const ACTION_YIELD: u32 = 2;    // skip it and let another vCPU run
export const ACTION_PREEMPT: u32 = 3;  // time slice over: another vCPU may run
export const ACTION_BLOCK: u32 = 4;    // skip it (HLT) and wait for an event
export const ACTION_STOP: u32 = 5;     // the domain was stopped (domainStop)
