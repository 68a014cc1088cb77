// The trained model on the real MCU targets, from the pipeline: golden vectors
// for THIS model, the firmware built with the cross toolchains (robot_fw/targets,
// cmake/*.cmake) and run on the emulators (QEMU mps2-an386, simavr ATmega328P):
// bit-exact with the host firmware, and the budget report of each target.
#pragma once

#include <string>
#include <vector>

namespace tinywalk::pipeline {

struct McuRun {
  std::string target;    // "avr" | "cortex_m4"
  bool ran = false;      // built and run on the emulator
  bool passed = false;   // bit-exact on every golden step and within the budgets
  std::string json;      // the budget report written (out_dir/mcu_budget_<target>.json)
  std::string log;       // build and run log
  std::string reason;    // why it did not run or pass
  // avr only: the deployable NyBoard image for this model (robot_fw/targets/avr/main_nyboard.cpp).
  std::string image_hex;           // out_dir/tinywalk_nyboard.hex, empty if not built
  long image_flash_bytes = -1;     // .text + .data
  long image_sram_static_bytes = -1;  // .data + .bss
};

// model_path: the int8 .tflite with its "tinywalk_fw" metadata; out_dir: where golden/, the
// builds, logs and reports go; collect_path: the simulator config the sensor sequence comes
// from. A missing toolchain or emulator is reported (ran = false), not thrown. For the AVR the
// NyBoard image is built as well and copied to out_dir/tinywalk_nyboard.hex with its sizes in
// out_dir/nyboard_image.json.
std::vector<McuRun> measure_on_mcus(const std::string& model_path, const std::string& out_dir, const std::string& collect_path);

}  // namespace tinywalk::pipeline
