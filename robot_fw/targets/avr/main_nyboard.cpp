// The flashable NyBoard (Bittle, ATmega328P @ 16 MHz) firmware: the compiled-in int8 policy
// (`tinywalk export --target avr`) run by fw::firmware_tick over the board HAL (nyboard_hal.h)
// every ControllerConfig::control_period_us (33 ms), fixed rate.
//
// Serial (115200 8N1): `start`, `stop`, `status`, `telemetry` (robot_fw/opencat_serial.h). After
// reset the firmware prints one boot line, e.g.
//   tinywalk nyboard period_us=33000 imu=ok servos=ok calib=eeprom ax=3 ay=-12 az=978 c=0 0 ...
// and holds the model's safe pose (mode idle) until `start`.
//
// Simulation build (-DTW_NYBOARD_SIM_STEPS=N, simavr, no chips on the bus): at tick
// TW_NYBOARD_SIM_START_AT (default 5) the bytes "start\n" are injected as if received; after N
// ticks the core's status line and a line `nyboard ticks=.. tick_max_us=.. stack_peak=..` are
// printed and the program sleeps with interrupts off (simavr exits). With -DTW_NYBOARD_SIM_FAKE_IMU
// the HAL reports a level robot at rest when the MPU6050 does not answer, so the policy runs
// (inference timing and the stack high-water mark on the real loop).
#include "robot_fw/targets/avr/avr_runtime.h"
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/sleep.h>

#include "robot_fw/controller.h"
#include "robot_fw/targets/avr/flash_loader.h"
#include "robot_fw/targets/avr/nyboard_hal.h"
#include "tinywalk_model.h"

namespace fw = tinywalk::fw;
namespace ny = tinywalk::nyboard;

namespace {
ny::NyboardHal hal;
fw::ControllerData data;
fw::ParserState parser;
// Arena: the network's input, output and 2 x max-width scratch (checked at boot).
uint8_t arena[tinywalk_model::kInputs + tinywalk_model::kOutputs + 2 * tinywalk_model::kMaxWidth];

[[gnu::unused]] uint16_t stack_peak() { return tinywalk::avr_rt::stack_peak(); }
[[noreturn]] void halt() { tinywalk::avr_rt::halt(); }

// Out of line so their buffers are not part of main's frame under every control step (the
// deepest stack is firmware_tick -> controller_step -> inference; SRAM is 2 KB in all).
__attribute__((noinline)) void boot_line(uint32_t period) {
  hal.print_P(PSTR("tinywalk nyboard period_us="));
  hal.print_i(static_cast<int32_t>(period));
  hal.print_P(hal.imu_ok() ? PSTR(" imu=ok") : PSTR(" imu=missing"));
  hal.print_P(hal.pca_ok() ? PSTR(" servos=ok") : PSTR(" servos=missing"));
  hal.print_P(hal.calib_from_eeprom() ? PSTR(" calib=eeprom") : PSTR(" calib=table"));
  {
    fw::ImuSample s;
    hal.micros();
    if (hal.read_imu(s)) {  // seeds the filter; the body-frame accel (cm/s^2) for the mount check
      const char* names = PSTR("xyz");
      for (int k = 0; k < 3; ++k) {
        const char c[3] = {' ', 'a', static_cast<char>(pgm_read_byte(names + k))};
        hal.serial_write(reinterpret_cast<const uint8_t*>(c), 3);
        hal.print_P(PSTR("="));
        hal.print_i(static_cast<int32_t>(s.accel[k] * 100.0f));
      }
    }
  }
  hal.print_P(PSTR(" c="));
  for (int k = 0; k < ny::kLegServos; ++k) {
    hal.print_i(hal.calib(k));
    hal.print_P(k + 1 < ny::kLegServos ? PSTR(" ") : PSTR("\n"));
  }

}

#ifdef TW_NYBOARD_SIM_STEPS
__attribute__((noinline)) void sim_report(uint32_t ticks, uint32_t tick_max) {
  char line[96];
  const size_t n = fw::controller_format_status(data, line, sizeof line);
  hal.serial_write(reinterpret_cast<const uint8_t*>(line), n);
  hal.print_P(PSTR("nyboard ticks="));
  hal.print_i(static_cast<int32_t>(ticks));
  hal.print_P(PSTR(" tick_max_us="));
  hal.print_i(static_cast<int32_t>(tick_max));
  hal.print_P(hal.imu_ok() ? PSTR(" imu=ok") : PSTR(" imu=missing"));
  hal.print_P(hal.pca_ok() ? PSTR(" servos=ok") : PSTR(" servos=missing"));
  hal.print_P(PSTR(" stack_peak="));
  hal.print_i(stack_peak());
  hal.print_P(PSTR("\n"));
}
#endif
}  // namespace

// Paints the RAM between the static data and the top of the stack before main (.init3: the
// stack pointer is set, .data/.bss not yet initialised; no stack used) for the high-water mark.
TW_AVR_PAINT_STACK(tw_nyboard_paint_stack)

int main() {
  hal.init();
  fw::ControllerModel m;
  m.net = &tinywalk_model::kNetwork;
  m.cfg = &tinywalk_model::kControllerConfig;
  m.infer = fw::tw_network_run_flash;  // weights in flash, the bit-exact fast kernel
  const uint32_t period = m.cfg->control_period_us;
  if (fw::controller_arena_bytes(m) > sizeof arena || fw::controller_init(m, data, arena, sizeof arena) != fw::CtlStatus::kOk) {
    hal.print_P(PSTR("tinywalk nyboard: model does not fit the arena: halted (servos off)\n"));
    halt();
  }
  fw::parser_reset(parser);
  hal.watch(&data);

  boot_line(period);

  uint32_t next = hal.micros();
#ifdef TW_NYBOARD_SIM_STEPS
#ifndef TW_NYBOARD_SIM_START_AT
#define TW_NYBOARD_SIM_START_AT 5
#endif
  uint32_t ticks = 0, tick_max = 0;
#endif
  for (;;) {
    // Fixed rate: wait for the period's start (modular clock).
    while (static_cast<int32_t>(hal.micros() - next) < 0) {
    }
#ifdef TW_NYBOARD_SIM_STEPS
    if (ticks == TW_NYBOARD_SIM_START_AT) hal.inject_rx("start\n");
    const uint32_t t0 = hal.micros();
#endif
    fw::firmware_tick(m, data, hal, parser);
    next += period;
    const uint32_t now = hal.micros();
    if (static_cast<int32_t>(now - next) > 0) next = now;  // overran: restart the schedule (the watchdog counts it)
#ifdef TW_NYBOARD_SIM_STEPS
    const uint32_t dt = now - t0;
    if (dt > tick_max) tick_max = dt;
    if (++ticks == TW_NYBOARD_SIM_STEPS) {
      sim_report(ticks, tick_max);
      halt();
    }
#endif
  }
}
