// The control step with its safety layer, the serial front end and the HAL loop.
#include "robot_fw/controller.h"

// Reply strings live in flash on AVR (2 KB of SRAM): PSTR literals read with pgm_read_byte.
#ifdef __AVR__
#include <avr/pgmspace.h>
#define TW_STR(s) PSTR(s)
#define TW_STR_CHAR(p) static_cast<char>(pgm_read_byte(p))
#else
#define TW_STR(s) (s)
#define TW_STR_CHAR(p) (*(p))
#endif

namespace tinywalk {
namespace fw {

namespace {

constexpr int32_t kMaxAbsAngle = 32416;      // pi + 0.1 rad in 1e-4 rad
constexpr int32_t kMaxAbsRate = 35000;       // 35 rad/s in 1e-3 rad/s
constexpr int32_t kMaxAbsAccel = 160000;     // 160 m/s^2 in 1e-3 m/s^2

inline uint32_t float_bits(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, sizeof u);  // the bit pattern; no float arithmetic
  return u;
}

void command_safe_pose(const ControllerModel& m, ControllerData& d) {
  for (int k = 0; k < kOpenCatJointCount; ++k) d.deg[k] = m.cfg->safety.safe_pose_deg[k];
}

// Leaves the running mode: safe pose, policy stopped.
void enter(const ControllerModel& m, ControllerData& d, Mode mode) {
  if (d.mode == Mode::kRunning && mode != Mode::kRunning) ++d.safe_stops;
  d.mode = mode;
  command_safe_pose(m, d);
}

// Unsigned decimal into buf at *n (bounded).
void put_u32(char* buf, size_t cap, size_t* n, uint32_t v) {
  char tmp[10];
  int len = 0;
  do {
    tmp[len++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (len > 0 && *n < cap) buf[(*n)++] = tmp[--len];
}
void put_i32(char* buf, size_t cap, size_t* n, int32_t v) {
  if (v < 0 && *n < cap) buf[(*n)++] = '-';
  put_u32(buf, cap, n, v < 0 ? static_cast<uint32_t>(-(v + 1)) + 1u : static_cast<uint32_t>(v));
}
// s is a TW_STR literal.
void put_str(char* buf, size_t cap, size_t* n, const char* s) {
  for (char c = TW_STR_CHAR(s); c && *n < cap; c = TW_STR_CHAR(++s)) buf[(*n)++] = c;
}
// " label=value": label is a TW_STR literal.
void put_field(char* buf, size_t cap, size_t* n, const char* label, uint32_t v) {
  put_str(buf, cap, n, label);
  put_u32(buf, cap, n, v);
}
void put_mode(char* buf, size_t cap, size_t* n, Mode m) {
  switch (m) {
    case Mode::kIdle: return put_str(buf, cap, n, TW_STR("idle"));
    case Mode::kRunning: return put_str(buf, cap, n, TW_STR("running"));
    case Mode::kFallen: return put_str(buf, cap, n, TW_STR("fallen"));
    case Mode::kLifted: return put_str(buf, cap, n, TW_STR("lifted"));
    case Mode::kFault: return put_str(buf, cap, n, TW_STR("fault"));
  }
  put_str(buf, cap, n, TW_STR("unknown"));
}

}  // namespace

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::kIdle: return "idle";
    case Mode::kRunning: return "running";
    case Mode::kFallen: return "fallen";
    case Mode::kLifted: return "lifted";
    case Mode::kFault: return "fault";
  }
  return "unknown";
}

bool float_bits_to_fixed(uint32_t bits, int32_t scale, int32_t limit, int32_t* out) {
  const uint32_t exp = (bits >> 23) & 0xffu;
  const bool neg = (bits >> 31) != 0;
  if (exp == 0xffu) return false;  // NaN or infinity
  // |x| = mant * 2^(e - 150) (normal: implicit leading one; subnormal: e = 1).
  const uint64_t mant = (bits & 0x7fffffu) | (exp != 0 ? 0x800000u : 0u);
  const int e = exp != 0 ? static_cast<int>(exp) - 150 : -149;
  const uint64_t p = mant * static_cast<uint64_t>(scale);  // < 2^24 * 2^31
  uint64_t mag;
  if (e >= 0) {
    if (e > 8) return mant == 0 ? (*out = 0, true) : false;  // |x| * scale >= 2^32: far out of range
    mag = p << e;
  } else if (e > -63) {
    mag = (p + (static_cast<uint64_t>(1) << (-e - 1))) >> -e;  // round half away from zero (on the magnitude)
  } else {
    mag = 0;
  }
  if (mag > static_cast<uint64_t>(limit)) return false;
  *out = neg ? -static_cast<int32_t>(mag) : static_cast<int32_t>(mag);
  return true;
}

ImuCheck imu_decode(const ImuSample& s, uint32_t now_us, uint32_t max_age_us, SensorFrame& out) {
  const struct {
    const float* v;
    int32_t* dst;
    int32_t scale, limit;
  } groups[3] = {{s.rpy, out.rpy, kRpyPerRad, kMaxAbsAngle}, {s.gyro, out.gyro, kGyroPerRadS, kMaxAbsRate}, {s.accel, out.accel, kAccelPerMs2, kMaxAbsAccel}};
  ImuCheck worst = ImuCheck::kOk;
  for (const auto& g : groups)
    for (int k = 0; k < 3; ++k) {
      const uint32_t bits = float_bits(g.v[k]);
      if (((bits >> 23) & 0xffu) == 0xffu) return ImuCheck::kNotFinite;
      if (!float_bits_to_fixed(bits, g.scale, g.limit, &g.dst[k])) worst = ImuCheck::kOutOfRange;
    }
  if (worst != ImuCheck::kOk) return worst;
  if (now_us - s.timestamp_us > max_age_us) return ImuCheck::kStale;  // modular age
  return ImuCheck::kOk;
}

size_t controller_arena_bytes(const ControllerModel& m) {
  if (!m.net) return 0;
  return static_cast<size_t>(m.net->inputs() + m.net->outputs()) + network_scratch_bytes(*m.net);
}

CtlStatus controller_init(const ControllerModel& m, ControllerData& d, uint8_t* arena, size_t arena_bytes) {
  if (!m.net || !m.cfg || !arena) return CtlStatus::kNullPointer;
  if (network_validate(*m.net) != NetStatus::kOk || observation_validate(m.cfg->obs) != ObsStatus::kOk ||
      postprocess_validate(m.cfg->post) != PostprocessStatus::kOk || m.cfg->obs.num_features != m.net->inputs() ||
      m.cfg->post.num_joints != m.net->outputs() || m.cfg->obs.num_joints != m.cfg->post.num_joints || m.cfg->control_period_us == 0)
    return CtlStatus::kBadModel;
  if (arena_bytes < controller_arena_bytes(m)) return CtlStatus::kArenaTooSmall;
  d.input = reinterpret_cast<int8_t*>(arena);
  d.output = d.input + m.net->inputs();
  d.scratch = d.output + m.net->outputs();
  d.scratch_bytes = network_scratch_bytes(*m.net);
  d.mode = Mode::kIdle;
  d.have_step = d.have_imu = false;
  d.last_step_us = d.last_imu_us = 0;
  d.consecutive_faults = d.consecutive_misses = d.lift_count = 0;
  d.steps = d.policy_steps = d.imu_faults = d.deadline_misses = d.safe_stops = 0;
  d.last_fault = ImuCheck::kOk;
  observation_reset(d.obs);
  postprocess_reset(m.cfg->post, d.post, nullptr);
  for (int j = 0; j < kMaxJoints; ++j) d.last_action_cdeg[j] = j < m.cfg->post.num_joints ? m.cfg->post.offset_cdeg[j] : 0;
  command_safe_pose(m, d);
  return CtlStatus::kOk;
}

void controller_start(const ControllerModel& m, ControllerData& d) {
  observation_reset(d.obs);
  postprocess_reset(m.cfg->post, d.post, nullptr);
  for (int j = 0; j < m.cfg->post.num_joints; ++j) d.last_action_cdeg[j] = m.cfg->post.offset_cdeg[j];
  d.consecutive_faults = d.consecutive_misses = d.lift_count = 0;
  d.have_step = false;
  d.mode = Mode::kRunning;
}

void controller_stop(const ControllerModel& m, ControllerData& d) { enter(m, d, Mode::kIdle); }

StepResult controller_step(const ControllerModel& m, ControllerData& d, const ImuSample& imu, uint32_t now_us) {
  const ControllerConfig& c = *m.cfg;
  StepResult r{d.mode, false, false, false, d.deg};
  ++d.steps;
  // Watchdog: did this step start too late after the previous one?
  if (d.have_step && now_us - d.last_step_us > c.control_period_us + c.safety.deadline_slack_us) {
    r.deadline_miss = true;
    ++d.deadline_misses;
    if (++d.consecutive_misses >= c.safety.deadline_limit && d.mode == Mode::kRunning) enter(m, d, Mode::kFault);
  } else {
    d.consecutive_misses = 0;
  }
  d.last_step_us = now_us;
  d.have_step = true;
  // The IMU sample: finite, in range, fresh, and newer than the last one.
  SensorFrame frame;
  ImuCheck chk = imu_decode(imu, now_us, c.safety.max_imu_age_us, frame);
  if (chk == ImuCheck::kOk && d.have_imu && imu.timestamp_us == d.last_imu_us) chk = ImuCheck::kStale;
  if (chk != ImuCheck::kOk) {
    r.imu_fault = true;
    d.last_fault = chk;
    ++d.imu_faults;
    if (++d.consecutive_faults >= c.safety.fault_limit && d.mode == Mode::kRunning) enter(m, d, Mode::kFault);
    r.mode = d.mode;
    return r;  // hold the last command
  }
  d.consecutive_faults = 0;
  d.have_imu = true;
  d.last_imu_us = imu.timestamp_us;
  if (d.mode != Mode::kRunning) {
    r.mode = d.mode;
    return r;
  }
  // Fall and lift detection.
  const int32_t roll = frame.rpy[0], pitch = frame.rpy[1];
  if (roll > c.safety.fall_roll || roll < -c.safety.fall_roll || pitch > c.safety.fall_pitch || pitch < -c.safety.fall_pitch) {
    enter(m, d, Mode::kFallen);
    r.mode = d.mode;
    return r;
  }
  if (pitch < c.safety.lift_pitch_min || pitch > c.safety.lift_pitch_max) {
    if (++d.lift_count >= c.safety.lift_steps) {
      enter(m, d, Mode::kLifted);
      r.mode = d.mode;
      return r;
    }
  } else {
    d.lift_count = 0;
  }
  // Observation -> int8 policy -> post-processing -> OpenCat degrees.
  observation_build(c.obs, d.obs, frame, d.last_action_cdeg, d.input);
  (m.infer ? m.infer : network_run)(*m.net, d.input, d.output, d.scratch, d.scratch_bytes);
  postprocess_run(c.post, d.post, d.output, d.deg);  // config validated by controller_init
  for (int j = 0; j < c.post.num_joints; ++j)
    d.last_action_cdeg[j] = c.history_source == kHistoryPolicy ? postprocess_dequantize(c.post, j, d.output[j]) : d.post.cmd_cdeg[j];
  ++d.policy_steps;
  r.ran_policy = true;
  r.mode = d.mode;
  return r;
}

void controller_command(const ControllerModel& m, ControllerData& d, ParserEvent e) {
  if (e == ParserEvent::kStart && d.mode != Mode::kRunning) controller_start(m, d);
  if (e == ParserEvent::kStop) controller_stop(m, d);
}

size_t controller_format_status(const ControllerData& d, char* buf, size_t cap) {
  size_t n = 0;
  put_str(buf, cap, &n, TW_STR("mode="));
  put_mode(buf, cap, &n, d.mode);
  put_field(buf, cap, &n, TW_STR(" steps="), d.steps);
  put_field(buf, cap, &n, TW_STR(" policy="), d.policy_steps);
  put_field(buf, cap, &n, TW_STR(" faults="), d.imu_faults);
  put_field(buf, cap, &n, TW_STR(" misses="), d.deadline_misses);
  put_field(buf, cap, &n, TW_STR(" stops="), d.safe_stops);
  put_str(buf, cap, &n, TW_STR("\n"));
  return n;
}

size_t controller_format_telemetry(const ControllerData& d, char* buf, size_t cap) {
  size_t n = 0;
  put_str(buf, cap, &n, TW_STR("t"));
  for (int k = 8; k < kOpenCatJointCount; ++k) {
    put_str(buf, cap, &n, TW_STR(" "));
    put_i32(buf, cap, &n, d.deg[k]);
  }
  put_str(buf, cap, &n, TW_STR("\n"));
  return n;
}

StepResult firmware_tick(const ControllerModel& m, ControllerData& d, Hal& hal, ParserState& parser) {
  // Serial commands first (bounded: at most 64 bytes per tick).
  char reply[96];
  for (int k = 0; k < 64; ++k) {
    const int b = hal.serial_read();
    if (b < 0) break;
    const ParserEvent e = parser_feed(parser, static_cast<uint8_t>(b));
    controller_command(m, d, e);
    size_t n = 0;
    if (e == ParserEvent::kStatus) n = controller_format_status(d, reply, sizeof reply);
    if (e == ParserEvent::kTelemetry) n = controller_format_telemetry(d, reply, sizeof reply);
    if (n) hal.serial_write(reinterpret_cast<const uint8_t*>(reply), n);
  }
  // The sample first, then the clock: a sample stamped by the HAL's own clock is never newer than `now`.
  ImuSample s{};
  const bool have = hal.read_imu(s);
  const uint32_t now = hal.micros();
  if (!have) s.timestamp_us = d.last_imu_us;  // no sample: stale
  const StepResult r = controller_step(m, d, s, now);
  hal.write_servos(r.deg);
  return r;
}

}  // namespace fw
}  // namespace tinywalk
