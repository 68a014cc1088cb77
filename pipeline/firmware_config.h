// The firmware's integer configuration, computed offline (all the float work):
// the observation builder's folded normalisation + input quantization, the
// post-processing chain in fixed point, the safety thresholds, and the
// "tinywalk_fw" blob that carries them (with per-channel multipliers and
// shifts) inside the .tflite file. See robot_fw/controller_config.h.
#pragma once

#include <string>

#include "common/yaml_config.h"
#include "quantize/tflite.h"
#include "robot_fw/controller.h"
#include "sim/robot_config.h"
#include "sim/rollout.h"

namespace tinywalk::pipeline {

// Post-processing settings (the .tflite metadata's postprocess_yaml); the paper's chain by default.
struct PostprocessSettings {
  double dead_zone_deg = 1;             // hold the last command when the change is smaller; 0 = off
  int moving_average = 4;               // trailing mean over N commands (1 = off)
  double lowpass_cutoff_hz = 0;         // 2nd-order Butterworth at the control rate; 0 = off
  double rate_limit_deg_per_step = 0;   // 0 = off
  bool clamp_to_firmware_limits = true; // clamp each joint to its URDF limits

  template <class V>
  void visit(V& v) {
    v.field("dead_zone_deg", dead_zone_deg, "deg; changes smaller than this hold the last command (0 = off)", config::between(0, 30));
    v.field("moving_average", moving_average, "commands in the trailing moving average (1 = off)", config::between(1, 8));
    v.field("lowpass_cutoff_hz", lowpass_cutoff_hz, "Hz; 2nd-order Butterworth low-pass cutoff (0 = off)", config::non_negative());
    v.field("rate_limit_deg_per_step", rate_limit_deg_per_step, "deg; largest change per control step (0 = off)", config::between(0, 360));
    v.field("clamp_to_firmware_limits", clamp_to_firmware_limits, "clamp every joint command to the joint's URDF limits");
  }
};
PostprocessSettings parse_postprocess(const std::string& yaml, const std::string& source);

struct FirmwareSettings {
  bool postprocess = true;          // false: int8 output -> degrees directly (no dead zone, smoothing, rate limit)
  double control_dt = 0.033;        // s
  double gait_frequency_hz = 2.5;   // the gait clock's frequency
  bool history_from_policy = true;  // last_action history: the policy's own targets (true) or the sent commands
};

// InputError if the model is not int8 or does not fit the firmware's capacities.
fw::ControllerConfig firmware_config(const quant::TfliteModel& int8_model, const sim::Robot& robot, const FirmwareSettings& s);
// The blob: "TWFW", version, per-layer multipliers and shifts, then the config fields.
std::string firmware_blob(const quant::TfliteModel& int8_model, const fw::ControllerConfig& cfg);
// Settings of a collect setup (control period, gait clock).
FirmwareSettings firmware_settings(const sim::CollectSetup& setup, bool postprocess = true);

}  // namespace tinywalk::pipeline
