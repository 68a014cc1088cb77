// Fixed test conditions (sim::Conditions, the scenarios of `tinywalk check`):
// their defaults change nothing, and each one has a measurable physical effect.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include "sim/rollout.h"
#include "sim/simulation.h"
#include "tests/test_util.h"

using namespace tinywalk;
using namespace tinywalk::sim;

namespace {
const std::string kSrc = TINYWALK_SOURCE_DIR;
constexpr double kDeg = M_PI / 180;
const Robot& bittle() {
  static const Robot r = load_robot(kSrc + "/configs/robots/bittle.yaml");
  return r;
}

// Stands for `seconds` holding the standing pose; calls f after every control step.
template <class F>
void stand(Simulation& sim, double seconds, F f) {
  const auto pose = bittle().config.standing_pose;
  const int steps = static_cast<int>(std::lround(seconds / sim.config().control_dt));
  for (int k = 0; k < steps; ++k) {
    ASSERT_EQ(sim.step(pose.data()), Status::Running) << sim.reason();
    f();
  }
}
BaseState settled(const SimConfig& cfg, double seconds = 1.0) {
  Simulation sim(bittle(), cfg);
  sim.reset(0);
  stand(sim, seconds, [] {});
  return sim.base();
}

// Expert rollouts of the default collect config under `c` (randomization off).
RolloutSummary expert(const Conditions& c, double seconds = 3, int episodes = 2) {
  CollectSetup setup = load_collect(kSrc + "/configs/collect/bittle_trot.yaml");
  setup.config.episode_seconds = seconds;
  setup.config.sim.randomize = false;
  setup.config.sim.conditions = c;
  RolloutOptions o;
  o.episodes = episodes;
  o.seed = 5;
  o.threads = 2;
  RolloutSummary s;
  rollout(setup, o, &s);
  return s;
}
}  // namespace

TEST(ScenarioConditions, DefaultsChangeNothing) {
  for (bool randomize : {false, true})
    for (uint64_t seed : {1, 2, 3}) {
      const EpisodeParams a = sample_episode(bittle(), randomize, seed, 0.8), b = sample_episode(bittle(), randomize, seed, 0.8, Conditions{});
      EXPECT_EQ(a.mass_scale, b.mass_scale);
      EXPECT_EQ(a.inertia_scale, b.inertia_scale);
      EXPECT_EQ(a.motor_strength, b.motor_strength);
      EXPECT_EQ(a.joint_friction, b.joint_friction);
      EXPECT_EQ(a.extra_latency, b.extra_latency);
      EXPECT_EQ(a.ground_friction, b.ground_friction);
      EXPECT_EQ(a.imu_rpy_noise, b.imu_rpy_noise);
      EXPECT_EQ(a.pushes, b.pushes);
      EXPECT_EQ(a.push_interval, bittle().config.randomization.push_interval);
      EXPECT_EQ(b.push_velocity, bittle().config.randomization.push_velocity);
    }
  // Naming the robot's own push ranges explicitly gives the same episode, bit for bit.
  SimConfig implicit;
  implicit.randomize = true;
  SimConfig explicit_ = implicit;
  explicit_.conditions.push_interval = bittle().config.randomization.push_interval;
  explicit_.conditions.push_velocity = bittle().config.randomization.push_velocity;
  Simulation a(bittle(), implicit), b(bittle(), explicit_);
  a.reset(9);
  b.reset(9);
  const auto pose = bittle().config.standing_pose;
  for (int k = 0; k < 150; ++k) {
    a.step(pose.data());
    b.step(pose.data());
  }
  EXPECT_EQ(a.base().position, b.base().position);
  EXPECT_EQ(a.joint_positions(), b.joint_positions());
}

TEST(ScenarioConditions, FixedFrictionAndImuNoiseOverrideRandomization) {
  Conditions c;
  c.ground_friction = 0.3;
  c.imu_noise = 0.2;
  c.extra_latency = 0.05;
  for (uint64_t seed : {1, 2, 3}) {
    const EpisodeParams r = sample_episode(bittle(), true, seed, 0.8), p = sample_episode(bittle(), true, seed, 0.8, c);
    EXPECT_EQ(p.ground_friction, 0.3);
    EXPECT_EQ(p.imu_rpy_noise, 0.2);
    EXPECT_DOUBLE_EQ(p.extra_latency, r.extra_latency + 0.05);
    EXPECT_EQ(p.mass_scale, r.mass_scale);  // the rest of the randomized episode is unchanged
    EXPECT_EQ(p.motor_strength, r.motor_strength);
  }
  EXPECT_EQ(sample_episode(bittle(), false, 1, 0.8, c).ground_friction, 0.3);
}

