// What both ATmega328P programs (the golden image and the NyBoard image) need from the chip
// besides the firmware core: a painted stack and its high-water mark, an atomic read of
// Timer1 extended by its overflow count, and a halt that simavr takes as the end of the run.
#pragma once

#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <stdint.h>

extern uint8_t _end;  // end of .data + .bss (avr-libc linker script)

namespace tinywalk {
namespace avr_rt {

constexpr uint8_t kPaint = 0xC5;

// Paints the RAM between the static data and the top of the stack. Call only from .init3 (the
// stack pointer is set, .data/.bss not yet initialised; it uses no stack): see TW_AVR_PAINT_STACK.
inline __attribute__((always_inline)) void paint_stack() {
  for (uint8_t* p = &_end; p <= reinterpret_cast<uint8_t*>(RAMEND); ++p) *p = kPaint;
}

// Bytes of stack ever used: from the top of RAM down to the first byte still painted.
inline uint16_t stack_peak() {
  const uint8_t* p = &_end;
  while (p <= reinterpret_cast<const uint8_t*>(RAMEND) && *p == kPaint) ++p;
  return static_cast<uint16_t>(RAMEND + 1 - reinterpret_cast<uintptr_t>(p));
}

// Timer1 and its overflow count read together: (overflows << 16) | TCNT1, counting an overflow
// that is pending while interrupts are off.
inline uint32_t timer1_read(const volatile uint16_t& overflows) {
  const uint8_t sreg = SREG;
  cli();
  const uint16_t lo = TCNT1;
  uint16_t hi = overflows;
  if ((TIFR1 & (1 << TOV1)) && lo < 0x8000u) ++hi;
  SREG = sreg;
  return (static_cast<uint32_t>(hi) << 16) | lo;
}

// Waits for the UART to drain, then sleeps with interrupts off (simavr stops there).
[[noreturn]] inline void halt() {
  while (!(UCSR0A & (1 << TXC0)) && (UCSR0B & (1 << TXEN0))) {
  }
  cli();
  set_sleep_mode(SLEEP_MODE_PWR_DOWN);
  sleep_enable();
  sleep_cpu();
  for (;;) {
  }
}

}  // namespace avr_rt
}  // namespace tinywalk

// Defines the .init3 function that paints the stack (one per program).
#define TW_AVR_PAINT_STACK(name)                                                        \
  extern "C" void name() __attribute__((naked, used, section(".init3")));              \
  extern "C" void name() { tinywalk::avr_rt::paint_stack(); }
