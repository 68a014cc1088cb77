// Post-processing of the int8 policy output into OpenCat servo angles.
//
// Freestanding C++: no heap, no exceptions, no RTTI, no standard library
// beyond <stdint.h>/<stddef.h>. Integer / fixed-point only.
//
// Units: every internal value is an int32 angle in CENTIDEGREES (cdeg, 1/100 degree) in the
// policy's joint frame (sim order, no sign flips) until the calibration stage; the output is
// int16 integer DEGREES in the OpenCat firmware frame, written at OpenCat joint indices.
//
// Pipeline for joint j (0 <= j < num_joints, policy / sim order), one call per control step:
//   1. dequantize   t = offset_cdeg[j] + floor(scale_num[j] * (q[j] - zero_point) / 2^scale_shift)
//                   (floor = arithmetic shift right, computed portably). offset_cdeg is the
//                   standing pose (0.52 rad ~ 2979 cdeg; OpenCat stands at 30 deg = 3000), so
//                   q == zero_point gives exactly the standing pose. Offline: for an output of
//                   scale s_out (rad per LSB), scale_num / 2^scale_shift = s_out * 18000 / pi.
//                   t is then saturated to +-kMaxAbsCdeg so no later stage can overflow.
//   2. dead zone    if |t - held[j]| < dead_zone_cdeg the held value is kept, else held[j] = t.
//                   held[j] is the last value this stage let through ("last sent command" in the
//                   policy domain, as in the paper's 1 degree dead zone). 0 disables it.
//   3. moving avg   trailing mean of the last ma_window (1..8) dead-zone outputs, rounded to
//                   nearest with ties away from zero. Window 1 is a pass-through.
//   4. low-pass     optional biquad, Direct Form I, coefficients in Q14 (a0 = 1):
//                   y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2. x history in cdeg, y history in
//                   cdeg * 2^8 (Q8) so rounding leaves no dead band at steady state; the Q22
//                   accumulator is int64; y (Q8) = floor((acc + 2^13) / 2^14) (round half up);
//                   output cdeg = floor((y + 2^7) / 2^8) (round half up). DC gain must be exactly
//                   one: b0 + b1 + b2 == 2^14 + a1 + a2 (checked; the offline tool adjusts b1),
//                   so a state seeded with a constant pose outputs that pose with no jump.
//   5. rate limit   the change from the last command (cmd[j], the clamped value of the previous
//                   step) is clamped to +-rate_limit_cdeg. 0 disables it.
//   6. clamp        to [min_cdeg[j], max_cdeg[j]]; the result is stored as cmd[j].
//   7. calibration  f = direction[j] * cmd + calib_cdeg[j]   (direction is +1 or -1).
//   8. degrees      round f / 100 to nearest, ties AWAY FROM ZERO (-150 -> -2, -149 -> -1,
//                   -50 -> -1, -49 -> 0, 150 -> 2); then saturated to int16.
//   9. reorder      firmware_deg_out[index_map[j]] = degrees. The output array has
//                   kOpenCatJointCount (16) entries owned by the caller; entries not named in
//                   index_map are left untouched. Paper's map: {9, 13, 8, 12, 10, 14, 11, 15}.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace tinywalk {
namespace fw {

// Capacities are compile-time (fixed memory); a 2 KB-SRAM target builds with smaller ones
// (-DTINYWALK_FW_MAX_JOINTS=8 -DTINYWALK_FW_MAX_MOVING_AVERAGE=4).
#ifndef TINYWALK_FW_MAX_JOINTS
#define TINYWALK_FW_MAX_JOINTS 16
#endif
#ifndef TINYWALK_FW_MAX_MOVING_AVERAGE
#define TINYWALK_FW_MAX_MOVING_AVERAGE 8
#endif
constexpr int kMaxJoints = TINYWALK_FW_MAX_JOINTS;                // capacity of per-joint arrays
constexpr int kMaxMovingAverage = TINYWALK_FW_MAX_MOVING_AVERAGE;  // capacity of the moving-average ring
constexpr int kOpenCatJointCount = 16;  // size of the firmware angle frame
constexpr int kBiquadShift = 14;        // biquad coefficients are Q14
constexpr int kBiquadStateShift = 8;    // biquad output history is cdeg * 2^8
constexpr int32_t kMaxAbsCdeg = 100000;  // every angle in the config / pipeline within +-1000 deg

enum class PostprocessStatus : uint8_t {
  kOk = 0,
  kNullPointer,      // a required pointer argument was null
  kBadJointCount,    // num_joints outside 1..kMaxJoints
  kBadWindow,        // ma_window outside 1..kMaxMovingAverage
  kBadShift,         // scale_shift outside 0..30
  kBadScale,         // |scale_num| > 2^22 (product with q - zp must fit int32)
  kBadLimits,        // min_cdeg > max_cdeg, or a negative dead zone / rate limit
  kBadDirection,     // direction not +1 / -1
  kBadIndexMap,      // index outside 0..15 or repeated
  kBadFilter,        // biquad DC gain not exactly one, or a |coefficient| > 2^16
  kBadAngle,         // a config / pose angle outside +-kMaxAbsCdeg, or zero_point outside int8
  kNotInitialized,   // state not reset with a config of this joint count / window
};

// The "model": constant, precomputed offline. Plain integers; all angles in centidegrees.
struct PostprocessConfig {
  int num_joints;                     // 1..kMaxJoints
  int32_t zero_point;                 // output zero point of the network (int8 domain)
  int32_t scale_shift;                // 0..30
  int32_t scale_num[kMaxJoints];      // |scale_num| <= 2^22
  int32_t offset_cdeg[kMaxJoints];    // standing pose
  int32_t dead_zone_cdeg;             // >= 0; 0 disables
  int ma_window;                      // 1..kMaxMovingAverage
  bool lowpass_enabled;
  int32_t b0, b1, b2, a1, a2;         // Q14 biquad coefficients (a0 = 2^14 implied)
  int32_t rate_limit_cdeg;            // >= 0 per step; 0 disables
  int32_t min_cdeg[kMaxJoints];       // clamp, policy frame
  int32_t max_cdeg[kMaxJoints];
  int8_t direction[kMaxJoints];       // +1 / -1
  int32_t calib_cdeg[kMaxJoints];     // added after the direction
  uint8_t index_map[kMaxJoints];      // policy joint j -> OpenCat joint index (0..15)
};

// The "data": mutable, owned by the caller (e.g. a static), no heap.
struct PostprocessState {
  int num_joints;                              // as configured at reset; 0 = not initialized
  int ma_window;
  int ma_pos;                                  // next ring slot
  int32_t held_cdeg[kMaxJoints];               // dead-zone output
  int32_t ma_ring[kMaxJoints][kMaxMovingAverage];
  int32_t lp_x1[kMaxJoints], lp_x2[kMaxJoints];  // cdeg
  int32_t lp_y1[kMaxJoints], lp_y2[kMaxJoints];  // cdeg * 2^8
  int32_t cmd_cdeg[kMaxJoints];                // last clamped command (policy frame)
};

// Checks every field of the config.
PostprocessStatus postprocess_validate(const PostprocessConfig& cfg);

// Validates cfg, then seeds every stage with pose_cdeg[j] (policy frame, cdeg) so that a
// constant input equal to the pose produces exactly that pose from the first step; pass
// pose_cdeg == nullptr to seed with cfg.offset_cdeg (the standing pose). State is untouched
// on error.
PostprocessStatus postprocess_reset(const PostprocessConfig& cfg, PostprocessState& state, const int32_t* pose_cdeg);

// One control step: net_out has cfg.num_joints int8 values (policy order); firmware_deg_out
// has kOpenCatJointCount entries, of which index_map[0..num_joints) are written. Returns
// kNotInitialized unless the state was reset with a config of the same joint count and
// window; nothing is written on error.
PostprocessStatus postprocess_step(const PostprocessConfig& cfg, PostprocessState& state, const int8_t* net_out,
                                   int16_t* firmware_deg_out);

// The same step without the checks, for a caller that validated cfg and reset state with it once
// (the controller does, at init): the per-step hot path. Preconditions as postprocess_step's kOk.
void postprocess_run(const PostprocessConfig& cfg, PostprocessState& state, const int8_t* net_out, int16_t* firmware_deg_out);

// Helpers (exposed for tests): floor(x / 2^s); round(x / d) ties away from zero (d > 0);
// centidegrees -> degrees with the rule of stage 8.
int32_t floor_shift(int32_t x, int s);
// Stage 1 alone: the policy's target for joint j in cdeg (policy frame), saturated.
int32_t postprocess_dequantize(const PostprocessConfig& cfg, int j, int8_t q);
int32_t div_round_away(int32_t x, int32_t d);
int16_t cdeg_to_deg(int32_t cdeg);

}  // namespace fw
}  // namespace tinywalk
