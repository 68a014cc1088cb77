// The observation builder: from what the robot senses (the IMU through the
// HAL, its own command history, its gait clock) to the int8 input tensor of
// the policy, exactly as training built the features (policy/observation.h):
// signal by signal in spec order, each signal's last `history` frames, newest
// first; at the start of an episode the history is filled with the first frame.
//
// Units of the raw (fixed-point) signals, all int32:
//   IMU roll, pitch, yaw     1e-4 rad      (kRpyPerRad = 10000)
//   IMU body rates           1e-3 rad/s    (kGyroPerRadS = 1000)
//   IMU acceleration         1e-3 m/s^2    (kAccelPerMs2 = 1000)
//   last action              centidegrees, policy joint frame (the command sent last step)
//   gait clock sin, cos      Q14 (16384 = 1.0)
// Normalisation and input quantization are folded offline into one affine map
// per feature: q = clamp(floor((x * mul + add + 2^(shift-1)) / 2^shift), -128, 127),
// with mul, add in int32 and the product in int64. Integer only.
//
// Freestanding C++: no heap, no exceptions, no RTTI; <stdint.h>/<stddef.h> only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "robot_fw/postprocess.h"

namespace tinywalk {
namespace fw {

#ifndef TINYWALK_FW_MAX_FEATURES
#define TINYWALK_FW_MAX_FEATURES 128
#endif
#ifndef TINYWALK_FW_MAX_HISTORY
#define TINYWALK_FW_MAX_HISTORY 8
#endif
constexpr int kMaxFeatures = TINYWALK_FW_MAX_FEATURES;
constexpr int kMaxHistory = TINYWALK_FW_MAX_HISTORY;
constexpr int kMaxSignals = 8;
constexpr int32_t kRpyPerRad = 10000;
constexpr int32_t kGyroPerRadS = 1000;
constexpr int32_t kAccelPerMs2 = 1000;
constexpr int32_t kClockOne = 16384;  // Q14

// Signal ids (values are stored in the "tinywalk_fw" blob: never renumber).
enum class Signal : uint8_t {
  kImuRpy = 0,             // 3
  kImuRollPitch = 1,       // 2
  kImuGyro = 2,            // 3
  kImuRollPitchRate = 3,   // 2
  kImuAccel = 4,           // 3
  kLastAction = 5,         // num_joints
  kGaitClock = 6,          // 2 (sin, cos of 2 pi phase)
};
int signal_dim(Signal s, int num_joints);  // 0 for an unknown id

struct FeatureMap {
  int32_t mul;
  int32_t add;
  uint8_t shift;  // 0..62
};

// Const model: the observation spec with its folded quantization.
struct ObservationConfig {
  int num_signals;                  // 1..kMaxSignals
  Signal signal[kMaxSignals];
  uint8_t history[kMaxSignals];     // 1..kMaxHistory
  int num_joints;                   // joints of last_action (1..kMaxJoints)
  int num_features;                 // sum of dim * history, <= kMaxFeatures
  FeatureMap feature[kMaxFeatures];
  uint32_t phase_step;              // gait phase advance per control step, turns * 2^32
};

// One sensor frame in fixed-point units (see above).
struct SensorFrame {
  int32_t rpy[3];
  int32_t gyro[3];
  int32_t accel[3];
};

// Mutable data: the histories (raw values, newest first) and the gait clock.
struct ObservationState {
  int frames;                        // frames pushed this episode (saturates at kMaxHistory)
  int32_t rpy[kMaxHistory][3];
  int32_t gyro[kMaxHistory][3];
  int32_t accel[kMaxHistory][3];
  int32_t action[kMaxHistory][kMaxJoints];
  uint32_t phase;                    // turns * 2^32, phase of the current step
  int32_t clock[kMaxHistory][2];     // sin, cos in Q14
};

enum class ObsStatus : uint8_t { kOk = 0, kBadConfig, kNullPointer };
ObsStatus observation_validate(const ObservationConfig& cfg);
// Starts an episode: the next push fills every history slot; the gait phase restarts at 0.
void observation_reset(ObservationState& s);
// Pushes this control step's frame (the sensors and the command sent last step, cdeg in the
// policy frame) and writes cfg.num_features int8 features. Advances the gait clock after use,
// so step k of an episode sees phase k * phase_step (training: phase_k = k * dt * f).
ObsStatus observation_build(const ObservationConfig& cfg, ObservationState& s, const SensorFrame& frame,
                            const int32_t* last_action_cdeg, int8_t* features);

// sin and cos of 2 pi * phase / 2^32 in Q14, by a fixed-point polynomial (|error| <= 2 LSB).
int32_t clock_sin_q14(uint32_t phase);
int32_t clock_cos_q14(uint32_t phase);
// One folded feature: clamp(round((x * mul + add) / 2^shift), -128, 127), ties toward +inf.
int8_t quantize_feature(int32_t x, const FeatureMap& f);

}  // namespace fw
}  // namespace tinywalk
