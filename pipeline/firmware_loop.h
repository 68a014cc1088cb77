// Firmware-in-the-loop: the firmware core (robot_fw/) drives the simulated
// robot. The simulated IMU feeds the firmware's HAL; the simulated servos
// receive exactly the integer OpenCat degrees the firmware emits, mapped back
// through the same joint index and direction table a real robot uses.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "pipeline/pipeline.h"
#include "quantize/tflite.h"

namespace tinywalk::pipeline {

// Per-episode firmware counters, summed over an evaluation.
struct FirmwareCounters {
  int64_t steps = 0;
  int64_t imu_faults = 0;       // NaN / infinite / out-of-range / stale readings held
  int64_t deadline_misses = 0;  // watchdog: control steps later than the deadline
  int64_t safe_stops = 0;       // episodes in which the firmware went to its safe pose
};

// A sim driver factory: one firmware core per driver, on the int8 model's
// prepared configuration (observation builder, post-processing, safety).
// postprocess = false bypasses smoothing/dead zone/rate limit (direct int8 -> degrees).
sim::DriverFactory firmware_driver(std::shared_ptr<const quant::TfliteModel> int8_model, const sim::CollectSetup& setup,
                                   bool postprocess = true, FirmwareCounters* counters = nullptr);

// Closed-loop episodes of the int8 model running inside the firmware core, and
// of the expert on the same seeds (as evaluate()).
EvalReport evaluate_firmware(std::shared_ptr<const quant::TfliteModel> int8_model, const sim::CollectSetup& setup, int episodes,
                             uint64_t seed, int threads, const std::function<void(int, int)>& progress = {},
                             FirmwareCounters* counters = nullptr, bool postprocess = true, const ExpertRun* expert = nullptr);

}  // namespace tinywalk::pipeline
