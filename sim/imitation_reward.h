// The imitation reward of the sim-to-real paper (after Peng et al. 2020),
// computed every control step between the simulated robot and the reference
// frame it tracks. Each term is exp(-scale * error) in [0, 1]; the reward is
// their weighted sum (weights default to the paper's and sum to 1).
//   pose:           sum_j (q_ref - q)^2                              rad^2
//   joint_velocity: sum_j (qd_ref - qd)^2                            (rad/s)^2
//   end_effector:   sum_feet |dx|^2 + |dy|^2 + height_weight |dz|^2  m^2, feet relative to the root, in the base frame
//   root_pose:      |p_ref - p|^2 + rot_weight * angle(R_ref^T R)^2  m^2 and rad^2
//   root_velocity:  |v_ref - v|^2 + ang_weight * |w_ref - w|^2       world frame
//   yaw:            (yaw_ref - yaw)^2, wrapped to [-pi, pi]           rad^2 (heading drift)
#pragma once

#include <Eigen/Geometry>
#include <vector>

#include "common/yaml_config.h"

namespace tinywalk::sim {

struct RewardParams {
  double pose_weight = 0.6, pose_scale = 5;
  double joint_velocity_weight = 0.05, joint_velocity_scale = 0.1;
  double end_effector_weight = 0.1, end_effector_scale = 40, end_effector_height_weight = 3;
  double root_pose_weight = 0.15, root_pose_scale = 20, root_rotation_weight = 0.5;
  double root_velocity_weight = 0.05, root_velocity_scale = 2, root_angular_weight = 0.1;
  double yaw_weight = 0.05, yaw_scale = 10;

  template <class V>
  void visit(V& v) {
    const auto nn = config::non_negative();
    v.field("pose_weight", pose_weight, "weight of the joint-pose term", nn);
    v.field("pose_scale", pose_scale, "1/rad^2; exp(-scale * sum of squared joint errors)", nn);
    v.field("joint_velocity_weight", joint_velocity_weight, "weight of the joint-velocity term", nn);
    v.field("joint_velocity_scale", joint_velocity_scale, "s^2/rad^2", nn);
    v.field("end_effector_weight", end_effector_weight, "weight of the foot-position term", nn);
    v.field("end_effector_scale", end_effector_scale, "1/m^2", nn);
    v.field("end_effector_height_weight", end_effector_height_weight, "extra weight of foot height errors", nn);
    v.field("root_pose_weight", root_pose_weight, "weight of the root pose term", nn);
    v.field("root_pose_scale", root_pose_scale, "1/m^2", nn);
    v.field("root_rotation_weight", root_rotation_weight, "weight of the squared root rotation error (rad^2)", nn);
    v.field("root_velocity_weight", root_velocity_weight, "weight of the root velocity term", nn);
    v.field("root_velocity_scale", root_velocity_scale, "s^2/m^2", nn);
    v.field("root_angular_weight", root_angular_weight, "weight of the squared angular velocity error", nn);
    v.field("yaw_weight", yaw_weight, "weight of the heading term", nn);
    v.field("yaw_scale", yaw_scale, "1/rad^2", nn);
  }
};

// One side of the comparison: the simulated robot or the reference frame.
struct PoseSample {
  Eigen::Vector3d root_position = Eigen::Vector3d::Zero();             // m, world
  Eigen::Quaterniond root_orientation = Eigen::Quaterniond::Identity();
  Eigen::Vector3d root_linear_velocity = Eigen::Vector3d::Zero();      // m/s, world
  Eigen::Vector3d root_angular_velocity = Eigen::Vector3d::Zero();     // rad/s, world
  std::vector<double> q, qd;                                           // rad, rad/s, robot joint order
  std::vector<Eigen::Vector3d> feet;                                   // m, foot points in the base frame
};

struct RewardTerms {
  double pose = 0, joint_velocity = 0, end_effector = 0, root_pose = 0, root_velocity = 0, yaw = 0;
  double total = 0;  // weighted sum
};

RewardTerms imitation_reward(const RewardParams& p, const PoseSample& robot, const PoseSample& reference);

}  // namespace tinywalk::sim
