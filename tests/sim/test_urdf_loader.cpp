// URDF loading (RobotModel) and its Bullet instantiation (MultiBodyRobot).
#include <gtest/gtest.h>

#include <btBulletDynamicsCommon.h>
#include <BulletDynamics/Featherstone/btMultiBody.h>
#include <BulletDynamics/Featherstone/btMultiBodyConstraintSolver.h>
#include <BulletDynamics/Featherstone/btMultiBodyDynamicsWorld.h>
#include <BulletDynamics/Featherstone/btMultiBodyLinkCollider.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "sim/multibody.h"
#include "sim/robot_model.h"

namespace tinywalk::sim {
namespace {

const std::string kData = std::string(TINYWALK_SOURCE_DIR) + "/tests/data/";
const std::string kQuad = kData + "quadruped12.urdf";
constexpr double kG = 9.81;

// Masses in quadruped12.urdf.
constexpr double kTorso = 6.0, kLidar = 0.3, kImu = 0.01, kMount = 0.1;
constexpr double kHip = 0.5, kThigh = 0.8, kShank = 0.3, kFoot = 0.05;

Eigen::Matrix3d rx(double a) { return Eigen::AngleAxisd(a, Eigen::Vector3d::UnitX()).toRotationMatrix(); }
Eigen::Matrix3d ry(double a) { return Eigen::AngleAxisd(a, Eigen::Vector3d::UnitY()).toRotationMatrix(); }
Eigen::Matrix3d rz(double a) { return Eigen::AngleAxisd(a, Eigen::Vector3d::UnitZ()).toRotationMatrix(); }

// A Bullet multibody world without ground.
struct World {
  btDefaultCollisionConfiguration config;
  btCollisionDispatcher dispatcher{&config};
  btDbvtBroadphase broadphase;
  btMultiBodyConstraintSolver solver;
  btMultiBodyDynamicsWorld world{&dispatcher, &broadphase, &solver, &config};
  explicit World(double gravity_z = -kG) { world.setGravity(btVector3(0, 0, gravity_z)); }
  void step(int n, double dt = 0.001) {
    for (int i = 0; i < n; ++i) world.stepSimulation(dt, 0);
  }
};

// A non-trivial joint configuration of quadruped12 inside the limits.
std::vector<double> some_q(const RobotModel& m) {
  std::vector<double> q(m.num_joints());
  for (int j = 0; j < m.num_joints(); ++j) {
    const Joint& jt = m.joint(j);
    const double lo = jt.continuous ? -3.0 : jt.lower, hi = jt.continuous ? 3.0 : jt.upper;
    q[j] = lo + (hi - lo) * (0.2 + 0.05 * j);
  }
  return q;
}

// ---------------------------------------------------------------- RobotModel

TEST(UrdfLoader, BodiesAndMergedLinks) {
  const RobotModel m = load_urdf(kQuad);
  EXPECT_EQ(m.name, "quadruped12");
  EXPECT_EQ(m.source, kQuad);
  ASSERT_EQ(m.bodies.size(), 13u);
  ASSERT_EQ(m.num_joints(), 12);
  EXPECT_EQ(m.bodies[0].name, "torso");
  EXPECT_EQ(m.bodies[0].parent, -1);
  EXPECT_EQ(m.bodies[0].merged_links, (std::vector<std::string>{"lidar", "imu", "FL_hip_mount"}));
  const int shank = m.find_body("FR_shank");
  ASSERT_GT(shank, 0);
  EXPECT_EQ(m.bodies[shank].merged_links, std::vector<std::string>{"FR_foot"});
  EXPECT_EQ(m.find_body("FR_foot"), shank);
  EXPECT_EQ(m.find_body("imu"), 0);
  EXPECT_EQ(m.find_body("FL_hip_mount"), 0);
  EXPECT_EQ(m.find_body("no_such_link"), -1);
  for (size_t b = 1; b < m.bodies.size(); ++b) EXPECT_LT(m.bodies[b].parent, static_cast<int>(b));
  for (int j = 0; j < m.num_joints(); ++j) EXPECT_EQ(m.bodies[m.joint_body[j]].joint.name, m.joint(j).name);
}

TEST(UrdfLoader, TotalMass) {
  const RobotModel m = load_urdf(kQuad);
  EXPECT_NEAR(m.total_mass(), kTorso + kLidar + kImu + kMount + 4 * (kHip + kThigh + kShank + kFoot), 1e-9);
  EXPECT_NEAR(m.total_mass(), 13.01, 1e-9);
}

TEST(UrdfLoader, JointOrderIsDepthFirstInDocumentOrder) {
  const RobotModel m = load_urdf(kQuad);
  // Legs appear FR, FL, RR, RL in the file (not alphabetical).
  const std::vector<std::string> expected = {
      "FR_hip_abd", "FR_hip_pitch", "FR_knee", "FL_hip_abd", "FL_hip_pitch", "FL_knee",
      "RR_hip_abd", "RR_hip_pitch", "RR_knee", "RL_hip_abd", "RL_hip_pitch", "RL_knee"};
  ASSERT_EQ(m.num_joints(), 12);
  for (int j = 0; j < 12; ++j) {
    EXPECT_EQ(m.joint(j).name, expected[j]) << "joint " << j;
    EXPECT_EQ(m.find_joint(expected[j]), j);
  }
  EXPECT_EQ(m.find_joint("FR_foot_joint"), -1);  // fixed joints are not movable joints
  EXPECT_EQ(m.find_joint("nope"), -1);
}

TEST(UrdfLoader, JointProperties) {
  const RobotModel m = load_urdf(kQuad);
  const Joint& knee = m.joint(m.find_joint("FR_knee"));
  EXPECT_FALSE(knee.continuous);
  EXPECT_DOUBLE_EQ(knee.lower, -2.6);
  EXPECT_DOUBLE_EQ(knee.upper, -0.1);
  EXPECT_DOUBLE_EQ(knee.effort, 40);
  EXPECT_DOUBLE_EQ(knee.velocity, 20);
  EXPECT_DOUBLE_EQ(knee.damping, 0.05);
  EXPECT_DOUBLE_EQ(knee.friction, 0.1);
  EXPECT_TRUE(knee.axis.isApprox(Eigen::Vector3d::UnitY()));
  EXPECT_TRUE(knee.origin.translation().isApprox(Eigen::Vector3d(0, 0, -0.2)));

  const Joint& abd = m.joint(m.find_joint("FR_hip_abd"));
  EXPECT_DOUBLE_EQ(abd.lower, -0.8);
  EXPECT_DOUBLE_EQ(abd.upper, 0.8);
  EXPECT_DOUBLE_EQ(abd.effort, 30);
  EXPECT_DOUBLE_EQ(abd.velocity, 20);
  EXPECT_DOUBLE_EQ(abd.damping, 0);
  EXPECT_TRUE(abd.axis.isApprox(Eigen::Vector3d::UnitX()));

  const Joint& spin = m.joint(m.find_joint("RL_hip_pitch"));
  EXPECT_TRUE(spin.continuous);
  EXPECT_DOUBLE_EQ(spin.effort, 35);
  EXPECT_DOUBLE_EQ(spin.velocity, 25);

  // FL_hip_abd hangs off the merged FL_hip_mount (rotated 90 deg about z):
  // its origin is composed into the torso frame, rotations cancel.
  const int fl_hip = m.find_body("FL_hip");
  EXPECT_EQ(m.bodies[fl_hip].parent, 0);
  const Eigen::Isometry3d& o = m.bodies[fl_hip].joint.origin;
  EXPECT_NEAR((o.translation() - Eigen::Vector3d(0.18, 0.12, 0)).norm(), 0, 1e-12);
  EXPECT_NEAR((o.linear() - Eigen::Matrix3d::Identity()).norm(), 0, 1e-12);
}

TEST(UrdfLoader, MergedMassPropertiesAndShapes) {
  const RobotModel m = load_urdf(kQuad);
  const Body& torso = m.bodies[0];
  // Parts of the torso body: (mass, CoM in torso frame, principal moments).
  struct Part { double m; Eigen::Vector3d c; Eigen::Vector3d diag; };
  const std::vector<Part> parts = {
      {kTorso, {0.01, 0, 0}, {0.025, 0.085, 0.1}},
      {kLidar, {0.15, 0, 0.09}, {0.0001825, 0.0001825, 0.00024}},  // yaw does not change it (Ixx = Iyy)
      {kImu, {0, 0, 0.02}, {1e-6, 1e-6, 1e-6}},
      {kMount, {0.18, 0.1, 0}, Eigen::Vector3d::Constant(2.6666666666666667e-05)}};
  double mass = 0;
  Eigen::Vector3d com = Eigen::Vector3d::Zero();
  for (const Part& p : parts) mass += p.m, com += p.m * p.c;
  com /= mass;
  Eigen::Matrix3d inertia = Eigen::Matrix3d::Zero();
  for (const Part& p : parts) {
    const Eigen::Vector3d d = p.c - com;
    inertia += Eigen::Matrix3d(p.diag.asDiagonal());
    inertia += p.m * (d.squaredNorm() * Eigen::Matrix3d::Identity() - d * d.transpose());
  }
  EXPECT_NEAR(torso.mass, 6.41, 1e-12);
  EXPECT_NEAR((torso.com - com).norm(), 0, 1e-12);
  EXPECT_NEAR((torso.inertia - inertia).norm(), 0, 1e-12);
  EXPECT_NE(torso.inertia(0, 2), 0.0);  // lidar offset creates products of inertia

  ASSERT_EQ(torso.shapes.size(), 3u);
  EXPECT_EQ(torso.shapes[0].kind, Shape::Kind::Box);
  EXPECT_TRUE(torso.shapes[0].size.isApprox(Eigen::Vector3d(0.4, 0.2, 0.1)));
  const Shape& lidar = torso.shapes[1];
  EXPECT_EQ(lidar.kind, Shape::Kind::Cylinder);
  EXPECT_EQ(lidar.link, "lidar");
  EXPECT_NEAR(lidar.size.x(), 0.04, 1e-15);
  EXPECT_NEAR(lidar.size.y(), 0.05, 1e-15);
  EXPECT_NEAR((lidar.pose.translation() - Eigen::Vector3d(0.15, 0, 0.09)).norm(), 0, 1e-12);
  EXPECT_NEAR((lidar.pose.linear() - rz(0.5)).norm(), 0, 1e-12);
  EXPECT_EQ(torso.shapes[2].link, "FL_hip_mount");
  EXPECT_NEAR((torso.shapes[2].pose.linear() - rz(M_PI / 2)).norm(), 0, 1e-12);

  const Body& shank = m.bodies[m.find_body("RR_shank")];
  EXPECT_NEAR(shank.mass, kShank + kFoot, 1e-12);
  EXPECT_NEAR(shank.com.z(), (kShank * -0.1 + kFoot * -0.2) / (kShank + kFoot), 1e-12);
  ASSERT_EQ(shank.shapes.size(), 2u);
  EXPECT_EQ(shank.shapes[1].kind, Shape::Kind::Sphere);
  EXPECT_EQ(shank.shapes[1].link, "RR_foot");
  EXPECT_NEAR(shank.shapes[1].size.x(), 0.025, 1e-15);
  EXPECT_NEAR(shank.shapes[1].pose.translation().z(), -0.2, 1e-12);

  // FR_thigh's inertial frame is rotated (rpy 0.3 0.2 0): the body inertia is R I R^T.
  const Body& thigh = m.bodies[m.find_body("FR_thigh")];
  const Eigen::Matrix3d r = rz(0) * ry(0.2) * rx(0.3);
  const Eigen::Matrix3d expected =
      r * Eigen::Vector3d(0.0027916666666666667, 0.0027916666666666667, 0.00025).asDiagonal() * r.transpose();
  EXPECT_NEAR((thigh.inertia - expected).norm(), 0, 1e-12);
}

TEST(UrdfLoader, ParseFromStringNamesSource) {
  const std::string xml = R"(<robot name="one"><link name="solo">
    <inertial><mass value="2"/><inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial></link></robot>)";
  const RobotModel m = parse_urdf(xml, "inline");
  EXPECT_EQ(m.source, "inline");
  EXPECT_EQ(m.bodies.size(), 1u);
  EXPECT_EQ(m.num_joints(), 0);
  EXPECT_DOUBLE_EQ(m.total_mass(), 2);
  try {
    parse_urdf("<robot name=\"x\"><link name=\"a\"/></robot>", "inline-source");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "inline-source");
    EXPECT_NE(std::string(e.what()).find("mass"), std::string::npos) << e.what();
  }
}