TEST(ScenarioConditions, LowFrictionSlowsTheExpertAndSlidesDownASlope) {
  Conditions icy;
  icy.ground_friction = 0.02;
  const RolloutSummary normal = expert({}), slippery = expert(icy);
  EXPECT_GT(normal.mean_speed_mps, 0.05);
  EXPECT_LT(slippery.mean_speed_mps, 0.7 * normal.mean_speed_mps) << normal.mean_speed_mps << " vs " << slippery.mean_speed_mps;
  // Standing on an 8 deg slope: mu 0.8 holds (tan 8 deg = 0.14), mu 0.05 slides downhill (-x).
  SimConfig grip, ice;
  grip.conditions.slope_deg = ice.conditions.slope_deg = 8;
  ice.conditions.ground_friction = 0.05;
  const double x0 = Simulation(bittle(), grip).base().position.x();
  EXPECT_NEAR(settled(grip).position.x(), x0, 0.01);
  EXPECT_LT(settled(ice).position.x(), x0 - 0.2);
}

TEST(ScenarioConditions, ExtraLatencyDelaysTheServos) {
  auto knee_after = [](double latency, double seconds) {
    SimConfig cfg;
    cfg.conditions.extra_latency = latency;
    Simulation sim(bittle(), cfg);
    sim.reset(0);
    EXPECT_DOUBLE_EQ(sim.episode().extra_latency, latency);
    std::vector<double> cmd = bittle().config.standing_pose;
    const double q0 = sim.joint_positions()[0];
    cmd[0] += 20 * kDeg;
    const int steps = static_cast<int>(std::lround(seconds / cfg.control_dt));
    for (int k = 0; k < steps; ++k) sim.step(cmd.data());
    return std::fabs(sim.joint_positions()[0] - q0);
  };
  EXPECT_GT(knee_after(0, 0.066), 5 * kDeg);
  EXPECT_LT(knee_after(0.1, 0.066), 1 * kDeg);  // the command has not arrived yet
  EXPECT_GT(knee_after(0.1, 0.3), 5 * kDeg);    // ... but it does
}

TEST(ScenarioConditions, PushesMoveAStandingRobot) {
  auto max_speed = [](bool pushes) {
    SimConfig cfg;
    cfg.conditions.pushes = pushes;
    cfg.conditions.push_interval = {0.3, 0.3};
    cfg.conditions.push_velocity = {0.3, 0.3};
    Simulation sim(bittle(), cfg);
    sim.reset(4);
    EXPECT_EQ(sim.episode().pushes, pushes);
    double v = 0;
    stand(sim, 1.0, [&] { v = std::max(v, sim.base().linear_velocity.head<2>().norm()); });
    return v;
  };
  EXPECT_LT(max_speed(false), 0.05);  // settling only
  EXPECT_GT(max_speed(true), 0.2);
}

TEST(ScenarioConditions, PayloadAddsMassSinksAndShiftsThePitch) {
  SimConfig plain, loaded, forward;
  loaded.conditions.payload_mass = 0.15;
  forward.conditions.payload_mass = 0.15;
  forward.conditions.payload_offset = {0.05, 0, 0};
  Simulation a(bittle(), plain), b(bittle(), loaded);
  EXPECT_NEAR(b.total_mass() - a.total_mass(), 0.15, 1e-9);
  // The servos carry the load: more holding torque, a (small: stiff, nearly straight legs) sink.
  auto holding = [](const SimConfig& c, BaseState* end) {
    Simulation sim(bittle(), c);
    sim.reset(0);
    double tau = 0;
    stand(sim, 1.0, [&] {
      for (double t : sim.joint_torques()) tau += std::fabs(t);
    });
    *end = sim.base();
    return tau;
  };
  BaseState p, l, f;
  const double tau_plain = holding(plain, &p), tau_loaded = holding(loaded, &l);
  holding(forward, &f);
  EXPECT_GT(tau_loaded, 1.2 * tau_plain) << tau_plain << " vs " << tau_loaded;
  EXPECT_LT(l.position.z(), p.position.z() - 3e-5) << "payload sink " << p.position.z() - l.position.z();
  // A payload ahead of the base origin pitches the nose down (positive pitch, ZYX about +y).
  EXPECT_GT(f.rpy[1] - l.rpy[1], 0.03 * kDeg) << f.rpy[1] / kDeg << " vs " << l.rpy[1] / kDeg;
  // Randomized masses scale the body; the payload adds on top.
  SimConfig rl = loaded;
  rl.randomize = true;
  SimConfig r = plain;
  r.randomize = true;
  Simulation ra(bittle(), r), rb(bittle(), rl);
  ra.reset(7);
  rb.reset(7);
  EXPECT_NEAR(rb.total_mass() - ra.total_mass(), 0.15, 1e-9);
}

