// What a golden-vector program needs from a microcontroller target (robot_fw/targets/<target>/).
// Freestanding C++11: <stdint.h>/<stddef.h> only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "robot_fw/controller.h"

// Board bring-up: serial/semihosting output, the tick counter.
void tw_plat_init();
// Text output (UART0 on AVR, semihosting stdout on Cortex-M).
void tw_plat_write(const char* s, size_t n);
// A free-running counter; differences are modular. AVR: CPU cycles (Timer1, prescaler 1, plus
// overflows). Cortex-M4 under QEMU: SysTick ticks on the 25 MHz clock = 40 instructions each with
// -icount shift=0 (see tw_plat_tick_insns).
uint32_t tw_plat_ticks();
// Stack bytes ever used since reset (the stack region is painted at startup).
uint32_t tw_plat_stack_peak();
// Exits the program (semihosting exit code / sleep with interrupts off).
void tw_plat_exit(int code);

// The model, bound per target: loaded in place from .tflite bytes (Cortex-M) or compiled in
// (AVR). Returns false with a message written on failure.
bool tw_model_bind(tinywalk::fw::ControllerModel& m);
// Inference alone, with the target's constant-data loader (for timing; same result as the
// network_run inside controller_step).
void tw_model_infer(const tinywalk::fw::NetworkView& net, const int8_t* input, int8_t* output, int8_t* scratch);

// Reads of the golden tables (tests/data/golden/golden_vectors.h): flash on AVR.
uint8_t tw_golden_u8(const uint8_t* p);
uint16_t tw_golden_u16(const uint16_t* p);
uint32_t tw_golden_u32(const uint32_t* p);

// String constants in flash on AVR (read back with tw_golden_u8), plain on 32-bit targets.
#if defined(__AVR__)
#include <avr/pgmspace.h>
#define TW_FLASH_STR(s) PSTR(s)
#else
#define TW_FLASH_STR(s) (s)
#endif
extern const char tw_target_name[];  // flash string
// What a tick is worth: tw_tick_scale units of tw_tick_unit ("cycles" on AVR, "insn" on Cortex-M4).
extern const char tw_tick_unit[];    // flash string
extern const uint32_t tw_tick_scale;