TEST(UrdfLoader, MissingFile) {
  const std::string path = kData + "does_not_exist.urdf";
  try {
    load_urdf(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

struct BadCase {
  const char* file;
  const char* element;  // must appear in the message
  const char* hint;     // a word of the explanation
};

class BadUrdf : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadUrdf, ThrowsInputErrorNamingFileAndElement) {
  const BadCase c = GetParam();
  const std::string path = kData + "bad_urdf/" + c.file;
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  try {
    load_urdf(path);
    FAIL() << "expected InputError for " << path;
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.file(), path);
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find(c.element), std::string::npos) << what;
    EXPECT_NE(what.find(c.hint), std::string::npos) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Files, BadUrdf,
    ::testing::Values(BadCase{"prismatic.urdf", "joint 'slider'", "prismatic"},
                      BadCase{"mesh.urdf", "link 'shell'", "mesh"},
                      BadCase{"no_inertial.urdf", "link 'arm'", "<inertial>"},
                      BadCase{"negative_mass.urdf", "link 'arm'", "mass"},
                      BadCase{"zero_mass.urdf", "link 'arm'", "mass > 0"},
                      BadCase{"massless_base.urdf", "link 'base'", "mass > 0"},
                      BadCase{"inertia_not_pd.urdf", "link 'arm'", "positive"},
                      BadCase{"lower_gt_upper.urdf", "joint 'elbow'", "lower"},
                      BadCase{"nan.urdf", "joint 'elbow'", "nan"},
                      BadCase{"nan_mass.urdf", "link 'arm'", "NaN"},
                      BadCase{"two_roots.urdf", "orphan", "root"},
                      BadCase{"malformed.urdf", "line 21", "end tag"},
                      BadCase{"capsule.urdf", "link 'arm'", "capsule"},
                      BadCase{"two_parents.urdf", "link 'arm'", "more than one joint"},
                      BadCase{"fixed_base.urdf", "link 'world'", "expected a floating base"}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string name = info.param.file;
      return name.substr(0, name.find('.'));
    });

TEST(UrdfLoader, Bittle) {
  const std::string path = std::string(TINYWALK_SOURCE_DIR) + "/configs/robots/bittle.urdf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  const RobotModel m = load_urdf(path);
  EXPECT_EQ(m.num_joints(), 8);
  EXPECT_GE(m.total_mass(), 0.27);
  EXPECT_LE(m.total_mass(), 0.29);

  // It instantiates in Bullet and round-trips a state, light links included.
  World w;
  MultiBodyRobot robot(m, w.world, BuildOptions{});
  Eigen::Isometry3d pose = Eigen::Isometry3d::Identity();
  pose.translate(Eigen::Vector3d(0.1, 0, 0.2));
  pose.rotate(Eigen::AngleAxisd(0.3, Eigen::Vector3d(0, 1, 1).normalized()));
  std::vector<double> q(8), qd(8);
  for (int j = 0; j < 8; ++j) q[j] = 0.5 * (m.joint(j).lower + m.joint(j).upper) + 0.1, qd[j] = 0.2 * j - 0.5;
  robot.set_state(pose, Eigen::Vector3d(0.1, 0.2, -0.3), Eigen::Vector3d(-0.4, 0.5, 0.6), q, qd);
  EXPECT_NEAR((robot.base_pose().matrix() - pose.matrix()).norm(), 0, 1e-9);
  EXPECT_NEAR((robot.base_linear_velocity() - Eigen::Vector3d(0.1, 0.2, -0.3)).norm(), 0, 1e-9);
  for (int j = 0; j < 8; ++j) EXPECT_NEAR(robot.joint_position(j), q[j], 1e-9);
  for (int j = 0; j < 8; ++j) EXPECT_GT(robot.joint_inertia(j), 0.0);
}

// ------------------------------------------------------------ MultiBodyRobot

TEST(MultiBody, StateRoundTrip) {
  const RobotModel m = load_urdf(kQuad);
  World w;
  MultiBodyRobot robot(m, w.world, BuildOptions{});
  Eigen::Isometry3d pose = Eigen::Isometry3d::Identity();
  pose.translate(Eigen::Vector3d(0.3, -0.2, 0.5));
  pose.rotate(Eigen::AngleAxisd(0.7, Eigen::Vector3d(1, 2, 3).normalized()));
  const Eigen::Vector3d v(0.1, -0.4, 0.25), omega(0.5, -0.3, 0.8);
  const std::vector<double> q = some_q(m);
  std::vector<double> qd(12);
  for (int j = 0; j < 12; ++j) qd[j] = 0.3 * j - 1.7;
  robot.set_state(pose, v, omega, q, qd);

  EXPECT_NEAR((robot.base_pose().matrix() - pose.matrix()).norm(), 0, 1e-9);
  EXPECT_NEAR((robot.base_linear_velocity() - v).norm(), 0, 1e-9);
  EXPECT_NEAR((robot.base_angular_velocity() - omega).norm(), 0, 1e-9);
  std::vector<double> q_out(12), qd_out(12);
  robot.joint_positions(q_out.data());
  robot.joint_velocities(qd_out.data());
  for (int j = 0; j < 12; ++j) {
    EXPECT_NEAR(q_out[j], q[j], 1e-9);
    EXPECT_NEAR(qd_out[j], qd[j], 1e-9);
    EXPECT_NEAR(robot.joint_position(j), q[j], 1e-9);
    EXPECT_NEAR(robot.joint_velocity(j), qd[j], 1e-9);
  }
  EXPECT_NEAR((robot.body_pose(0).matrix() - pose.matrix()).norm(), 0, 1e-9);
}

TEST(MultiBody, ForwardKinematicsMatchesHandComputation) {
  const RobotModel m = load_urdf(kQuad);
  World w;
  MultiBodyRobot robot(m, w.world, BuildOptions{});
  Eigen::Isometry3d base = Eigen::Isometry3d::Identity();
  base.translate(Eigen::Vector3d(1.0, 2.0, 0.4));
  base.rotate(Eigen::AngleAxisd(0.4, Eigen::Vector3d(0.2, -1, 0.5).normalized()));
  const double a = 0.3, b = 0.5, c = -1.0;  // FR hip abduction, hip pitch, knee
  std::vector<double> q(12, 0.0);
  q[m.find_joint("FR_hip_abd")] = a;
  q[m.find_joint("FR_hip_pitch")] = b;
  q[m.find_joint("FR_knee")] = c;
  q[m.find_joint("FL_knee")] = -0.7;
  robot.set_state(base, Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero(), q, std::vector<double>(12, 0.0));

  // FR foot from the URDF numbers: hip at (0.18, -0.12, 0), pitch joint 0.05 outward,
  // thigh and shank 0.2 long along -z; Rx(a) then Ry(b), Ry(c).
  const double x = -0.2 * std::sin(b) - 0.2 * std::sin(b + c);
  const double y = -0.05;
  const double z = -0.2 * std::cos(b) - 0.2 * std::cos(b + c);
  const Eigen::Vector3d foot_in_base(0.18 + x, -0.12 + y * std::cos(a) - z * std::sin(a), y * std::sin(a) + z * std::cos(a));
  const Eigen::Isometry3d shank = robot.body_pose(m.find_body("FR_shank"));
  EXPECT_NEAR((shank * Eigen::Vector3d(0, 0, -0.2) - base * foot_in_base).norm(), 0, 1e-9);
  EXPECT_NEAR((shank.linear() - base.linear() * rx(a) * ry(b + c)).norm(), 0, 1e-9);

  // FL leg: only the knee bent; the knee frame sits at hip + (0, 0.05, -0.2).
  const Eigen::Isometry3d fl_shank = robot.body_pose(m.find_body("FL_shank"));
  EXPECT_NEAR((fl_shank.translation() - base * Eigen::Vector3d(0.18, 0.17, -0.2)).norm(), 0, 1e-9);
  EXPECT_NEAR((fl_shank.linear() - base.linear() * ry(-0.7)).norm(), 0, 1e-9);
}

TEST(MultiBody, FreeFallAndJointInertia) {
  const RobotModel m = load_urdf(kQuad);
  World w;
  MultiBodyRobot robot(m, w.world, BuildOptions{});
  Eigen::Isometry3d start = Eigen::Isometry3d::Identity();
  start.translate(Eigen::Vector3d(0, 0, 10));
  start.rotate(Eigen::AngleAxisd(0.3, Eigen::Vector3d::UnitX()));
  const std::vector<double> q = some_q(m);
  robot.set_state(start, Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero(), q, std::vector<double>(12, 0.0));
  const Eigen::Vector3d com0 = robot.base_pose() * m.bodies[0].com;

  w.step(100);
  const double t = 0.1;
  const Eigen::Vector3d com1 = robot.base_pose() * m.bodies[0].com;
  EXPECT_NEAR(com1.z() - com0.z(), -0.5 * kG * t * t, 1e-3);
  EXPECT_NEAR(std::hypot(com1.x() - com0.x(), com1.y() - com0.y()), 0, 1e-9);
  EXPECT_NEAR((robot.base_linear_velocity() - Eigen::Vector3d(0, 0, -kG * t)).norm(), 0, 1e-9);
  EXPECT_NEAR(robot.base_angular_velocity().norm(), 0, 1e-9);
  EXPECT_NEAR((robot.base_pose().linear() - start.linear()).norm(), 0, 1e-9);
  for (int j = 0; j < 12; ++j) EXPECT_NEAR(robot.joint_position(j), q[j], 1e-9);

  // Knee subtree = shank (cylinder, CoM 0.1 below the axis) + foot (sphere, 0.2 below).
  const double knee = 0.00103 + kShank * 0.1 * 0.1 + 1.25e-5 + kFoot * 0.2 * 0.2;
  EXPECT_NEAR(robot.joint_inertia(m.find_joint("FR_knee")), knee, 1e-12);
  EXPECT_NEAR(robot.joint_inertia(m.find_joint("RL_knee")), knee, 1e-12);

  // Hip pitch with the knee straight: thigh + shank + foot about the pitch axis.
  robot.set_state(start, Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero(), std::vector<double>(12, 0.0),
                  std::vector<double>(12, 0.0));
  const double pitch = (0.0027916666666666667 + kThigh * 0.01) + (0.00103 + kShank * 0.09) + (1.25e-5 + kFoot * 0.16);
  EXPECT_NEAR(robot.joint_inertia(m.find_joint("FL_hip_pitch")), pitch, 1e-12);
}

TEST(MultiBody, MassAndInertiaScale) {
  const RobotModel m = load_urdf(kQuad);
  World w;
  BuildOptions options;
  options.mass_scale.assign(m.bodies.size(), 1.2);
  options.inertia_scale.assign(m.bodies.size(), 1.5);
  MultiBodyRobot robot(m, w.world, options);
  EXPECT_NEAR(robot.total_mass(), 1.2 * m.total_mass(), 1e-9);
  // The body (shank + foot) inertia about its CoM scales by inertia_scale, the
  // body's point-mass term about the knee axis by mass_scale.
  const double m_body = kShank + kFoot, c = (kShank * 0.1 + kFoot * 0.2) / m_body;
  const double i_body = 0.00103 + 1.25e-5 + kShank * (0.1 - c) * (0.1 - c) + kFoot * (0.2 - c) * (0.2 - c);
  const double knee = 1.5 * i_body + 1.2 * m_body * c * c;
  EXPECT_NEAR(robot.joint_inertia(m.find_joint("FR_knee")), knee, 1e-12);
  EXPECT_EQ(robot.num_joints(), 12);
}

TEST(MultiBody, VelocityConventions) {
  // Without gravity, one small step moves the URDF frames by velocity * dt.
  const RobotModel m = load_urdf(kQuad);
  World w(0.0);
  MultiBodyRobot robot(m, w.world, BuildOptions{});
  Eigen::Isometry3d pose = Eigen::Isometry3d::Identity();
  pose.translate(Eigen::Vector3d(0, 0, 1));
  pose.rotate(Eigen::AngleAxisd(0.5, Eigen::Vector3d(1, 1, 0).normalized()));
  const Eigen::Vector3d v(0.2, -0.1, 0.3), omega(0.4, 0.2, -0.6);
  std::vector<double> qd(12, 0.0);
  qd[m.find_joint("RR_knee")] = 0.5;
  robot.set_state(pose, v, omega, some_q(m), qd);
  const double dt = 1e-4;
  w.step(1, dt);
  const Eigen::Isometry3d after = robot.base_pose();
  EXPECT_NEAR(((after.translation() - pose.translation()) / dt - v).norm(), 0, 1e-3);
  const Eigen::AngleAxisd turn(after.linear() * pose.linear().transpose());
  EXPECT_NEAR((turn.axis() * turn.angle() / dt - omega).norm(), 0, 1e-3);
  const int knee = m.find_joint("RR_knee");
  EXPECT_NEAR((robot.joint_position(knee) - some_q(m)[knee]) / dt, 0.5, 1e-3);
}

TEST(MultiBody, JointTorqueAndFriction) {
  const RobotModel m = load_urdf(kQuad);
  const int knee = m.find_joint("FR_knee");
  auto run = [&](double friction) {
    World w(0.0);
    BuildOptions options;
    options.joint_friction.assign(12, friction);
    MultiBodyRobot robot(m, w.world, options);
    robot.set_state(Eigen::Isometry3d::Identity(), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero(), some_q(m),
                    std::vector<double>(12, 0.0));
    std::vector<double> tau(12, 0.0);
    tau[knee] = 0.5;
    for (int i = 0; i < 20; ++i) {
      robot.add_joint_torques(tau.data());
      w.step(1);
    }
    return robot.joint_velocity(knee);
  };
  EXPECT_GT(run(0.0), 0.5 * 0.02 / 0.0061);  // at least tau t / I_knee (the free base only adds to it)
  EXPECT_NEAR(run(5.0), 0.0, 1e-4);         // friction 5 N m holds against 0.5 N m (solver residual only)
}

TEST(MultiBody, BaseForce) {
  // A force at the base CoM accelerates the robot's overall CoM at F / M.
  const RobotModel m = load_urdf(kQuad);
  World w(0.0);
  MultiBodyRobot robot(m, w.world, BuildOptions{});
  auto com = [&] {
    Eigen::Vector3d sum = Eigen::Vector3d::Zero();
    for (size_t b = 0; b < m.bodies.size(); ++b) sum += m.bodies[b].mass * (robot.body_pose(b) * m.bodies[b].com);
    return Eigen::Vector3d(sum / m.total_mass());
  };
  const Eigen::Vector3d c0 = com();
  const int n = 100;
  const double dt = 0.001, t = n * dt;
  for (int i = 0; i < n; ++i) {
    robot.add_base_force(Eigen::Vector3d(0, 2 * m.total_mass(), 0));  // 2 m/s^2 along y
    w.step(1, dt);
  }
  const Eigen::Vector3d moved = com() - c0;
  EXPECT_NEAR(moved.y(), 0.5 * 2 * t * t, 2 * dt * t);  // semi-implicit Euler: within a * dt * t
  EXPECT_NEAR(moved.x(), 0, 1e-5);
  EXPECT_NEAR(moved.z(), 0, 1e-5);
}

TEST(MultiBody, CollidersMapToBodies) {
  const RobotModel m = load_urdf(kQuad);
  World w;
  {
    MultiBodyRobot robot(m, w.world, BuildOptions{});
    btMultiBody* mb = robot.multibody();
    ASSERT_EQ(mb->getNumLinks(), 12);
    ASSERT_NE(mb->getBaseCollider(), nullptr);
    EXPECT_EQ(robot.body_of(mb->getBaseCollider()), 0);
    for (int i = 0; i < mb->getNumLinks(); ++i) {
      ASSERT_NE(mb->getLink(i).m_collider, nullptr);
      EXPECT_EQ(robot.body_of(mb->getLink(i).m_collider), i + 1);
      EXPECT_DOUBLE_EQ(mb->getLink(i).m_collider->getFriction(), 0.8);
    }
    btCollisionObject other;
    EXPECT_EQ(robot.body_of(&other), -1);
    EXPECT_EQ(w.world.getNumCollisionObjects(), 13);
    EXPECT_EQ(w.world.getNumMultibodies(), 1);
  }
  EXPECT_EQ(w.world.getNumCollisionObjects(), 0);
  EXPECT_EQ(w.world.getNumMultibodies(), 0);
}

TEST(MultiBody, LandsOnGround) {
  // Sanity of the collision shapes: dropped on a plane, the robot comes to rest with
  // the torso box resting on it (legs folded up are shorter than they look).
  const RobotModel m = load_urdf(kQuad);
  World w;
  btStaticPlaneShape plane(btVector3(0, 0, 1), 0);
  btCollisionObject ground;
  ground.setCollisionShape(&plane);
  ground.setFriction(1.0);
  w.world.addCollisionObject(&ground, 1, -1);
  {
    MultiBodyRobot robot(m, w.world, BuildOptions{});
    Eigen::Isometry3d start = Eigen::Isometry3d::Identity();
    start.translate(Eigen::Vector3d(0, 0, 0.6));
    robot.set_state(start, Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero(), std::vector<double>(12, 0.0),
                    std::vector<double>(12, 0.0));
    w.step(2000);
    // Straight legs are 0.4 long plus a 0.025 foot radius; the robot collapses
    // at the joints onto something between the torso box and the full leg height.
    const double z = robot.base_pose().translation().z();
    EXPECT_GT(z, 0.04);
    EXPECT_LT(z, 0.45);
    EXPECT_LT(robot.base_linear_velocity().norm(), 0.05);
  }
  w.world.removeCollisionObject(&ground);
}

}  // namespace
}  // namespace tinywalk::sim
