// The observation builder: sensor histories, the gait clock, folded feature quantization.
#include "robot_fw/observation.h"

namespace tinywalk {
namespace fw {

namespace {
inline int64_t floor_shift64(int64_t x, int s) { return x >= 0 ? (x >> s) : ~(~x >> s); }

// sin(pi/2 * t) for t in [0, 2^16] (Q16), result in Q14 rounded: the Taylor polynomial to t^9
// (truncation error < 4e-6) in Q28 with floor shifts; |error| <= 1 LSB of Q14 over the quadrant.
int32_t quarter_sin_q14(int32_t t) {
  // Coefficients (pi/2)^(2k+1)/(2k+1)! * 2^28 as immediates (no table: on AVR a table would sit in SRAM).
  const int64_t t2 = floor_shift64(static_cast<int64_t>(t) * t, 16);
  int64_t p = 43068;
  p = -1256749 + floor_shift64(p * t2, 16);
  p = 21392326 + floor_shift64(p * t2, 16);
  p = -173399667 + floor_shift64(p * t2, 16);
  p = 421657428 + floor_shift64(p * t2, 16);
  const int64_t r = floor_shift64(p * t, 16);  // Q28
  return static_cast<int32_t>(floor_shift64(r + (static_cast<int64_t>(1) << 13), 14));
}
}  // namespace

int signal_dim(Signal s, int num_joints) {
  switch (s) {
    case Signal::kImuRpy: return 3;
    case Signal::kImuRollPitch: return 2;
    case Signal::kImuGyro: return 3;
    case Signal::kImuRollPitchRate: return 2;
    case Signal::kImuAccel: return 3;
    case Signal::kLastAction: return num_joints;
    case Signal::kGaitClock: return 2;
  }
  return 0;
}

int32_t clock_sin_q14(uint32_t phase) {
  const uint32_t quadrant = phase >> 30;
  const int32_t t = static_cast<int32_t>((phase >> 14) & 0xffffu);  // position in the quadrant, Q16
  const int32_t q14 = quarter_sin_q14((quadrant & 1u) ? 65536 - t : t);
  return quadrant >= 2 ? -q14 : q14;
}
int32_t clock_cos_q14(uint32_t phase) { return clock_sin_q14(phase + 0x40000000u); }

int8_t quantize_feature(int32_t x, const FeatureMap& f) {
  int64_t acc = static_cast<int64_t>(x) * f.mul + f.add;
  if (f.shift > 0) acc = floor_shift64(acc + (static_cast<int64_t>(1) << (f.shift - 1)), f.shift);
  if (acc < -128) acc = -128;
  if (acc > 127) acc = 127;
  return static_cast<int8_t>(acc);
}

ObsStatus observation_validate(const ObservationConfig& cfg) {
  if (cfg.num_signals < 1 || cfg.num_signals > kMaxSignals) return ObsStatus::kBadConfig;
  if (cfg.num_joints < 1 || cfg.num_joints > kMaxJoints) return ObsStatus::kBadConfig;
  int n = 0;
  for (int s = 0; s < cfg.num_signals; ++s) {
    const int d = signal_dim(cfg.signal[s], cfg.num_joints);
    if (d == 0 || cfg.history[s] < 1 || cfg.history[s] > kMaxHistory) return ObsStatus::kBadConfig;
    n += d * cfg.history[s];
  }
  if (n != cfg.num_features || n > kMaxFeatures) return ObsStatus::kBadConfig;
  for (int f = 0; f < cfg.num_features; ++f)
    if (cfg.feature[f].shift > 62) return ObsStatus::kBadConfig;
  return ObsStatus::kOk;
}

void observation_reset(ObservationState& s) {
  s.frames = 0;
  s.phase = 0;
}

ObsStatus observation_build(const ObservationConfig& cfg, ObservationState& s, const SensorFrame& frame,
                            const int32_t* last_action_cdeg, int8_t* features) {
  if (!last_action_cdeg || !features) return ObsStatus::kNullPointer;
  // Shift the histories (newest first); the first frame of an episode fills every slot.
  if (s.frames > 0)
    for (int h = kMaxHistory - 1; h >= 1; --h) {
      for (int k = 0; k < 3; ++k) {
        s.rpy[h][k] = s.rpy[h - 1][k];
        s.gyro[h][k] = s.gyro[h - 1][k];
        s.accel[h][k] = s.accel[h - 1][k];
      }
      for (int j = 0; j < cfg.num_joints; ++j) s.action[h][j] = s.action[h - 1][j];
      s.clock[h][0] = s.clock[h - 1][0];
      s.clock[h][1] = s.clock[h - 1][1];
    }
  for (int k = 0; k < 3; ++k) {
    s.rpy[0][k] = frame.rpy[k];
    s.gyro[0][k] = frame.gyro[k];
    s.accel[0][k] = frame.accel[k];
  }
  for (int j = 0; j < cfg.num_joints; ++j) s.action[0][j] = last_action_cdeg[j];
  s.clock[0][0] = clock_sin_q14(s.phase);
  s.clock[0][1] = clock_cos_q14(s.phase);
  if (s.frames == 0)
    for (int h = 1; h < kMaxHistory; ++h) {
      for (int k = 0; k < 3; ++k) {
        s.rpy[h][k] = s.rpy[0][k];
        s.gyro[h][k] = s.gyro[0][k];
        s.accel[h][k] = s.accel[0][k];
      }
      for (int j = 0; j < cfg.num_joints; ++j) s.action[h][j] = s.action[0][j];
      s.clock[h][0] = s.clock[0][0];
      s.clock[h][1] = s.clock[0][1];
    }
  if (s.frames < kMaxHistory) ++s.frames;
  s.phase += cfg.phase_step;
  // Features: signal by signal, each signal's history newest first.
  int f = 0;
  for (int si = 0; si < cfg.num_signals; ++si) {
    const Signal sig = cfg.signal[si];
    for (int h = 0; h < cfg.history[si]; ++h) {
      const int d = signal_dim(sig, cfg.num_joints);
      for (int k = 0; k < d; ++k, ++f) {
        int32_t x = 0;
        switch (sig) {
          case Signal::kImuRpy:
          case Signal::kImuRollPitch: x = s.rpy[h][k]; break;
          case Signal::kImuGyro:
          case Signal::kImuRollPitchRate: x = s.gyro[h][k]; break;
          case Signal::kImuAccel: x = s.accel[h][k]; break;
          case Signal::kLastAction: x = s.action[h][k]; break;
          case Signal::kGaitClock: x = s.clock[h][k]; break;
        }
        features[f] = quantize_feature(x, cfg.feature[f]);
      }
    }
  }
  return ObsStatus::kOk;
}

}  // namespace fw
}  // namespace tinywalk
