// Gait generator (contract in the header).
//
// Outline
// - validate_gait_params / load_gait_params: strict file, cross-field checks.
// - gait_phase_offset, leg_phase, foot_target: the gait pattern itself.
// - generate_gait: legs classified by quadrant, root height from the hip
//   joints, then per frame and leg: foot target -> inverse kinematics ->
//   joint limits check -> joint angles.
#include "sim/gait_generator.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/error.h"

namespace tinywalk::sim {

namespace {

constexpr int kMinFramesPerCycle = 4;
constexpr int kMaxFramesPerCycle = 1000000;

bool known_gait(const std::string& g) { return g == "walk" || g == "trot" || g == "pace" || g == "bound"; }

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(6);
  s << v;
  return s.str();
}

std::string fmt(const Eigen::Vector3d& p) { return "(" + fmt(p.x()) + ", " + fmt(p.y()) + ", " + fmt(p.z()) + ")"; }

// Quintic smoothstep: 0 -> 1 with zero velocity and acceleration at both ends.
double smoothstep5(double u) { return u * u * u * (10 + u * (-15 + 6 * u)); }

// Position of a joint's axis in the base frame with the joints above it at 0;
// InputError if one of those joints is not 0 at the standing pose (the legs'
// kinematics hold them at 0).
Eigen::Vector3d hip_position(const Robot& robot, int robot_joint, const std::string& leg) {
  const RobotModel& m = robot.model;
  const int body = m.joint_body[robot.joint_to_model[robot_joint]];
  Eigen::Isometry3d T = m.bodies[body].joint.origin;
  for (int b = m.bodies[body].parent; b > 0; b = m.bodies[b].parent) {
    T = m.bodies[b].joint.origin * T;
    for (int i = 0; i < robot.num_joints(); ++i)
      if (m.joint_body[robot.joint_to_model[i]] == b && std::fabs(robot.config.standing_pose[i]) > 1e-12)
        throw InputError(robot.config_path, "standing_pose[" + std::to_string(i) + "]",
                         "joint " + robot.config.joints[i] + " above leg " + leg +
                             "'s hip must be 0 at the standing pose for gait generation (the leg kinematics hold it at 0)");
  }
  return T.translation();
}

}  // namespace

int GaitParams::frames_per_cycle() const {
  return std::max(1, static_cast<int>(std::lround(frame_rate / step_frequency)));
}

void validate_gait_params(const GaitParams& p, const std::string& file) {
  if (!known_gait(p.gait)) throw InputError(file, "gait", "expected walk, trot, pace or bound, got '" + p.gait + "'");
  auto require = [&](const char* key, double v, bool ok, const char* expected) {
    if (!std::isfinite(v) || !ok) throw InputError(file, key, std::string("expected ") + expected + ", got " + fmt(v));
  };
  require("stride_length", p.stride_length, p.stride_length >= 0, "a number >= 0");
  require("body_height", p.body_height, p.body_height > 0, "a number > 0");
  require("step_frequency", p.step_frequency, p.step_frequency > 0, "a number > 0");
  require("duty_factor", p.duty_factor, p.duty_factor > 0 && p.duty_factor < 1, "a number in (0, 1)");
  require("foot_clearance", p.foot_clearance, p.foot_clearance >= 0, "a number >= 0");
  require("frame_rate", p.frame_rate, p.frame_rate > 0, "a number > 0");
  if (p.frame_rate / p.step_frequency > kMaxFramesPerCycle)
    throw InputError(file, "frame_rate", "gives more than " + std::to_string(kMaxFramesPerCycle) + " frames per cycle; expected a rate in Hz, got " + fmt(p.frame_rate));
  if (p.frames_per_cycle() < kMinFramesPerCycle)
    throw InputError(file, "frame_rate",
                     "gives " + std::to_string(p.frames_per_cycle()) + " frames per cycle at step_frequency " + fmt(p.step_frequency) +
                         " Hz; expected at least " + std::to_string(kMinFramesPerCycle) + " (frame_rate >= 4 * step_frequency)");
}

GaitParams load_gait_params(const std::string& path) {
  GaitParams p = config::read_file<GaitParams>(path);
  p.source = path;
  validate_gait_params(p, path);
  return p;
}

double gait_phase_offset(const std::string& gait, bool front, bool left) {
  if (gait == "trot") return front == left ? 0.5 : 0.0;  // FR, RL: 0; FL, RR: 1/2
  if (gait == "pace") return left ? 0.5 : 0.0;
  if (gait == "bound") return front ? 0.0 : 0.5;
  if (gait == "walk") return front ? (left ? 0.5 : 0.0) : (left ? 0.25 : 0.75);
  throw InputError("", "gait", "expected walk, trot, pace or bound, got '" + gait + "'");
}

double leg_phase(const GaitParams& p, double offset, double t) {
  const double x = t * p.step_frequency - offset;
  const double phase = x - std::floor(x);
  return phase >= 1 ? 0 : phase;
}

