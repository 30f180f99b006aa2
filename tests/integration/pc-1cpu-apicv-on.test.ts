import { pcSuite } from "./pc-suite";

pcSuite(1, true);
