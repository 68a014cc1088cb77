// The simulated Bittle: standing, walking, determinism, failures.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include "common/atomic_file.h"
#include "sim/gait_table.h"
#include "sim/sim_run.h"

using namespace tinywalk;
using namespace tinywalk::sim;

namespace {
const std::string kSrc = TINYWALK_SOURCE_DIR;
const Robot& bittle() {
  static const Robot r = load_robot(kSrc + "/configs/robots/bittle.yaml");
  return r;
}
std::string trot() { return kSrc + "/configs/gaits/bittle_trot.yaml"; }
constexpr double kDeg = M_PI / 180;
}  // namespace

TEST(Simulation, BittleStandsTenSeconds) {
  SimRunOptions o;
  o.seconds = 10;
  const SimRunSummary s = run_sim(bittle(), SimConfig{}, o).runs.at(0);
  EXPECT_EQ(s.status, Status::Running) << s.reason;
  EXPECT_NEAR(s.seconds, 10, 0.04);
  EXPECT_GT(s.min_base_height_m, 0.07);
  EXPECT_LT(s.max_tilt_deg, 3.0);
  EXPECT_LT(s.distance_m, 0.01);
  EXPECT_LT(std::fabs(s.heading_change_deg), 1.0);
}

TEST(Simulation, StandingJointsHoldTheCommandedPose) {
  Simulation sim(bittle(), SimConfig{});
  sim.reset(0);
  const auto pose = bittle().config.standing_pose;
  for (int k = 0; k < 60; ++k) ASSERT_EQ(sim.step(pose.data()), Status::Running);
  const auto q = sim.joint_positions();
  for (int j = 0; j < 8; ++j) EXPECT_NEAR(q[j], pose[j], 2.5 * kDeg) << bittle().config.joints[j];
  // The IMU on a level, resting torso: small tilt, gravity on +z.
  const ImuReading imu = sim.imu_truth();
  EXPECT_LT(std::fabs(imu.rpy[0]), 2 * kDeg);
  EXPECT_LT(std::fabs(imu.rpy[1]), 3 * kDeg);
  EXPECT_NEAR(imu.accel[2], 9.81, 0.2);
}

TEST(Simulation, OpenLoopTrotWalksForward) {
  SimRunOptions o;
  o.seconds = 10;
  o.gait_path = trot();
  const SimRunSummary s = run_sim(bittle(), SimConfig{}, o).runs.at(0);
  EXPECT_EQ(s.status, Status::Running) << s.reason;
  EXPECT_GT(s.forward_m, 0.2);
  EXPECT_GT(s.mean_speed_mps, 0.02);
  EXPECT_LT(s.max_tilt_deg, 30);
}

TEST(Simulation, SameSeedSameBytesDifferentSeedDifferentBytes) {
  SimConfig cfg;
  cfg.randomize = true;
  auto run = [&](uint64_t seed) {
    SimRunOptions o;
    o.seconds = 3;
    o.gait_path = trot();
    o.seed = seed;
    o.csv_path = ::testing::TempDir() + "/det_" + std::to_string(::getpid()) + "_" + std::to_string(seed) + ".csv";
    run_sim(bittle(), cfg, o);
    return read_file(o.csv_path);
  };
  const std::string a = run(11), b = run(11), c = run(12);
  EXPECT_GT(a.size(), 10000u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Simulation, RandomizationDrawsWithinTheConfiguredRanges) {
  const auto& r = bittle().config.randomization;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const EpisodeParams p = sample_episode(bittle(), true, seed, 0.8);
    EXPECT_GE(p.ground_friction, r.ground_friction.lo);
    EXPECT_LE(p.ground_friction, r.ground_friction.hi);
    EXPECT_LE(p.extra_latency, r.latency.hi);
    for (double m : p.mass_scale) EXPECT_TRUE(m >= r.mass_scale.lo && m <= r.mass_scale.hi);
    for (double m : p.inertia_scale) EXPECT_TRUE(m >= r.inertia_scale.lo && m <= r.inertia_scale.hi);
    for (double m : p.motor_strength) EXPECT_TRUE(m >= r.motor_strength.lo && m <= r.motor_strength.hi);
    for (double f : p.joint_friction) EXPECT_TRUE(f >= r.joint_friction.lo && f <= r.joint_friction.hi);
  }
  const EpisodeParams a = sample_episode(bittle(), true, 3, 0.8), b = sample_episode(bittle(), true, 4, 0.8);
  EXPECT_NE(a.ground_friction, b.ground_friction);
  const EpisodeParams off = sample_episode(bittle(), false, 3, 0.8);
  EXPECT_EQ(off.ground_friction, 0.8);
  EXPECT_EQ(off.extra_latency, 0.0);
}

