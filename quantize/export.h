// Firmware export: C++ source holding a prepared int8 model (weights, int32
// biases, per-channel multipliers and shifts, kernel parameters) as constant
// arrays for a firmware build, in flash (PROGMEM on AVR), with a size report.
#pragma once

#include <string>

#include "quantize/tflite.h"

namespace tinywalk::quant {

struct ExportReport {
  std::string header, source;  // paths written
  size_t flash_bytes = 0;      // constant model data
  size_t arena_bytes = 0;      // RAM the inference needs (input, output, two scratch buffers)
  size_t weight_bytes = 0;     // int8 weights alone
};

// target: "host", "cortex-m" or "avr" (AVR: arrays in PROGMEM). InputError for a float model or an unknown target.
ExportReport export_firmware(const TfliteModel& model, const std::string& target, const std::string& out_dir);

}  // namespace tinywalk::quant
