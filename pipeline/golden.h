// Golden vectors for the firmware core: a sensor sequence recorded from the simulator (with
// deliberately bad samples and a fall), run through the host build of robot_fw, written as a C
// header both microcontroller programs compile in (robot_fw/targets/common/golden_main.cpp) and
// as text. The MCU programs must reproduce every byte.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "robot_fw/controller.h"

namespace tinywalk::golden {

// One step's input: the serial command applied first (0 none, 1 start, 2 stop), the HAL clock
// and the IMU sample handed to controller_step.
struct SensorStep {
  uint8_t command = 0;
  uint32_t now_us = 0;
  fw::ImuSample imu{};
  std::string note;  // why this step is special (empty for plain simulator samples)
};

// One step's expected output.
struct GoldenStep {
  SensorStep in;
  uint8_t result = 0;             // mode | ran_policy << 3 | imu_fault << 4 | deadline_miss << 5
  std::vector<int8_t> features;   // [inputs] when the policy ran, else zeros
  std::vector<int8_t> outputs;    // [outputs] when the policy ran, else zeros
  int16_t deg[fw::kOpenCatJointCount] = {};
  uint8_t serial[fw::kLCommandBytes] = {};  // encode_L(deg, kClamp)
};

struct Golden {
  std::string model_bytes;  // the .tflite file
  int inputs = 0, outputs = 0;
  size_t arena_bytes = 0;
  std::vector<GoldenStep> steps;
};

uint32_t fnv1a(const std::string& bytes);

// Closed loop in the simulator (configs/collect/bittle_trot.yaml, no randomization, `seed`): the
// host firmware drives the robot; `steps` sensor steps are recorded, with bad samples (NaN, inf,
// out of range, a repeated and an old timestamp, a late step) and a fall ramp near the end.
std::vector<SensorStep> record_sensors(const std::string& model_bytes, const std::string& collect_yaml, int steps, uint64_t seed);

// Runs the sensor steps through the host firmware (tflite_load + controller_config_read).
Golden run_firmware(const std::string& model_bytes, const std::vector<SensorStep>& in);

std::string render_header(const Golden& g);  // golden_vectors.h
std::string render_text(const Golden& g);    // golden_vectors.txt
// The sensor steps back out of render_text's output (InputError naming `source` on bad text).
std::vector<SensorStep> parse_text_sensors(const std::string& text, const std::string& source);

}  // namespace tinywalk::golden
