#include "sim/expert.h"

#include <algorithm>
#include <cmath>

namespace tinywalk::sim {

namespace {
Eigen::Matrix3d rot_z(double a) { return Eigen::AngleAxisd(a, Eigen::Vector3d::UnitZ()).toRotationMatrix(); }
}  // namespace

Expert::Expert(const Robot& robot, const LegKinematics& legs, const GaitParams& gait, const ExpertParams& params)
    : robot_(robot),
      legs_(legs),
      gait_(gait),
      params_(params),
      layout_(gait_layout(robot, legs, gait)),
      reference_(generate_gait(robot, legs, gait)) {
  // Each 2-link leg moves its foot in one plane: its normal from two FK chords.
  const auto& stand = robot.config.standing_pose;
  for (int i = 0; i < legs.num_legs(); ++i) {
    const LegChain& L = legs.leg(i);
    const Eigen::Vector3d f0 = legs.foot(i, stand[L.hip], stand[L.knee]);
    const Eigen::Vector3d a = legs.foot(i, stand[L.hip] + 0.1, stand[L.knee]) - f0;
    const Eigen::Vector3d b = legs.foot(i, stand[L.hip], stand[L.knee] + 0.1) - f0;
    plane_normal_.push_back(a.cross(b).normalized());
  }
}

void Expert::reset(const Simulation& sim) {
  const BaseState b = sim.base();
  start_ = b.position;
  yaw0_ = b.rpy[2];
  phase_ = 0;
  last_t_ = sim.time();
  speed_ = 0;
  roll_ = b.rpy[0];
  pitch_ = b.rpy[1];
  q_ = robot_.config.standing_pose;
}

std::vector<double> Expert::act(const Simulation& sim) {
  const BaseState b = sim.base();
  const double t = sim.time(), dt = t - last_t_;
  last_t_ = t;
  // Track frame: start position, start heading.
  const Eigen::Matrix3d R0 = rot_z(yaw0_);
  const Eigen::Vector3d rel = R0.transpose() * (b.position - start_);
  const Eigen::Vector3d vel = R0.transpose() * b.linear_velocity;
  speed_ += (vel.x() - speed_) * std::min(1.0, dt / params_.velocity_filter);
  // Heading error, with a heading target that steers back onto the track.
  const double heading_target = std::clamp(-params_.lateral_gain * rel.y(), -0.5, 0.5);
  const double heading_error = std::remainder(b.rpy[2] - yaw0_ - heading_target, 2 * M_PI);
  // Stride scales: speed feedback for all legs, a left/right differential for heading.
  const double lim = params_.max_stride_scale;
  const double speed_scale = std::clamp(1.0 + params_.speed_gain * (gait_.speed() - speed_), 1.0 / lim, lim);
  // Attitude: tilt of the body in its own heading-aligned frame.
  roll_ += (b.rpy[0] - roll_) * std::min(1.0, dt / params_.attitude_filter);
  pitch_ += (b.rpy[1] - pitch_) * std::min(1.0, dt / params_.attitude_filter);
  const double roll = roll_, pitch = pitch_;
  const Eigen::Matrix3d tilt = (Eigen::AngleAxisd(pitch * params_.tilt_compensation, Eigen::Vector3d::UnitY()) *
                                Eigen::AngleAxisd(roll * params_.tilt_compensation, Eigen::Vector3d::UnitX()))
                                   .toRotationMatrix();
  // Phase advances with time (the gait clock).
  phase_ = std::fmod(phase_ + dt * gait_.step_frequency, 1.0);
  const double t_gait = phase_ / gait_.step_frequency;

  q_ = robot_.config.standing_pose;
  for (int i = 0; i < legs_.num_legs(); ++i) {
    const LegChain& L = legs_.leg(i);
    const Eigen::Vector3d& stand = layout_.stand_foot[i];
    const bool left = stand.y() > 0;
    GaitParams p = gait_;
    const double turn = std::clamp(1.0 + (left ? 1 : -1) * params_.heading_gain * heading_error, 1.0 / lim, lim);
    p.stride_length = gait_.stride_length * std::clamp(speed_scale * turn, 1.0 / lim, lim);
    const double ph = leg_phase(p, layout_.offset[i], t_gait);
    Eigen::Vector3d d = foot_target(p, ph);
    // Foot placement: in swing, move the landing point with the velocity error.
    if (ph >= p.duty_factor) {
      const double u = (ph - p.duty_factor) / (1 - p.duty_factor);
      d.x() += params_.raibert_gain * (vel.x() - gait_.speed()) * u;
    }
    // Leg length levels the torso: the low side extends.
    const double dz = params_.roll_gain * roll * (left ? 1 : -1) * -1 + params_.pitch_gain * pitch * (stand.x() > 0 ? 1 : -1);
    const Eigen::Vector3d level(stand.x() + d.x(), stand.y(), -layout_.root_z + d.z() - dz);
    Eigen::Vector3d target = tilt.transpose() * level;
    const Eigen::Vector3d& n = plane_normal_[i];
    target -= n * n.dot(target - layout_.stand_foot[i]);  // back onto the leg's plane
    // Saturate towards the standing foot until reachable.
    double qh = 0, qk = 0;
    const Eigen::Vector3d home(stand.x(), stand.y(), -layout_.root_z);
    for (double s = 1.0; s >= 0; s -= 0.125) {
      if (legs_.inverse(i, home + s * (target - home), &qh, &qk)) break;
      qh = robot_.config.standing_pose[L.hip];
      qk = robot_.config.standing_pose[L.knee];
    }
    q_[L.hip] = qh;
    q_[L.knee] = qk;
  }
  return q_;
}

PoseSample Expert::reference_sample(double t) const {
  const MotionFrame f = reference_.at(t);
  const MotionVelocity v = reference_.velocity(t);
  const Eigen::Matrix3d R0 = rot_z(yaw0_);
  PoseSample s;
  s.root_position = start_ + R0 * Eigen::Vector3d(f.root_position.x(), f.root_position.y(), 0);
  s.root_position.z() = f.root_position.z();
  s.root_orientation = Eigen::Quaterniond(R0) * f.root_orientation;
  s.root_linear_velocity = R0 * v.root_linear;
  s.root_angular_velocity = R0 * v.root_angular;
  s.q = f.q;
  s.qd = v.qd;
  for (int i = 0; i < legs_.num_legs(); ++i) s.feet.push_back(legs_.foot(i, f.q[legs_.leg(i).hip], f.q[legs_.leg(i).knee]));
  return s;
}

PoseSample Expert::robot_sample(const Simulation& sim) const {
  const BaseState b = sim.base();
  PoseSample s;
  s.root_position = b.position;
  s.root_orientation = b.orientation;
  s.root_linear_velocity = b.linear_velocity;
  s.root_angular_velocity = b.angular_velocity;
  s.q = sim.joint_positions();
  s.qd = sim.joint_velocities();
  for (int i = 0; i < legs_.num_legs(); ++i) s.feet.push_back(legs_.foot(i, s.q[legs_.leg(i).hip], s.q[legs_.leg(i).knee]));
  return s;
}

}  // namespace tinywalk::sim