TEST(ScenarioConditions, SlopeTiltsTheGroundAndTheImuReadsIt) {
  SimConfig flat, slope;
  slope.conditions.slope_deg = 8;
  Simulation f(bittle(), flat), s(bittle(), slope);
  EXPECT_EQ(f.ground_normal(), Eigen::Vector3d::UnitZ());
  EXPECT_LT(s.ground_normal().x(), 0);  // rising along +x: uphill ahead
  // Placed on the plane: the same clearance along its normal as on flat ground.
  EXPECT_NEAR(s.base().position.dot(s.ground_normal()), f.base().position.z(), 1e-9);
  double pitch_flat = 0, pitch_slope = 0;
  stand(f, 1.0, [&] { pitch_flat = f.imu_truth().rpy[1]; });
  stand(s, 1.0, [&] { pitch_slope = s.imu_truth().rpy[1]; });
  EXPECT_NEAR(pitch_slope - pitch_flat, -8 * kDeg, 1.5 * kDeg) << pitch_flat / kDeg << " " << pitch_slope / kDeg;
  EXPECT_FALSE(s.ground_contacts().empty());
  EXPECT_LT(std::fabs(s.base().position.x()), 0.02);  // it stands, it does not slide down
  // The expert walks uphill: it gains height.
  Conditions up;
  up.slope_deg = 5;
  CollectSetup setup = load_collect(kSrc + "/configs/collect/bittle_trot.yaml");
  setup.config.sim.randomize = false;
  setup.config.sim.conditions = up;
  Simulation w(setup.robot, setup.config.sim);
  const LegKinematics legs(setup.robot);
  Expert ex(setup.robot, legs, setup.gait, setup.config.expert);
  w.reset(1);
  ex.reset(w);
  const double z0 = w.base().position.z();
  for (int k = 0; k < 90 && w.status() == Status::Running; ++k) w.step(ex.act(w).data());
  EXPECT_EQ(w.status(), Status::Running) << w.reason();
  EXPECT_GT(w.base().position.x(), 0.05);
  EXPECT_GT(w.base().position.z() - z0, 0.5 * std::tan(5 * kDeg) * w.base().position.x());
}

TEST(ScenarioConditions, ImuNoiseHasTheGivenSigma) {
  auto roll_sigma = [](double noise) {
    SimConfig cfg;
    cfg.conditions.imu_noise = noise;
    Simulation sim(bittle(), cfg);
    sim.reset(3);
    double sum = 0, sq = 0;
    int n = 0;
    stand(sim, 3.0, [&] {
      const double e = sim.read_imu().rpy[0] - sim.imu_truth().rpy[0];
      sum += e;
      sq += e * e;
      ++n;
    });
    return std::sqrt(sq / n - (sum / n) * (sum / n));
  };
  EXPECT_LT(roll_sigma(-1), 0.005);  // nominal: the robot's rpy_noise (0)
  EXPECT_NEAR(roll_sigma(0.05), 0.05, 0.012);
}

TEST(ScenarioConditions, ReadStrictlyFromTheSimSection) {
  const std::string path = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_cond.yaml";
  std::ofstream(path) << "conditions:\n  slope_deg: 5\n  payload_mass: 0.1\n  payload_offset: [0.01, 0, 0]\n";
  const SimConfig c = load_sim_config(path);
  EXPECT_EQ(c.conditions.slope_deg, 5);
  EXPECT_EQ(c.conditions.payload_offset, (std::vector<double>{0.01, 0, 0}));
  std::ofstream(path) << "conditions:\n  slope: 5\n";
  EXPECT_HAS(test::error_of([&] { load_sim_config(path); }), "conditions.slope");
  std::ofstream(path) << "conditions:\n  slope_deg: 45\n";
  EXPECT_HAS(test::error_of([&] { load_sim_config(path); }), "slope_deg");
  std::ofstream(path) << "conditions:\n  push_interval: [3, 1]\n";
  EXPECT_HAS(test::error_of([&] { load_sim_config(path); }), "push_interval");
  // Defaults round-trip through the YAML writer.
  std::ofstream(path) << config::to_yaml(SimConfig{});
  EXPECT_TRUE(load_sim_config(path).conditions == Conditions{});
}
