/* Cortex-M4 startup for QEMU mps2-an386: the vector table, the reset handler
   (copy .data, zero .bss, paint the stack, run constructors, main, exit through
   semihosting) and a fault handler that exits with a message instead of hanging. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern uint32_t __data_load, __data_start, __data_end, __bss_start__, __bss_end__, __stack_top, __stack_limit;
extern void __libc_init_array(void);
extern void initialise_monitor_handles(void);
int main(void);

/* -nostartfiles: newlib's __libc_init_array calls _init (crti.o is not linked). */
void _init(void) {}
void _fini(void) {}

void Reset_Handler(void);
void Fault_Handler(void);

__attribute__((section(".isr_vector"), used)) void (*const tw_vectors[16])(void) = {
    (void (*)(void))(&__stack_top), Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, 0, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler, Fault_Handler,
};

#define TW_STACK_PAINT 0xC5C5C5C5u

/* Bytes of the stack region ever written: scan from the limit up to the first unpainted word. */
uint32_t tw_stack_peak_bytes(void) {
  const uint32_t* p = &__stack_limit;
  while (p < &__stack_top && *p == TW_STACK_PAINT) ++p;
  return (uint32_t)((const uint8_t*)&__stack_top - (const uint8_t*)p);
}

__attribute__((naked, noreturn)) void Reset_Handler(void) {
  __asm volatile(
      "ldr r0, =__stack_top\n"
      "mov sp, r0\n"
      "b tw_reset_c\n");
}

__attribute__((noreturn, used)) void tw_reset_c(void) {
  uint32_t* src = &__data_load;
  for (uint32_t* dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
  for (uint32_t* dst = &__bss_start__; dst < &__bss_end__;) *dst++ = 0;
  /* Paint the stack below the current frame (leave 64 bytes for this function). */
  uint32_t* sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t* p = &__stack_limit; p < sp - 16; ++p) *p = TW_STACK_PAINT;
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}

void Fault_Handler(void) {
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  printf("FAULT exception %lu\n", (unsigned long)ipsr);
  exit(99);
}
