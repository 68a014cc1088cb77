// Leg kinematics from the URDF: Bittle against its documented geometry and
// against the simulator's placement, IK/FK round trips, unreachable and
// off-plane targets, the 12-DoF robot, an antiparallel knee axis, bad pairs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>

#include "common/error.h"
#include "sim/leg_kinematics.h"
#include "sim/simulation.h"

using namespace tinywalk;
using namespace tinywalk::sim;

namespace {
const std::string kSrc = TINYWALK_SOURCE_DIR;
const std::string kBittle = kSrc + "/configs/robots/bittle.yaml";
const std::string kQuad12 = kSrc + "/tests/data/quadruped12.yaml";

std::string read_text(const std::string& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/.test_legs_" + std::to_string(::getpid()) + "_" + name;
}

// Rotation about +y by theta applied to v (x, z components; y unchanged).
Eigen::Vector3d rot_y(double theta, const Eigen::Vector3d& v) { return Eigen::AngleAxisd(theta, Eigen::Vector3d::UnitY()) * v; }

// Bittle's foot from docs/robot-model.md, independently of the URDF reader:
// shoulder at (+-0.055, +-0.05, 0), axes -y; upper leg 46 mm, straight down at
// 0; the lower link's frame is turned +90 deg about y at knee 0 (lower leg
// pointing backwards), foot sphere (r 5 mm) 45 mm along its -z. Positive
// angles turn about -y. The foot point is the sphere's lowest point at the
// standing pose (a0, b0), fixed to the lower link. The URDF writes the
// knee frame's turn as 1.57079633 rad, so that is used here, not pi/2.
constexpr double kKneeTurn = 1.57079633;
Eigen::Vector3d bittle_foot(double sx, double sy, double a, double b, double a0, double b0, double knee_sign = 1) {
  const Eigen::Vector3d down(0, 0, -1);
  const Eigen::Vector3d fp = Eigen::Vector3d(0, 0, -0.045) + 0.005 * rot_y(-(kKneeTurn - a0 - knee_sign * b0), down);
  return Eigen::Vector3d(sx, sy, 0) + rot_y(-a, Eigen::Vector3d(0, 0, -0.046)) + rot_y(kKneeTurn - a - knee_sign * b, fp);
}

double base_height_after_reset(const Robot& robot) {
  Simulation sim(robot, SimConfig{});
  sim.reset(1);
  return sim.base().position.z() - 1e-4;  // reset leaves 0.1 mm between the lowest point and the ground
}

// IK(FK(q)) over a grid inside the joint limits; returns the max angle error.
double ik_round_trip(const Robot& robot, const LegKinematics& legs, int leg, int steps) {
  const LegChain& L = legs.leg(leg);
  auto range = [&](int idx) {
    const Joint& j = robot.model.joint(robot.joint_to_model[idx]);
    return j.continuous ? std::pair{-1.5, 1.5} : std::pair{j.lower, j.upper};
  };
  const auto [h0, h1] = range(L.hip);
  const auto [k0, k1] = range(L.knee);
  double worst = 0;
  for (int i = 0; i <= steps; ++i)
    for (int j = 0; j <= steps; ++j) {
      const double qh = h0 + (h1 - h0) * i / steps, qk = k0 + (k1 - k0) * j / steps;
      double rh = 99, rk = 99;
      EXPECT_TRUE(legs.inverse(leg, legs.foot(leg, qh, qk), &rh, &rk)) << L.name << " " << qh << " " << qk;
      worst = std::max({worst, std::fabs(rh - qh), std::fabs(rk - qk)});
    }
  return worst;
}
}  // namespace

TEST(BittleLegs, FourLegsWithRobotJointIndices) {
  const Robot robot = load_robot(kBittle);
  const LegKinematics legs(robot);
  ASSERT_EQ(legs.num_legs(), 4);
  const char* names[] = {"FR", "FL", "RR", "RL"};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(legs.leg(i).name, names[i]);
    EXPECT_EQ(legs.leg(i).hip, 2 * i);
    EXPECT_EQ(legs.leg(i).knee, 2 * i + 1);
  }
}

