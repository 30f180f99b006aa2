; A known line printed on the UART reaches the hypervisor log as
; "[uart_output_reaches_log] uart_output_reaches_log: the quick brown fox ...".
%define TEST_NAME "uart_output_reaches_log"
%include "lib.inc"

main:
  PRINT TEST_NAME, ": the quick brown fox jumps over the lazy dog 0123456789", 10
  PASS
