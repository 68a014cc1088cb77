// Offline float work for the firmware: folded feature maps, fixed-point post-processing, the blob.
#include "pipeline/firmware_config.h"

#include <cmath>
#include <cstring>

#include "common/error.h"
#include "policy/observation.h"
#include "quantize/ptq.h"
#include "robot_fw/controller_config.h"

namespace tinywalk::pipeline {

namespace {

constexpr double kCdegPerRad = 18000.0 / M_PI;

fw::Signal signal_id(const std::string& name, const std::string& source) {
  if (name == "imu_rpy") return fw::Signal::kImuRpy;
  if (name == "imu_roll_pitch") return fw::Signal::kImuRollPitch;
  if (name == "imu_gyro") return fw::Signal::kImuGyro;
  if (name == "imu_roll_pitch_rate") return fw::Signal::kImuRollPitchRate;
  if (name == "imu_accel") return fw::Signal::kImuAccel;
  if (name == "last_action") return fw::Signal::kLastAction;
  if (name == "gait_clock") return fw::Signal::kGaitClock;
  throw InputError(source, "observation", "signal '" + name + "' cannot be measured by the firmware");
}
// Real value of one raw firmware unit of a signal.
double unit_of(fw::Signal s) {
  switch (s) {
    case fw::Signal::kImuRpy:
    case fw::Signal::kImuRollPitch: return 1.0 / fw::kRpyPerRad;
    case fw::Signal::kImuGyro:
    case fw::Signal::kImuRollPitchRate: return 1.0 / fw::kGyroPerRadS;
    case fw::Signal::kImuAccel: return 1.0 / fw::kAccelPerMs2;
    case fw::Signal::kLastAction: return 1.0 / kCdegPerRad;
    case fw::Signal::kGaitClock: return 1.0 / fw::kClockOne;
  }
  return 0;
}
// q = x * A + B as (mul, add, shift): the largest shift <= 40 that keeps mul and add in int32.
fw::FeatureMap fold(double A, double B) {
  fw::FeatureMap f{0, 0, 0};
  for (int s = 40; s >= 0; --s) {
    const double m = std::round(A * std::ldexp(1.0, s)), a = std::round(B * std::ldexp(1.0, s));
    if (std::fabs(m) < 2147483647.0 && std::fabs(a) < 2147483647.0) {
      f = {static_cast<int32_t>(m), static_cast<int32_t>(a), static_cast<uint8_t>(s)};
      return f;
    }
  }
  throw InputError("", "observation", "a feature's normalisation is too large to fold into int32 fixed point");
}
int32_t cdeg(double rad) { return static_cast<int32_t>(std::lround(rad * kCdegPerRad)); }

}  // namespace

PostprocessSettings parse_postprocess(const std::string& yaml, const std::string& source) {
  PostprocessSettings p;
  YAML::Node n;
  try {
    n = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw InputError(source, "postprocess_yaml", std::string("not valid YAML: ") + e.what());
  }
  if (!n || n.IsNull()) return p;
  config::Reader r(n, source);
  p.visit(r);
  r.finish();
  return p;
}

FirmwareSettings firmware_settings(const sim::CollectSetup& setup, bool postprocess) {
  FirmwareSettings s;
  s.postprocess = postprocess;
  s.control_dt = setup.config.sim.control_dt;
  s.gait_frequency_hz = setup.gait.step_frequency;
  return s;
}

fw::ControllerConfig firmware_config(const quant::TfliteModel& m, const sim::Robot& robot, const FirmwareSettings& s) {
  const std::string source = "tflite metadata";
  if (!m.int8) throw InputError("", "--model", "the firmware runs int8 models only (run tinywalk quantize first)");
  const int J = m.outputs();
  if (J > fw::kMaxJoints) throw InputError(source, "joints", std::to_string(J) + " joints, the firmware holds at most " + std::to_string(fw::kMaxJoints));
  if (robot.config.joints != m.meta.joints) throw InputError(robot.config_path, "joints", "do not match the model's joints");
  fw::ControllerConfig c;
  std::memset(&c, 0, sizeof c);
  c.control_period_us = static_cast<uint32_t>(std::lround(s.control_dt * 1e6));

  // Observation: the resolved spec from the metadata, folded with normalisation and input quantization.
  policy::ObservationSpec spec;
  {
    config::Reader r(YAML::Load(m.meta.observation_yaml), source);
    spec.visit(r);
    r.finish();
    spec = policy::resolve_observation(spec, source);
  }
  fw::ObservationConfig& o = c.obs;
  if (static_cast<int>(spec.signals.size()) > fw::kMaxSignals) throw InputError(source, "observation", "too many signals for the firmware");
  o.num_signals = static_cast<int>(spec.signals.size());
  o.num_joints = J;
  const quant::FcLayer& L0 = m.layers.front();
  int f = 0;
  for (int k = 0; k < o.num_signals; ++k) {
    o.signal[k] = signal_id(spec.signals[k], source);
    if (spec.history[k] > fw::kMaxHistory)
      throw InputError(source, "observation.history", "history " + std::to_string(spec.history[k]) + " exceeds the firmware's " + std::to_string(fw::kMaxHistory));
    o.history[k] = static_cast<uint8_t>(spec.history[k]);
    const int d = fw::signal_dim(o.signal[k], J);
    for (int h = 0; h < spec.history[k]; ++h)
      for (int i = 0; i < d; ++i, ++f) {
        if (f >= fw::kMaxFeatures) throw InputError(source, "observation", "more features than the firmware holds");
        const double sd = m.meta.feature_std[f] * L0.input_scale;
        o.feature[f] = fold(unit_of(o.signal[k]) / sd, L0.input_zero_point - m.meta.feature_mean[f] / sd);
      }
  }
  o.num_features = f;
  if (f != m.inputs()) throw InputError(source, "observation", "the spec gives " + std::to_string(f) + " features, the network takes " + std::to_string(m.inputs()));
  o.phase_step = static_cast<uint32_t>(std::llround(std::fmod(s.control_dt * s.gait_frequency_hz, 1.0) * 4294967296.0) & 0xffffffffll);

  // Post-processing.
  const PostprocessSettings pp = parse_postprocess(m.meta.postprocess_yaml, source);
  fw::PostprocessConfig& p = c.post;
  const quant::FcLayer& Ln = m.layers.back();
  p.num_joints = J;
  p.zero_point = Ln.output_zero_point;
  int shift = 30;
  for (int j = 0; j < J; ++j) {
    const double v = std::fabs(Ln.output_scale * m.meta.action_scale[j] * kCdegPerRad);
    while (shift > 0 && v * std::ldexp(1.0, shift) > 4194304.0) --shift;
  }
  p.scale_shift = shift;
  p.dead_zone_cdeg = s.postprocess ? static_cast<int32_t>(std::lround(pp.dead_zone_deg * 100)) : 0;
  p.ma_window = s.postprocess ? pp.moving_average : 1;
  if (p.ma_window > fw::kMaxMovingAverage) throw InputError(source, "postprocess_yaml.moving_average", "exceeds the firmware's window");
  p.lowpass_enabled = s.postprocess && pp.lowpass_cutoff_hz > 0;
  if (p.lowpass_enabled) {
    // 2nd-order Butterworth by the bilinear transform, in Q14 with DC gain exactly one.
    const double fs = 1.0 / s.control_dt;
    if (!(pp.lowpass_cutoff_hz < fs / 2)) throw InputError(source, "postprocess_yaml.lowpass_cutoff_hz", "must be below half the control rate");
    const double K = std::tan(M_PI * pp.lowpass_cutoff_hz / fs), norm = 1 / (1 + M_SQRT2 * K + K * K);
    const double q = 16384;
    p.b0 = static_cast<int32_t>(std::lround(K * K * norm * q));
    p.b2 = p.b0;
    p.a1 = static_cast<int32_t>(std::lround(2 * (K * K - 1) * norm * q));
    p.a2 = static_cast<int32_t>(std::lround((1 - M_SQRT2 * K + K * K) * norm * q));
    p.b1 = 16384 + p.a1 + p.a2 - p.b0 - p.b2;
  } else {
    p.b0 = 16384;
  }
  p.rate_limit_cdeg = s.postprocess ? static_cast<int32_t>(std::lround(pp.rate_limit_deg_per_step * 100)) : 0;
  for (int j = 0; j < J; ++j) {
    p.scale_num[j] = static_cast<int32_t>(std::lround(Ln.output_scale * m.meta.action_scale[j] * kCdegPerRad * std::ldexp(1.0, shift)));
    p.offset_cdeg[j] = cdeg(m.meta.action_offset[j]);
    const sim::Joint& jm = robot.model.joint(robot.joint_to_model[j]);
    const bool limits = pp.clamp_to_firmware_limits && !jm.continuous;
    p.min_cdeg[j] = limits ? cdeg(jm.lower) : -fw::kMaxAbsCdeg;
    p.max_cdeg[j] = limits ? cdeg(jm.upper) : fw::kMaxAbsCdeg;
    p.direction[j] = static_cast<int8_t>(robot.config.firmware_direction[j] < 0 ? -1 : 1);
    p.calib_cdeg[j] = robot.config.firmware_calibration.empty()
                          ? 0
                          : static_cast<int32_t>(std::lround(robot.config.firmware_calibration[j] * 100));
    p.index_map[j] = static_cast<uint8_t>(robot.config.firmware_index[j]);
  }
  if (fw::postprocess_validate(p) != fw::PostprocessStatus::kOk) throw InputError(source, "postprocess_yaml", "gives a post-processing configuration the firmware rejects");

  // Safety: OpenCat's thresholds (flipped beyond 90 deg roll; lifted beyond -50 / +75 deg pitch).
  fw::SafetyConfig& sf = c.safety;
  auto e4 = [](double deg) { return static_cast<int32_t>(std::lround(deg * M_PI / 180 * fw::kRpyPerRad)); };
  sf.fall_roll = e4(90);
  sf.fall_pitch = e4(90);
  sf.lift_pitch_min = e4(-50);
  sf.lift_pitch_max = e4(75);
  sf.lift_steps = 3;
  sf.fault_limit = 10;
  sf.deadline_limit = 3;
  sf.max_imu_age_us = 100000;
  sf.deadline_slack_us = c.control_period_us / 2;
  for (int j = 0; j < J; ++j)
    sf.safe_pose_deg[p.index_map[j]] = static_cast<int16_t>(fw::cdeg_to_deg(p.direction[j] * cdeg(robot.config.standing_pose[j]) + p.calib_cdeg[j]));
  c.history_source = s.history_from_policy ? fw::kHistoryPolicy : fw::kHistorySent;
  return c;
}

namespace {
class BlobWriter {
 public:
  std::string out;
  void raw(uint32_t v) {
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  }
  bool count(int& n, int, int) { return field(n); }
  bool field(int v) { return raw(static_cast<uint32_t>(v)), true; }
  bool field(uint32_t v) { return raw(v), true; }
  bool field(int16_t v) { return field(static_cast<int>(v)); }
  bool field(uint16_t v) { return field(static_cast<int>(v)); }
  bool field(int8_t v) { return field(static_cast<int>(v)); }
  bool field(uint8_t v) { return field(static_cast<int>(v)); }
  bool field(bool v) { return field(v ? 1 : 0); }
  bool field(fw::Signal v) { return field(static_cast<int>(v)); }
};
}  // namespace

std::string firmware_blob(const quant::TfliteModel& m, const fw::ControllerConfig& cfg) {
  const quant::PreparedInt8 p = quant::prepare_int8(m);
  BlobWriter w;
  w.out = "TWFW";
  w.raw(fw::kFwBlobVersion);
  w.raw(static_cast<uint32_t>(p.layers.size()));
  for (const quant::PreparedLayer& L : p.layers) {
    w.raw(static_cast<uint32_t>(L.out));
    for (int32_t v : L.multiplier) w.raw(static_cast<uint32_t>(v));
    for (int32_t v : L.shift) w.raw(static_cast<uint32_t>(v));
  }
  BlobWriter c;
  fw::ControllerConfig copy = cfg;
  fw::visit_controller_config(c, copy);
  w.raw(static_cast<uint32_t>(c.out.size()));
  w.out += c.out;
  // Round trip through the firmware's own reader: never write a blob the firmware rejects.
  fw::ControllerConfig back;
  if (fw::controller_config_read(reinterpret_cast<const uint8_t*>(w.out.data()), w.out.size(), back) != fw::BlobStatus::kOk)
    throw InputError("", "firmware config", "the firmware rejects the configuration computed for this model");
  return w.out;
}

}  // namespace tinywalk::pipeline