TEST(BittleLegs, StandingFootUnderTheShoulderAt83p8mm) {
  const Robot robot = load_robot(kBittle);
  const LegKinematics legs(robot);
  const double s = robot.config.standing_pose[0];
  const Eigen::Vector3d fr = legs.foot(0, s, s);
  std::printf("[ measure  ] Bittle FR standing foot (base frame): %.7f %.7f %.7f m\n", fr.x(), fr.y(), fr.z());
  // 30/30 deg: 46 cos30 + 45 cos30 + 5 mm below the shoulder, 0.5 mm ahead of it.
  EXPECT_NEAR(fr.z(), -0.0838, 1e-4);
  EXPECT_NEAR(fr.x() - 0.055, 0.0, 1e-3);
  EXPECT_NEAR(fr.y(), -0.05, 1e-12);
  EXPECT_LT((fr - bittle_foot(0.055, -0.05, s, s, s, s)).norm(), 1e-12);
  // The simulator (Bullet's link poses) puts the lowest point of the standing
  // robot, the feet, exactly this far below the base.
  EXPECT_NEAR(base_height_after_reset(robot), -fr.z(), 1e-9);
}

TEST(BittleLegs, ForwardKinematicsMatchesTheDocumentedGeometry) {
  const Robot robot = load_robot(kBittle);
  const LegKinematics legs(robot);
  const double s = robot.config.standing_pose[0];
  const double sx[] = {0.055, 0.055, -0.055, -0.055}, sy[] = {-0.05, 0.05, -0.05, 0.05};
  double worst = 0;
  for (int leg = 0; leg < 4; ++leg)
    for (double a = -1.5; a <= 1.2; a += 0.15)
      for (double b = -1.2; b <= 1.45; b += 0.15)
        worst = std::max(worst, (legs.foot(leg, a, b) - bittle_foot(sx[leg], sy[leg], a, b, s, s)).norm());
  EXPECT_LT(worst, 1e-12);
}

TEST(BittleLegs, InverseOfForwardOverTheJointLimits) {
  const Robot robot = load_robot(kBittle);
  const LegKinematics legs(robot);
  for (int leg = 0; leg < 4; ++leg) {
    const double err = ik_round_trip(robot, legs, leg, 40);
    EXPECT_LT(err, 1e-9) << legs.leg(leg).name;
    std::printf("[ measure  ] Bittle %s: max |IK(FK(q)) - q| over 41x41 grid = %.3g rad\n", legs.leg(leg).name.c_str(), err);
  }
}

TEST(BittleLegs, ForwardOfInverseForReachablePoints) {
  const Robot robot = load_robot(kBittle);
  const LegKinematics legs(robot);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> radius(0.01, 0.09), angle(-M_PI, M_PI);
  double worst = 0;
  for (int leg = 0; leg < 4; ++leg) {
    const double s = robot.config.standing_pose[0];
    const Eigen::Vector3d shoulder = legs.foot(leg, s, s) - bittle_foot(0, 0, s, s, s, s);  // (sx, sy, 0)
    for (int n = 0; n < 2000; ++n) {
      const double r = radius(rng), t = angle(rng);
      const Eigen::Vector3d p = shoulder + Eigen::Vector3d(r * std::sin(t), 0, -r * std::cos(t));
      double qh = 0, qk = 0;
      ASSERT_TRUE(legs.inverse(leg, p, &qh, &qk)) << p.transpose();
      worst = std::max(worst, (legs.foot(leg, qh, qk) - p).norm());
    }
  }
  EXPECT_LT(worst, 1e-9);
  std::printf("[ measure  ] Bittle: max |FK(IK(p)) - p| over 8000 points = %.3g m\n", worst);
}

