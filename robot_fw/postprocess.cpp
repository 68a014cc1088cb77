// Post-processing: int8 policy output -> OpenCat integer degrees. See postprocess.h for units.
// Outline: helpers (portable floor shift, rounding division) -> validate -> reset (seed every
// stage with a pose) -> step (the nine stages, per joint, into locals; commit state at the end).
#include "robot_fw/postprocess.h"

namespace tinywalk {
namespace fw {

namespace {

int64_t floor_shift64(int64_t x, int s) {
  // Portable arithmetic shift: for negative x, floor(x / 2^s) = -ceil(-x / 2^s).
  if (x >= 0) return x >> s;
  return -((-x + ((int64_t{1} << s) - 1)) >> s);
}

int32_t clamp32(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : (x > hi ? hi : x); }

bool angle_ok(int32_t a) { return a >= -kMaxAbsCdeg && a <= kMaxAbsCdeg; }

bool coef_ok(int32_t c) { return c >= -(int32_t{1} << 16) && c <= (int32_t{1} << 16); }

}  // namespace

int32_t floor_shift(int32_t x, int s) { return static_cast<int32_t>(floor_shift64(x, s)); }

int32_t postprocess_dequantize(const PostprocessConfig& cfg, int j, int8_t q) {
  // |product| <= 2^22 * 255 < 2^31.
  const int32_t prod = cfg.scale_num[j] * (static_cast<int32_t>(q) - cfg.zero_point);
  const int32_t t = cfg.offset_cdeg[j] + floor_shift(prod, cfg.scale_shift);
  return t < -kMaxAbsCdeg ? -kMaxAbsCdeg : (t > kMaxAbsCdeg ? kMaxAbsCdeg : t);
}

int32_t div_round_away(int32_t x, int32_t d) {
  // C++ division truncates toward zero; adding half of d with the sign of x rounds ties away.
  const int64_t half = d / 2;
  const int64_t xx = x;
  return static_cast<int32_t>(xx >= 0 ? (xx + half) / d : (xx - half) / d);
}

int16_t cdeg_to_deg(int32_t cdeg) {
  const int32_t deg = div_round_away(cdeg, 100);
  return static_cast<int16_t>(clamp32(deg, -32768, 32767));
}

PostprocessStatus postprocess_validate(const PostprocessConfig& cfg) {
  if (cfg.num_joints < 1 || cfg.num_joints > kMaxJoints) return PostprocessStatus::kBadJointCount;
  if (cfg.ma_window < 1 || cfg.ma_window > kMaxMovingAverage) return PostprocessStatus::kBadWindow;
  if (cfg.scale_shift < 0 || cfg.scale_shift > 30) return PostprocessStatus::kBadShift;
  if (cfg.zero_point < -128 || cfg.zero_point > 127) return PostprocessStatus::kBadAngle;
  if (cfg.dead_zone_cdeg < 0 || cfg.rate_limit_cdeg < 0) return PostprocessStatus::kBadLimits;
  if (!angle_ok(cfg.dead_zone_cdeg) || !angle_ok(cfg.rate_limit_cdeg)) return PostprocessStatus::kBadAngle;
  if (cfg.lowpass_enabled) {
    if (!coef_ok(cfg.b0) || !coef_ok(cfg.b1) || !coef_ok(cfg.b2) || !coef_ok(cfg.a1) || !coef_ok(cfg.a2))
      return PostprocessStatus::kBadFilter;
    if (cfg.b0 + cfg.b1 + cfg.b2 != (int32_t{1} << kBiquadShift) + cfg.a1 + cfg.a2) return PostprocessStatus::kBadFilter;
  }
  bool used[kOpenCatJointCount] = {};
  for (int j = 0; j < cfg.num_joints; ++j) {
    if (cfg.scale_num[j] < -(int32_t{1} << 22) || cfg.scale_num[j] > (int32_t{1} << 22)) return PostprocessStatus::kBadScale;
    if (!angle_ok(cfg.offset_cdeg[j]) || !angle_ok(cfg.min_cdeg[j]) || !angle_ok(cfg.max_cdeg[j]) ||
        !angle_ok(cfg.calib_cdeg[j]))
      return PostprocessStatus::kBadAngle;
    if (cfg.min_cdeg[j] > cfg.max_cdeg[j]) return PostprocessStatus::kBadLimits;
    if (cfg.direction[j] != 1 && cfg.direction[j] != -1) return PostprocessStatus::kBadDirection;
    const uint8_t idx = cfg.index_map[j];
    if (idx >= kOpenCatJointCount || used[idx]) return PostprocessStatus::kBadIndexMap;
    used[idx] = true;
  }
  return PostprocessStatus::kOk;
}

PostprocessStatus postprocess_reset(const PostprocessConfig& cfg, PostprocessState& state, const int32_t* pose_cdeg) {
  const PostprocessStatus st = postprocess_validate(cfg);
  if (st != PostprocessStatus::kOk) return st;
  const int32_t* pose = pose_cdeg != nullptr ? pose_cdeg : cfg.offset_cdeg;
  for (int j = 0; j < cfg.num_joints; ++j)
    if (!angle_ok(pose[j])) return PostprocessStatus::kBadAngle;
  state.num_joints = cfg.num_joints;
  state.ma_window = cfg.ma_window;
  state.ma_pos = 0;
  for (int j = 0; j < kMaxJoints; ++j) {
    const int32_t p = j < cfg.num_joints ? pose[j] : 0;
    state.held_cdeg[j] = p;
    for (int k = 0; k < kMaxMovingAverage; ++k) state.ma_ring[j][k] = p;
    state.lp_x1[j] = state.lp_x2[j] = p;
    state.lp_y1[j] = state.lp_y2[j] = p * (int32_t{1} << kBiquadStateShift);
    state.cmd_cdeg[j] = p;
  }
  return PostprocessStatus::kOk;
}

PostprocessStatus postprocess_step(const PostprocessConfig& cfg, PostprocessState& state, const int8_t* net_out,
                                   int16_t* firmware_deg_out) {
  if (net_out == nullptr || firmware_deg_out == nullptr) return PostprocessStatus::kNullPointer;
  if (state.num_joints != cfg.num_joints || state.ma_window != cfg.ma_window || state.num_joints < 1 ||
      state.num_joints > kMaxJoints || state.ma_window < 1 || state.ma_window > kMaxMovingAverage ||
      state.ma_pos < 0 || state.ma_pos >= state.ma_window)
    return PostprocessStatus::kNotInitialized;
  const PostprocessStatus st = postprocess_validate(cfg);
  if (st != PostprocessStatus::kOk) return st;
  postprocess_run(cfg, state, net_out, firmware_deg_out);
  return PostprocessStatus::kOk;
}

void postprocess_run(const PostprocessConfig& cfg, PostprocessState& state, const int8_t* net_out, int16_t* firmware_deg_out) {
  const int pos = state.ma_pos;
  for (int j = 0; j < cfg.num_joints; ++j) {
    // 1. dequantize, saturate.
    const int32_t t = postprocess_dequantize(cfg, j, net_out[j]);

    // 2. dead zone against the last value let through.
    int32_t d = t - state.held_cdeg[j];
    if (d < 0) d = -d;
    if (d >= cfg.dead_zone_cdeg) state.held_cdeg[j] = t;
    const int32_t x = state.held_cdeg[j];

    // 3. trailing moving average (ring slot `pos` is the oldest; replace it).
    state.ma_ring[j][pos] = x;
    int32_t sum = 0;
    for (int k = 0; k < cfg.ma_window; ++k) sum += state.ma_ring[j][k];
    int32_t v = div_round_away(sum, cfg.ma_window);

    // 4. optional biquad, DF-I, Q14 coefficients, Q8 output history, int64 accumulator.
    if (cfg.lowpass_enabled) {
      const int64_t xs = int64_t{1} << kBiquadStateShift;
      const int64_t acc = int64_t{cfg.b0} * v * xs + int64_t{cfg.b1} * state.lp_x1[j] * xs +
                          int64_t{cfg.b2} * state.lp_x2[j] * xs - int64_t{cfg.a1} * state.lp_y1[j] -
                          int64_t{cfg.a2} * state.lp_y2[j];
      int64_t y = floor_shift64(acc + (int64_t{1} << (kBiquadShift - 1)), kBiquadShift);
      const int64_t ymax = int64_t{kMaxAbsCdeg} << kBiquadStateShift;  // keep an unstable design bounded
      if (y > ymax) y = ymax;
      if (y < -ymax) y = -ymax;
      state.lp_x2[j] = state.lp_x1[j];
      state.lp_x1[j] = v;
      state.lp_y2[j] = state.lp_y1[j];
      state.lp_y1[j] = static_cast<int32_t>(y);
      v = static_cast<int32_t>(floor_shift64(y + (int64_t{1} << (kBiquadStateShift - 1)), kBiquadStateShift));
    }

    // 5. rate limit against the last clamped command.
    if (cfg.rate_limit_cdeg > 0)
      v = clamp32(v, state.cmd_cdeg[j] - cfg.rate_limit_cdeg, state.cmd_cdeg[j] + cfg.rate_limit_cdeg);

    // 6. clamp; this is the command remembered for the next step.
    v = clamp32(v, cfg.min_cdeg[j], cfg.max_cdeg[j]);
    state.cmd_cdeg[j] = v;

    // 7-9. calibration / direction, integer degrees, OpenCat index.
    const int32_t f = static_cast<int32_t>(cfg.direction[j]) * v + cfg.calib_cdeg[j];
    firmware_deg_out[cfg.index_map[j]] = cdeg_to_deg(f);
  }
  state.ma_pos = pos + 1 == cfg.ma_window ? 0 : pos + 1;
}

}  // namespace fw
}  // namespace tinywalk
