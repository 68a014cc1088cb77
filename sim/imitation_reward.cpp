#include "sim/imitation_reward.h"

#include <cmath>

#include "common/error.h"

namespace tinywalk::sim {

namespace {
double yaw_of(const Eigen::Quaterniond& q) {
  const Eigen::Matrix3d R = q.toRotationMatrix();
  return std::atan2(R(1, 0), R(0, 0));
}
}  // namespace

RewardTerms imitation_reward(const RewardParams& p, const PoseSample& s, const PoseSample& r) {
  TW_CHECK(s.q.size() == r.q.size() && s.qd.size() == r.qd.size() && s.feet.size() == r.feet.size(),
           "robot and reference samples must have the same shapes");
  RewardTerms t;
  // Joint pose and velocity.
  double pose = 0, vel = 0;
  for (size_t j = 0; j < s.q.size(); ++j) pose += (r.q[j] - s.q[j]) * (r.q[j] - s.q[j]);
  for (size_t j = 0; j < s.qd.size(); ++j) vel += (r.qd[j] - s.qd[j]) * (r.qd[j] - s.qd[j]);
  t.pose = std::exp(-p.pose_scale * pose);
  t.joint_velocity = std::exp(-p.joint_velocity_scale * vel);
  // Feet relative to the root, height errors weighted more.
  double ee = 0;
  for (size_t f = 0; f < s.feet.size(); ++f) {
    const Eigen::Vector3d d = r.feet[f] - s.feet[f];
    ee += d.x() * d.x() + d.y() * d.y() + p.end_effector_height_weight * d.z() * d.z();
  }
  t.end_effector = std::exp(-p.end_effector_scale * ee);
  // Root pose: position and the angle of the relative rotation.
  const double dpos = (r.root_position - s.root_position).squaredNorm();
  const double angle = Eigen::AngleAxisd(r.root_orientation.inverse() * s.root_orientation).angle();
  t.root_pose = std::exp(-p.root_pose_scale * (dpos + p.root_rotation_weight * angle * angle));
  // Root velocity.
  const double dv = (r.root_linear_velocity - s.root_linear_velocity).squaredNorm();
  const double dw = (r.root_angular_velocity - s.root_angular_velocity).squaredNorm();
  t.root_velocity = std::exp(-p.root_velocity_scale * (dv + p.root_angular_weight * dw));
  // Heading.
  const double dyaw = std::remainder(yaw_of(r.root_orientation) - yaw_of(s.root_orientation), 2 * M_PI);
  t.yaw = std::exp(-p.yaw_scale * dyaw * dyaw);
  t.total = p.pose_weight * t.pose + p.joint_velocity_weight * t.joint_velocity + p.end_effector_weight * t.end_effector +
            p.root_pose_weight * t.root_pose + p.root_velocity_weight * t.root_velocity + p.yaw_weight * t.yaw;
  return t;
}

}  // namespace tinywalk::sim