TEST(BittleLegs, KeepsTheStandingKneeBranch) {
  // The other branch reaches the same foot with the knee bent backwards;
  // inverse must return the standing pose itself, not that mirror solution.
  const Robot robot = load_robot(kBittle);
  const LegKinematics legs(robot);
  const double s = robot.config.standing_pose[0];
  for (int leg = 0; leg < 4; ++leg) {
    double qh = 0, qk = 0;
    ASSERT_TRUE(legs.inverse(leg, legs.foot(leg, s, s), &qh, &qk));
    EXPECT_NEAR(qh, s, 1e-12);
    EXPECT_NEAR(qk, s, 1e-12);
  }
}

TEST(BittleLegs, UnreachableAndOffPlaneTargetsFail) {
  const Robot robot = load_robot(kBittle);
  const LegKinematics legs(robot);
  const double s = robot.config.standing_pose[0];
  const Eigen::Vector3d shoulder(0.055, -0.05, 0), stand = legs.foot(0, s, s);
  double qh = 42, qk = 43;
  EXPECT_FALSE(legs.inverse(0, shoulder + Eigen::Vector3d(0, 0, -0.2), &qh, &qk));        // too far
  EXPECT_FALSE(legs.inverse(0, shoulder + Eigen::Vector3d(0.07, 0, -0.07), &qh, &qk));    // 99 mm > 95.8 mm reach
  EXPECT_FALSE(legs.inverse(0, shoulder + Eigen::Vector3d(0.001, 0, -0.001), &qh, &qk));  // inside the inner circle
  EXPECT_FALSE(legs.inverse(0, shoulder, &qh, &qk));
  EXPECT_FALSE(legs.inverse(0, stand + Eigen::Vector3d(0, 1e-5, 0), &qh, &qk));  // off the leg's plane
  EXPECT_FALSE(legs.inverse(0, stand + Eigen::Vector3d(0, 0.05, 0), &qh, &qk));
  EXPECT_EQ(qh, 42);  // untouched
  EXPECT_EQ(qk, 43);
  EXPECT_TRUE(legs.inverse(0, stand + Eigen::Vector3d(0, 1e-7, 0), &qh, &qk));  // within the 1e-6 m plane tolerance
  EXPECT_NEAR(qh, s, 1e-9);
}

TEST(Quadruped12Legs, ExplicitPairsForwardAndInverse) {
  const Robot robot = load_robot(kQuad12);
  const LegKinematics legs(robot, {{"FR_hip_pitch", "FR_knee"}, {"FL_hip_pitch", "FL_knee"},
                                   {"RR_hip_pitch", "RR_knee"}, {"RL_hip_pitch", "RL_knee"}});
  ASSERT_EQ(legs.num_legs(), 4);
  const char* names[] = {"FR", "FL", "RR", "RL"};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(legs.leg(i).name, names[i]);
    EXPECT_EQ(legs.leg(i).hip, 3 * i + 1);
    EXPECT_EQ(legs.leg(i).knee, 3 * i + 2);
  }
  // Geometry from the URDF by hand: hip pitch axes +y at (+-0.18, +-0.17, 0)
  // (FL through its rotated mount), thigh and shank 0.2 m, foot sphere r 0.025
  // at the shank's end; the foot point is its lowest point at the standing pose.
  const double a0 = robot.config.standing_pose[1], b0 = robot.config.standing_pose[2];
  const double hx[] = {0.18, 0.18, -0.18, -0.18}, hy[] = {-0.17, 0.17, -0.17, 0.17};
  const Eigen::Vector3d fp = Eigen::Vector3d(0, 0, -0.2) + rot_y(-(a0 + b0), Eigen::Vector3d(0, 0, -0.025));
  double worst = 0;
  for (int leg = 0; leg < 4; ++leg)
    for (double a = -1.5; a <= 1.5; a += 0.25)
      for (double b = -2.6; b <= -0.1; b += 0.25) {
        const Eigen::Vector3d expected =
            Eigen::Vector3d(hx[leg], hy[leg], 0) + rot_y(a, Eigen::Vector3d(0, 0, -0.2)) + rot_y(a + b, fp);
        worst = std::max(worst, (legs.foot(leg, a, b) - expected).norm());
      }
  EXPECT_LT(worst, 1e-12);
  EXPECT_NEAR(base_height_after_reset(robot), -legs.foot(0, a0, b0).z(), 1e-9);
  for (int leg = 0; leg < 4; ++leg) {
    const double err = ik_round_trip(robot, legs, leg, 30);
    EXPECT_LT(err, 1e-9) << names[leg];
    std::printf("[ measure  ] quadruped12 %s: max |IK(FK(q)) - q| = %.3g rad\n", names[leg], err);
  }
  // The default constructor finds the same hip-pitch/knee pairs.
  const LegKinematics found(robot);
  ASSERT_EQ(found.num_legs(), 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(found.leg(i).hip, legs.leg(i).hip);
}

