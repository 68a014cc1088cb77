// ATmega328P (simavr, or a NyBoard) side of the golden program: UART0 output, Timer1 at
// prescaler 1 as a cycle counter (16-bit counter + overflow interrupt), a painted stack for the
// high-water mark, exit by sleeping with interrupts off (simavr then stops), and the model
// compiled in by `tinywalk export --target avr` (arrays in flash, read with pgm_read_*).
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/sleep.h>

#include "robot_fw/targets/avr/avr_runtime.h"
#include "robot_fw/targets/avr/flash_loader.h"
#include "robot_fw/int8_kernels_fast.h"
#include "robot_fw/targets/common/platform.h"
#include "tinywalk_model.h"

namespace {
volatile uint16_t timer1_overflows;
}  // namespace

ISR(TIMER1_OVF_vect) { timer1_overflows = timer1_overflows + 1; }

// The stack high-water mark: free RAM painted before main.
TW_AVR_PAINT_STACK(tw_paint_stack)

extern const char tw_target_name[] PROGMEM = "atmega328p";
extern const char tw_tick_unit[] PROGMEM = "cycles";
const uint32_t tw_tick_scale = 1;

void tw_plat_init() {
  // UART0: 115200 baud 8N1 at 16 MHz with double speed (UBRR 16, as the Arduino core).
  UCSR0A = 1 << U2X0;
  UBRR0H = 0;
  UBRR0L = 16;
  UCSR0B = 1 << TXEN0;
  UCSR0C = (1 << UCSZ01) | (1 << UCSZ00);
  // Timer1: normal mode, clock / 1, overflow interrupt counts the high 16 bits.
  TCCR1A = 0;
  TCCR1B = 1 << CS10;
  TIMSK1 = 1 << TOIE1;
  sei();
}

void tw_plat_write(const char* s, size_t n) {
  for (size_t k = 0; k < n; ++k) {
    while (!(UCSR0A & (1 << UDRE0))) {
    }
    UDR0 = static_cast<uint8_t>(s[k]);
  }
}

uint32_t tw_plat_ticks() { return tinywalk::avr_rt::timer1_read(timer1_overflows); }

uint32_t tw_plat_stack_peak() { return tinywalk::avr_rt::stack_peak(); }

void tw_plat_exit(int code) {
  (void)code;  // the result is the last line of output
  tinywalk::avr_rt::halt();
}

bool tw_model_bind(tinywalk::fw::ControllerModel& m) {
  m.net = &tinywalk_model::kNetwork;
  m.cfg = &tinywalk_model::kControllerConfig;
  m.infer = tinywalk::fw::tw_network_run_flash;  // weights in flash, the bit-exact fast kernel
  return true;
}

void tw_model_infer(const tinywalk::fw::NetworkView& n, const int8_t* input, int8_t* output, int8_t* scratch) {
  tinywalk::fw::network_run_fast<tinywalk::fw::FlashLoader>(n, input, output, scratch, n.max_width());
}

uint8_t tw_golden_u8(const uint8_t* p) { return pgm_read_byte(p); }
uint16_t tw_golden_u16(const uint16_t* p) { return pgm_read_word(p); }
uint32_t tw_golden_u32(const uint32_t* p) { return pgm_read_dword(p); }
