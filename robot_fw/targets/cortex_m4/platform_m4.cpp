// Cortex-M4 (QEMU mps2-an386) side of the golden program: semihosting output and exit code,
// SysTick as the clock, the model loaded in place from the .tflite bytes linked into flash.
//
// Timing under QEMU 7.2 (measured, see docs/firmware-mcu.md): the DWT cycle counter reads 0
// (not modelled); semihosting SYS_CLOCK / SYS_ELAPSED follow the host's clock (not repeatable);
// SysTick with CLKSOURCE = processor clock counts the board's 25 MHz clock in virtual time, and
// with -icount shift=0 one instruction is 1 ns, so 1 tick = 40 instructions, exactly repeatable.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "robot_fw/controller_config.h"
#include "robot_fw/network.h"
#include "robot_fw/targets/common/platform.h"

extern "C" uint32_t tw_stack_peak_bytes(void);
// The .tflite bytes (robot_fw/targets/cortex_m4/model_incbin.S), 16-byte aligned.
extern "C" const uint8_t tw_model_tflite[];
extern "C" const uint8_t tw_model_tflite_end[];

namespace {
volatile uint32_t& reg(uint32_t a) { return *reinterpret_cast<volatile uint32_t*>(a); }
constexpr uint32_t kSystCsr = 0xE000E010, kSystRvr = 0xE000E014, kSystCvr = 0xE000E018;
tinywalk::fw::NetworkView net;
tinywalk::fw::ControllerConfig cfg;
}  // namespace

extern const char tw_target_name[] = "cortex_m4";
extern const char tw_tick_unit[] = "insn";
const uint32_t tw_tick_scale = 40;  // instructions per 25 MHz SysTick tick at -icount shift=0

void tw_plat_init() {
  reg(kSystRvr) = 0x00FFFFFFu;  // 24-bit down counter, full range
  reg(kSystCvr) = 0;
  reg(kSystCsr) = 5u;  // enable, processor clock, no interrupt
}

void tw_plat_write(const char* s, size_t n) { write(1, s, n); }

// SysTick counts down modulo 2^24: extended in software to 32 bits (call at least every 0.67 s).
uint32_t tw_plat_ticks() {
  static uint32_t last = 0, high = 0;
  const uint32_t now = (0x00FFFFFFu - reg(kSystCvr)) & 0x00FFFFFFu;
  if (now < last) high += 0x01000000u;
  last = now;
  return high | now;
}

uint32_t tw_plat_stack_peak() { return tw_stack_peak_bytes(); }

void tw_plat_exit(int code) { exit(code); }

bool tw_model_bind(tinywalk::fw::ControllerModel& m) {
  tinywalk::fw::TfliteBlob blob{nullptr, 0};
  const size_t size = static_cast<size_t>(tw_model_tflite_end - tw_model_tflite);
  const tinywalk::fw::NetStatus ns = tinywalk::fw::tflite_load(tw_model_tflite, size, net, blob);
  if (ns != tinywalk::fw::NetStatus::kOk) {
    printf("tflite_load: %s\n", tinywalk::fw::net_status_name(ns));
    return false;
  }
  const tinywalk::fw::BlobStatus bs = tinywalk::fw::controller_config_read(blob.data, blob.size, cfg);
  if (bs != tinywalk::fw::BlobStatus::kOk || tinywalk::fw::controller_config_check(cfg, net) != tinywalk::fw::BlobStatus::kOk) {
    printf("controller_config_read: status %d\n", static_cast<int>(bs));
    return false;
  }
  m.net = &net;
  m.cfg = &cfg;
  return true;
}

void tw_model_infer(const tinywalk::fw::NetworkView& n, const int8_t* input, int8_t* output, int8_t* scratch) {
  tinywalk::fw::network_run_mem<tinywalk::fw::RamLoader>(n, input, output, scratch, n.max_width());
}

uint8_t tw_golden_u8(const uint8_t* p) { return *p; }
uint16_t tw_golden_u16(const uint16_t* p) { return *p; }
uint32_t tw_golden_u32(const uint32_t* p) { return *p; }
