// The credit scheduler on 2 CPUs in Bochs (tests/integration/sched-smp.ts).
import { schedSmpSuite } from "./sched-smp";

schedSmpSuite(2);