TEST(Simulation, CollapsingRobotIsAFallWithAReason) {
  Simulation sim(bittle(), SimConfig{});
  sim.reset(0);
  std::vector<double> splay(8);
  for (int j = 0; j < 8; ++j) splay[j] = j % 2 == 0 ? -1.5 : -1.2;  // legs folded up backwards
  Status st = Status::Running;
  for (int k = 0; k < 100 && st == Status::Running; ++k) st = sim.step(splay.data());
  EXPECT_EQ(st, Status::Fell);
  EXPECT_NE(sim.reason().find("touched the ground"), std::string::npos) << sim.reason();
}

TEST(Simulation, NanCommandEndsTheEpisodeCleanly) {
  Simulation sim(bittle(), SimConfig{});
  sim.reset(0);
  std::vector<double> cmd = bittle().config.standing_pose;
  cmd[3] = std::nan("");
  EXPECT_EQ(sim.step(cmd.data()), Status::NumericalFailure);
  EXPECT_NE(sim.reason().find("FL_knee"), std::string::npos) << sim.reason();
  EXPECT_EQ(sim.step(bittle().config.standing_pose.data()), Status::NumericalFailure);  // stays ended
}

TEST(Simulation, ExplodingStateIsDetectedNotHung) {
  Robot wild = bittle();
  wild.config.servo.kp = 1e5;  // absurd gains at a coarse step: the physics blows up
  wild.config.servo.kd = 0;
  wild.config.servo.stall_torque = 1e6;
  wild.config.servo.no_load_speed = 1e6;
  SimConfig cfg;
  cfg.physics_dt = 0.02;
  cfg.control_dt = 0.02;
  Simulation sim(wild, cfg);
  sim.reset(0);
  std::vector<double> cmd(8, 1.2);
  Status st = Status::Running;
  int k = 0;
  for (; k < 500 && st == Status::Running; ++k) st = sim.step(cmd.data());
  EXPECT_NE(st, Status::Running);
  if (st == Status::NumericalFailure) {
    EXPECT_NE(sim.reason().find("at t ="), std::string::npos);
  }
}

TEST(Simulation, SpeedThresholdCatchesRunawayBase) {
  SimConfig cfg;
  cfg.max_base_speed = 1e-6;  // anything moving counts as exploding
  Simulation sim(bittle(), cfg);
  sim.reset(0);
  std::vector<double> cmd(8, 1.0);
  Status st = Status::Running;
  for (int k = 0; k < 10 && st == Status::Running; ++k) st = sim.step(cmd.data());
  EXPECT_EQ(st, Status::NumericalFailure);
  EXPECT_NE(sim.reason().find("max_base_speed"), std::string::npos) << sim.reason();
}

TEST(GaitTable, InterpolatesAndLoops) {
  GaitTable g = load_gait_table(trot(), 8);
  const double period = g.frame_duration * g.frames.size();
  const auto a = g.at(0.3 * g.frame_duration), b = g.at(period + 0.3 * g.frame_duration);
  for (int j = 0; j < 8; ++j) {
    EXPECT_NEAR(a[j], b[j], 1e-12);
    EXPECT_NEAR(a[j], 0.7 * g.frames[0][j] + 0.3 * g.frames[1][j], 1e-12);
  }
  EXPECT_THROW(load_gait_table(trot(), 12), InputError);
}

TEST(Simulation, ASecondDifferentRobotStandsToo) {
  // 12 DoF, 13 kg, a rotated hip mount and a continuous joint: nothing in the
  // simulator may assume Bittle.
  const Robot q12 = load_robot(kSrc + "/tests/data/quadruped12.yaml");
  ASSERT_EQ(q12.num_joints(), 12);
  SimRunOptions o;
  o.seconds = 3;
  const SimRunSummary s = run_sim(q12, SimConfig{}, o).runs.at(0);
  EXPECT_EQ(s.status, Status::Running) << s.reason;
  EXPECT_GT(s.min_base_height_m, 0.25);
  EXPECT_LT(s.max_tilt_deg, 5);
}

TEST(Simulation, EpisodesAreCountedAndSeededInTurn) {
  SimConfig cfg;
  cfg.randomize = true;
  SimRunOptions o;
  o.seconds = 1;
  o.episodes = 3;
  o.seed = 20;
  o.gait_path = trot();
  o.csv_path = ::testing::TempDir() + "/episodes_" + std::to_string(::getpid()) + ".csv";
  const SimBatchSummary b = run_sim(bittle(), cfg, o);
  ASSERT_EQ(b.runs.size(), 3u);
  int falls = 0;
  for (const auto& r : b.runs) falls += r.status == Status::Fell;
  EXPECT_EQ(b.falls, falls);
  // Episode 1 of a batch from seed 20 is the same as episode 0 from seed 21.
  SimRunOptions one = o;
  one.episodes = 1;
  one.seed = 21;
  one.csv_path.clear();
  const SimRunSummary single = run_sim(bittle(), cfg, one).runs.at(0);
  EXPECT_EQ(single.forward_m, b.runs[1].forward_m);
  const std::string log = read_file(o.csv_path);
  EXPECT_NE(log.find("\n2,"), std::string::npos);  // rows of the third episode
}