Eigen::Vector3d foot_target(const GaitParams& p, double phase) {
  const double d = p.duty_factor;
  const double step = p.stride_length * d;  // stance travel
  if (phase < d) return {step * (0.5 - phase / d), 0, 0};
  const double u = (phase - d) / (1 - d);
  const double m = -p.stride_length * (1 - d);  // stance dx/du
  const double s = smoothstep5(u);
  const double bump = 64 * std::pow(u * (1 - u), 3);
  return {-0.5 * step + step * s + m * (u - s), 0, p.foot_clearance * bump};
}

GaitLayout gait_layout(const Robot& robot, const LegKinematics& legs, const GaitParams& p) {
  const std::vector<double>& stand = robot.config.standing_pose;
  const int n_legs = legs.num_legs();
  if (n_legs != 4)
    throw InputError(robot.config_path, "joints", "gait generation needs 4 legs, found " + std::to_string(n_legs));

  // Standing feet, hips, and the quadrant of each leg.
  std::vector<Eigen::Vector3d> stand_foot(n_legs);
  Eigen::Vector3d mean_foot = Eigen::Vector3d::Zero();
  double mean_hip_z = 0;
  for (int i = 0; i < n_legs; ++i) {
    const LegChain& L = legs.leg(i);
    stand_foot[i] = legs.foot(i, stand[L.hip], stand[L.knee]);
    mean_foot += stand_foot[i] / n_legs;
    mean_hip_z += hip_position(robot, L.hip, L.name).z() / n_legs;
  }
  std::vector<double> offset(n_legs);
  int quadrants_seen = 0;
  for (int i = 0; i < n_legs; ++i) {
    const Eigen::Vector3d rel = stand_foot[i] - mean_foot;
    if (std::fabs(rel.x()) < 1e-6 || std::fabs(rel.y()) < 1e-6)
      throw InputError(robot.config_path, "leg " + legs.leg(i).name, "standing foot is not clearly front/rear and left/right of the others");
    const bool front = rel.x() > 0, left = rel.y() > 0;
    quadrants_seen |= 1 << (2 * front + left);
    offset[i] = gait_phase_offset(p.gait, front, left);
  }
  if (quadrants_seen != 0xF)
    throw InputError(robot.config_path, "joints", "gait generation needs one leg in each quadrant (front/rear x left/right)");

  GaitLayout out;
  out.stand_foot = stand_foot;
  out.offset = offset;
  out.root_z = p.body_height - mean_hip_z;
  return out;
}

ReferenceMotion generate_gait(const Robot& robot, const LegKinematics& legs, const GaitParams& p) {
  validate_gait_params(p, p.source);
  const std::vector<double>& stand = robot.config.standing_pose;
  const int n_legs = legs.num_legs();
  const GaitLayout layout = gait_layout(robot, legs, p);
  const std::vector<Eigen::Vector3d>& stand_foot = layout.stand_foot;
  const std::vector<double>& offset = layout.offset;
  const double root_z = layout.root_z;
  const int N = p.frames_per_cycle();
  ReferenceMotion motion;
  motion.loop = ReferenceMotion::Loop::Wrap;
  motion.cycle_offset_position = true;
  motion.cycle_offset_rotation = false;
  motion.frame_duration = 1.0 / (N * p.step_frequency);
  motion.frames.resize(N + 1);

  for (int k = 0; k < N; ++k) {
    const double t = k * motion.frame_duration;
    MotionFrame& f = motion.frames[k];
    f.root_position = Eigen::Vector3d(p.speed() * t, 0, root_z);
    f.q = stand;
    for (int i = 0; i < n_legs; ++i) {
      const LegChain& L = legs.leg(i);
      double ph = static_cast<double>(k) / N - offset[i];
      ph -= std::floor(ph);
      const Eigen::Vector3d d = foot_target(p, ph);
      const Eigen::Vector3d target(stand_foot[i].x() + d.x(), stand_foot[i].y(), -root_z + d.z());
      const std::string where = "frame " + std::to_string(k) + " (t = " + fmt(t) + " s), leg " + L.name;
      double qh = 0, qk = 0;
      if (!legs.inverse(i, target, &qh, &qk))
        throw InputError(p.source, where,
                         "foot target " + fmt(target) + " m (base frame) is unreachable: out of the leg's reach (gait '" + p.gait +
                             "', body_height " + fmt(p.body_height) + " m, stride_length " + fmt(p.stride_length) + " m)");
      for (const auto& [idx, q] : {std::pair{L.hip, qh}, std::pair{L.knee, qk}}) {
        const Joint& j = robot.model.joint(robot.joint_to_model[idx]);
        if (!j.continuous && (q < j.lower || q > j.upper))
          throw InputError(p.source, where,
                           "foot target " + fmt(target) + " m (base frame) is unreachable within the joint limits: " + j.name + " would be " +
                               fmt(q) + " rad, outside [" + fmt(j.lower) + ", " + fmt(j.upper) + "]");
      }
      f.q[L.hip] = qh;
      f.q[L.knee] = qk;
    }
  }
  // Closing frame: the first frame's pose one stride further on.
  motion.frames[N] = motion.frames[0];
  motion.frames[N].root_position.x() += p.stride_length;
  return motion;
}

}  // namespace tinywalk::sim
