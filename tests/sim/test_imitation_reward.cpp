#include <gtest/gtest.h>

#include <cmath>

#include "sim/imitation_reward.h"

using namespace tinywalk::sim;

namespace {
PoseSample sample() {
  PoseSample s;
  s.root_position = {0.1, 0.2, 0.08};
  s.root_orientation = Eigen::Quaterniond(Eigen::AngleAxisd(0.3, Eigen::Vector3d::UnitZ()));
  s.root_linear_velocity = {0.12, 0, 0};
  s.q.assign(8, 0.52);
  s.qd.assign(8, 0.1);
  s.feet.assign(4, Eigen::Vector3d(0, 0, -0.08));
  return s;
}
}  // namespace

TEST(ImitationReward, PerfectTrackingEarnsTheSumOfWeights) {
  const RewardParams p;
  const RewardTerms t = imitation_reward(p, sample(), sample());
  EXPECT_DOUBLE_EQ(t.pose, 1.0);
  EXPECT_DOUBLE_EQ(t.end_effector, 1.0);
  EXPECT_NEAR(t.root_pose, 1.0, 1e-12);
  EXPECT_NEAR(t.total, 1.0, 1e-12);  // the paper's weights sum to 1
}

TEST(ImitationReward, EachTermFollowsItsScale) {
  const RewardParams p;
  PoseSample robot = sample();
  const PoseSample ref = sample();
  robot.q[2] += 0.1;                 // pose error 0.01 rad^2
  robot.feet[1].z() += 0.01;         // height error counts 3x: 3e-4 m^2
  robot.root_position.x() += 0.05;   // 2.5e-3 m^2
  robot.root_orientation = Eigen::Quaterniond(Eigen::AngleAxisd(0.3 + 0.2, Eigen::Vector3d::UnitZ()));  // 0.2 rad yaw
  robot.root_linear_velocity.x() -= 0.1;
  const RewardTerms t = imitation_reward(p, robot, ref);
  EXPECT_NEAR(t.pose, std::exp(-5 * 0.01), 1e-12);
  EXPECT_NEAR(t.end_effector, std::exp(-40 * 3e-4), 1e-12);
  EXPECT_NEAR(t.root_pose, std::exp(-20 * (2.5e-3 + 0.5 * 0.04)), 1e-12);
  EXPECT_NEAR(t.root_velocity, std::exp(-2 * 0.01), 1e-12);
  EXPECT_NEAR(t.yaw, std::exp(-10 * 0.04), 1e-12);
  EXPECT_NEAR(t.total, 0.6 * t.pose + 0.05 * t.joint_velocity + 0.1 * t.end_effector + 0.15 * t.root_pose +
                           0.05 * t.root_velocity + 0.05 * t.yaw, 1e-12);
  EXPECT_LT(t.total, 0.95);
}

TEST(ImitationReward, YawErrorWrapsAroundPi) {
  PoseSample a = sample(), b = sample();
  a.root_orientation = Eigen::Quaterniond(Eigen::AngleAxisd(3.1, Eigen::Vector3d::UnitZ()));
  b.root_orientation = Eigen::Quaterniond(Eigen::AngleAxisd(-3.1, Eigen::Vector3d::UnitZ()));
  EXPECT_NEAR(imitation_reward(RewardParams{}, a, b).yaw, std::exp(-10 * std::pow(2 * M_PI - 6.2, 2)), 1e-9);
}
