// AVR: the network's constant data (weights, biases, multipliers, shifts) lives in flash
// (PROGMEM, from `tinywalk export --target avr`) and is read with LPM through this loader,
// the `Mem` of fully_connected_int8_mem / network_run_mem (robot_fw/int8_kernels.h, network.h).
#pragma once

#include <avr/pgmspace.h>
#include <stddef.h>
#include <stdint.h>

#include "robot_fw/network.h"

namespace tinywalk {
namespace fw {

struct FlashLoader {
  static int8_t i8(const int8_t* p) { return static_cast<int8_t>(pgm_read_byte(p)); }
  static int32_t i32(const int32_t* p) { return static_cast<int32_t>(pgm_read_dword(p)); }
};

// network_run with the constant data in flash: the AVR build's ControllerModel::infer.
NetStatus tw_network_run_flash(const NetworkView& net, const int8_t* input, int8_t* output, int8_t* scratch, size_t scratch_bytes);

}  // namespace fw
}  // namespace tinywalk
