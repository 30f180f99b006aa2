import { pcSuite } from "./pc-suite";

pcSuite(2, true);