TEST(GenericLegs, AntiparallelKneeAxis) {
  // Bittle with the FR knee axis flipped to +y: a knee angle now turns the foot
  // backwards; the chain is still a sagittal leg.
  std::string urdf = read_text(kSrc + "/configs/robots/bittle.urdf");
  const size_t at = urdf.find("<axis xyz=\"0 -1 0\"/>", urdf.find("<joint name=\"FR_knee\""));
  ASSERT_NE(at, std::string::npos);
  urdf.replace(at, 20, "<axis xyz=\"0 1 0\"/> ");
  const std::string urdf_path = temp_path("flipped.urdf"), yaml_path = temp_path("flipped.yaml");
  std::ofstream(urdf_path) << urdf;
  std::string yaml = read_text(kBittle);
  yaml.replace(yaml.find("urdf: bittle.urdf"), 17, "urdf: " + urdf_path);
  std::ofstream(yaml_path) << yaml;
  const Robot robot = load_robot(yaml_path);
  const LegKinematics legs(robot);
  const double s = robot.config.standing_pose[0];
  EXPECT_LT((legs.foot(0, 0.3, -0.4) - bittle_foot(0.055, -0.05, 0.3, -0.4, s, s, -1)).norm(), 1e-12);
  EXPECT_LT(ik_round_trip(robot, legs, 0, 30), 1e-9);
  std::remove(urdf_path.c_str());
  std::remove(yaml_path.c_str());
}

TEST(GenericLegs, BadPairsNameTheJoint) {
  const Robot bittle = load_robot(kBittle);
  const Robot quad = load_robot(kQuad12);
  auto error_of = [](const Robot& r, const std::vector<std::pair<std::string, std::string>>& pairs) {
    try {
      LegKinematics legs(r, pairs);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string msg = error_of(bittle, {{"FR_shoulder", "FL_knee"}});  // knees of different legs
  EXPECT_NE(msg.find("joint FL_knee"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a 2-link chain"), std::string::npos) << msg;
  EXPECT_NE(msg.find(kBittle), std::string::npos) << msg;
  msg = error_of(bittle, {{"FR_knee", "FR_shoulder"}});  // reversed
  EXPECT_NE(msg.find("joint FR_shoulder"), std::string::npos) << msg;
  msg = error_of(bittle, {{"FR_shoulder", "FR_elbow"}});
  EXPECT_NE(msg.find("joint FR_elbow"), std::string::npos) << msg;
  msg = error_of(bittle, {{"FR_shoulder", "FR_knee"}, {"FR_shoulder", "FR_knee"}});
  EXPECT_NE(msg.find("more than one leg"), std::string::npos) << msg;
  msg = error_of(quad, {{"FR_hip_abd", "FR_hip_pitch"}});  // a chain, but the axes cross
  EXPECT_NE(msg.find("joint FR_hip_pitch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("parallel"), std::string::npos) << msg;
}
