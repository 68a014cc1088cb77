// The "tinywalk_fw" blob: everything the firmware needs beyond the TFLite
// graph, precomputed offline by the quantizer (pipeline/firmware_config.h) so
// the firmware does no float arithmetic. Stored in a .tflite file as the
// buffer of the Model.metadata entry named "tinywalk_fw".
//
// Layout (little-endian, every field 4 bytes unless noted, so the int32 arrays
// are 4-byte aligned when the buffer is):
//   "TWFW"  u32 version (1)  u32 num_layers
//   per layer: u32 out, i32 multiplier[out], i32 shift[out]
//   u32 config_bytes, then the ControllerConfig fields in the order of
//   visit_controller_config() below, each as a 4-byte little-endian integer.
// One field list serves the writer (host) and the reader (firmware).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "robot_fw/controller.h"
#include "robot_fw/network.h"

namespace tinywalk {
namespace fw {

constexpr uint32_t kFwBlobVersion = 1;

// V provides: bool count(int& n, int lo, int hi) (reads/writes a count and checks its range)
// and bool field(T& x) for the integer types used below (returns false on error).
template <class V>
bool visit_controller_config(V& v, ControllerConfig& c) {
  bool ok = v.field(c.control_period_us);
  ObservationConfig& o = c.obs;
  ok = ok && v.count(o.num_signals, 1, kMaxSignals);
  for (int s = 0; ok && s < o.num_signals; ++s) ok = v.field(o.signal[s]) && v.field(o.history[s]);
  ok = ok && v.count(o.num_joints, 1, kMaxJoints) && v.count(o.num_features, 1, kMaxFeatures) && v.field(o.phase_step);
  for (int f = 0; ok && f < o.num_features; ++f) ok = v.field(o.feature[f].mul) && v.field(o.feature[f].add) && v.field(o.feature[f].shift);
  PostprocessConfig& p = c.post;
  ok = ok && v.count(p.num_joints, 1, kMaxJoints) && v.field(p.zero_point) && v.field(p.scale_shift) && v.field(p.dead_zone_cdeg) &&
       v.count(p.ma_window, 1, kMaxMovingAverage) && v.field(p.lowpass_enabled) && v.field(p.b0) && v.field(p.b1) && v.field(p.b2) &&
       v.field(p.a1) && v.field(p.a2) && v.field(p.rate_limit_cdeg);
  for (int j = 0; ok && j < p.num_joints; ++j)
    ok = v.field(p.scale_num[j]) && v.field(p.offset_cdeg[j]) && v.field(p.min_cdeg[j]) && v.field(p.max_cdeg[j]) &&
         v.field(p.direction[j]) && v.field(p.calib_cdeg[j]) && v.field(p.index_map[j]);
  SafetyConfig& s = c.safety;
  ok = ok && v.field(s.fall_roll) && v.field(s.fall_pitch) && v.field(s.lift_pitch_min) && v.field(s.lift_pitch_max) &&
       v.field(s.lift_steps) && v.field(s.fault_limit) && v.field(s.deadline_limit) && v.field(s.max_imu_age_us) &&
       v.field(s.deadline_slack_us);
  for (int k = 0; ok && k < kOpenCatJointCount; ++k) ok = v.field(s.safe_pose_deg[k]);
  ok = ok && v.field(c.history_source);
  return ok;
}

enum class BlobStatus : uint8_t { kOk = 0, kNullPointer, kBadMagic, kBadVersion, kTruncated, kBadField, kInvalid };

// Parses the controller configuration out of a blob (skipping the layer section), then
// checks it (observation, post-processing, safety ranges). `cfg` is fully overwritten.
BlobStatus controller_config_read(const uint8_t* blob, size_t size, ControllerConfig& cfg);
// Checks a configuration against a network (feature count == inputs, joints == outputs).
BlobStatus controller_config_check(const ControllerConfig& cfg, const NetworkView& net);

}  // namespace fw
}  // namespace tinywalk
