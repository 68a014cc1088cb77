// The robot description: the shipped Bittle model and every bad-input case.
#include <gtest/gtest.h>
#include <unistd.h>
#include <urdf_parser/urdf_parser.h>

#include <cmath>
#include <fstream>

#include "common/error.h"
#include "sim/robot_config.h"
#include "sim/simulation.h"

using namespace tinywalk;
using namespace tinywalk::sim;

namespace {
const std::string kSrc = TINYWALK_SOURCE_DIR;
const std::string kBittle = kSrc + "/configs/robots/bittle.yaml";

std::string read_text(const std::string& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes a copy of bittle.yaml with `from` replaced by `to` next to the URDF.
std::string bittle_variant(const std::string& from, const std::string& to) {
  std::string text = read_text(kBittle);
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  const std::string urdf_line = "urdf: bittle.urdf";
  if (text.find(urdf_line) != std::string::npos)  // the copy lives elsewhere: point at the real URDF
    text.replace(text.find(urdf_line), urdf_line.size(), "urdf: " + kSrc + "/configs/robots/bittle.urdf");
  static int k = 0;
  const std::string path = ::testing::TempDir() + "/.test_variant_" + std::to_string(::getpid()) + "_" + std::to_string(k++) + ".yaml";
  std::ofstream(path) << text;
  return path;
}

std::string load_error(const std::string& path) {
  std::string msg;
  try {
    load_robot(path);
  } catch (const InputError& e) {
    msg = e.what();
  }
  return msg;
}
}  // namespace

TEST(BittleModel, RealScaleMassesJointsAndLimits) {
  const Robot r = load_robot(kBittle);
  EXPECT_EQ(r.num_joints(), 8);
  EXPECT_GE(r.model.total_mass(), 0.27);
  EXPECT_LE(r.model.total_mass(), 0.29);
  EXPECT_EQ(r.model.bodies.size(), 9u);  // torso (+battery, head merged) and 8 leg links
  EXPECT_EQ(r.model.bodies[0].merged_links.size(), 2u);
  for (int i = 0; i < 8; ++i) {
    const Joint& j = r.model.joint(r.joint_to_model[i]);
    EXPECT_LT(j.lower, r.config.standing_pose[i]);
    EXPECT_GT(j.upper, r.config.standing_pose[i]);
    EXPECT_GT(j.effort, 0);
    EXPECT_GT(j.velocity, 0);
  }
  EXPECT_EQ(r.config.firmware_index, (std::vector<int>{9, 13, 8, 12, 10, 14, 11, 15}));
}

TEST(BittleModel, InertiasFollowFromTheCollisionGeometry) {
  // Recompute every link's CoM and inertia from its collision shapes with the
  // link's mass spread uniformly over their volume, straight from urdfdom.
  auto model = urdf::parseURDF(read_text(kSrc + "/configs/robots/bittle.urdf"));
  ASSERT_TRUE(model);
  int checked = 0;
  for (const auto& [name, link] : model->links_) {
    ASSERT_TRUE(link->inertial) << name;
    std::vector<std::pair<double, Eigen::Vector3d>> parts;  // volume, centre
    std::vector<Eigen::Matrix3d> unit;                      // inertia per unit mass about the centre
    for (const auto& c : link->collision_array) {
      const auto& o = c->origin.position;
      Eigen::Matrix3d J = Eigen::Matrix3d::Zero();
      double vol = 0;
      if (c->geometry->type == urdf::Geometry::BOX) {
        auto b = std::static_pointer_cast<urdf::Box>(c->geometry)->dim;
        vol = b.x * b.y * b.z;
        J.diagonal() << (b.y * b.y + b.z * b.z) / 12, (b.x * b.x + b.z * b.z) / 12, (b.x * b.x + b.y * b.y) / 12;
      } else {
        ASSERT_EQ(c->geometry->type, urdf::Geometry::SPHERE) << name;
        double rr = std::static_pointer_cast<urdf::Sphere>(c->geometry)->radius;
        vol = 4.0 / 3.0 * M_PI * rr * rr * rr;
        J.diagonal().setConstant(0.4 * rr * rr);
      }
      parts.push_back({vol, Eigen::Vector3d(o.x, o.y, o.z)});
      unit.push_back(J);
    }
    double total = 0;
    Eigen::Vector3d com = Eigen::Vector3d::Zero();
    for (auto& p : parts) total += p.first;
    for (auto& p : parts) com += p.first / total * p.second;
    const double m = link->inertial->mass;
    Eigen::Matrix3d I = Eigen::Matrix3d::Zero();
    for (size_t k = 0; k < parts.size(); ++k) {
      const double mk = m * parts[k].first / total;
      const Eigen::Vector3d d = parts[k].second - com;
      I += mk * unit[k] + mk * (d.squaredNorm() * Eigen::Matrix3d::Identity() - d * d.transpose());
    }
    const auto& in = *link->inertial;
    EXPECT_NEAR(in.origin.position.x, com.x(), 1e-7) << name;
    EXPECT_NEAR(in.origin.position.z, com.z(), 1e-7) << name;
    EXPECT_NEAR(in.ixx, I(0, 0), 1e-6 * I(0, 0) + 1e-12) << name;
    EXPECT_NEAR(in.iyy, I(1, 1), 1e-6 * I(1, 1) + 1e-12) << name;
    EXPECT_NEAR(in.izz, I(2, 2), 1e-6 * I(2, 2) + 1e-12) << name;
    EXPECT_NEAR(in.ixz, I(0, 2), 1e-12) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 11);
}

TEST(BittleModel, StandingPoseHasFeetUnderTheShoulders) {
  // Our angle convention: 30 deg shoulder and knee put the foot under the hip.
  const Robot r = load_robot(kBittle);
  SimConfig cfg;
  Simulation sim(r, cfg);
  sim.reset(0);
  EXPECT_NEAR(sim.base().position.z(), 0.0838, 0.002);  // shoulder height + battery clearance
}

TEST(RobotConfigErrors, MissingFile) {
  EXPECT_NE(load_error(kSrc + "/configs/robots/nope.yaml").find("nope.yaml: cannot open"), std::string::npos);
}

TEST(RobotConfigErrors, MalformedYamlReportsLine) {
  std::string e = load_error(bittle_variant("servo:", "servo: [oops"));
  EXPECT_NE(e.find("malformed YAML"), std::string::npos) << e;
  EXPECT_NE(e.find("line"), std::string::npos) << e;
}

TEST(RobotConfigErrors, UnknownAndMistypedKeys) {
  std::string e = load_error(bittle_variant("  kp: 2.75", "  kpp: 2.75"));
  EXPECT_NE(e.find("servo.kpp: unknown key"), std::string::npos) << e;
  e = load_error(bittle_variant("  kp: 2.75", "  kp: stiff"));
  EXPECT_NE(e.find("servo.kp: expected a number, got 'stiff'"), std::string::npos) << e;
  EXPECT_NE(e.find(".test_variant_"), std::string::npos) << e;  // names the file
}

TEST(RobotConfigErrors, OutOfRangeAndNan) {
  std::string e = load_error(bittle_variant("  stall_torque: 0.29", "  stall_torque: -0.29"));
  EXPECT_NE(e.find("servo.stall_torque: expected a number > 0"), std::string::npos) << e;
  e = load_error(bittle_variant("  kd: 0.025", "  kd: .nan"));
  EXPECT_NE(e.find("servo.kd: expected a finite number"), std::string::npos) << e;
  e = load_error(bittle_variant("  mass_scale: [0.8, 1.2]", "  mass_scale: [1.2, 0.8]"));
  EXPECT_NE(e.find("randomization.mass_scale: expected low <= high"), std::string::npos) << e;
}

TEST(RobotConfigErrors, CrossChecksAgainstTheUrdf) {
  std::string e = load_error(bittle_variant("RL_knee]", "RL_elbow]"));
  EXPECT_NE(e.find("joints[7]: no movable joint 'RL_elbow'"), std::string::npos) << e;
  e = load_error(bittle_variant("firmware_index: [9, 13, 8, 12, 10, 14, 11, 15]", "firmware_index: [9, 13]"));
  EXPECT_NE(e.find("firmware_index: expected 8 entries"), std::string::npos) << e;
  e = load_error(bittle_variant("standing_pose: [0.5236", "standing_pose: [3.0"));
  EXPECT_NE(e.find("outside the limits of joint 'FR_shoulder'"), std::string::npos) << e;
  e = load_error(bittle_variant("  link: base_link", "  link: battery"));
  EXPECT_NE(e.find("imu.link: link 'battery' is merged into 'base_link'"), std::string::npos) << e;
  e = load_error(bittle_variant("urdf: bittle.urdf", "urdf: missing.urdf"));
  EXPECT_NE(e.find("missing.urdf"), std::string::npos) << e;
}

TEST(SimConfigErrors, NonPositiveStepsAndNonMultipleControlPeriod) {
  auto err = [](const std::string& text) {
    const std::string path = ::testing::TempDir() + "/sim_cfg_" + std::to_string(::getpid()) + ".yaml";
    std::ofstream(path) << text;
    try {
      load_sim_config(path);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(err("physics_dt: 0\n").find("physics_dt: expected a number in [1e-05, 0.05]"), std::string::npos);
  EXPECT_NE(err("physics_dt: -0.001\n").find("physics_dt"), std::string::npos);
  EXPECT_NE(err("control_dt: 0.0335\n").find("control_dt: expected a whole multiple of physics_dt"), std::string::npos);
  EXPECT_NE(err("gravity: .inf\n").find("gravity: expected a finite number"), std::string::npos);
  EXPECT_EQ(err("control_dt: 0.02\n"), "");
}
