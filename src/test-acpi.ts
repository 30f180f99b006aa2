// Test-only entry points for the domain's ACPI tables
// (tests/unit/acpi-tables.test.ts).
export {
  acpiTablesWrite, acpiTablesSize, acpiTablesError, ACPI_RSDP_OFFSET, ACPI_TABLES_VCPUS_MAX,
  ACPI_TABLES_EVCPUS, ACPI_TABLES_ESPACE, ACPI_TABLES_EALIGN, ACPI_TABLES_EADDRESS,
} from "./devices/acpi-tables";
