// Rollouts that make imitation data: the expert walks (collection), or any
// policy walks while the expert labels every visited state (DAgger). Policy
// in, labelled trajectories out.
//
// Per control step k of an episode, recorded into the dataset
// (dataset/dataset.h) with these signals:
//   obs/imu_rpy [3] rad, obs/imu_gyro [3] rad/s, obs/imu_accel [3] m/s^2:
//       what the robot's IMU reports (noise, bias, latency, mount);
//   obs/last_action [joints] rad: the command sent at step k-1 (standing pose at k = 0);
//   obs/gait_clock [2]: sin and cos of 2 pi * gait phase;
//   actions [joints] rad: the EXPERT's joint targets for this state (the label);
//   privileged/executed_action [joints] rad: what was actually sent;
//   privileged/base_position [3], base_orientation [4] (x, y, z, w),
//       base_linear_velocity [3], base_angular_velocity [3] (world),
//       q [joints], qd [joints], foot_contact [legs] (0/1), gait_phase [1];
//   reference/q [joints], reference/root_position [3],
//       reference/root_orientation [4], reference/feet [3 legs];
//   reward_terms/<term> [1] and rewards: the imitation reward of the state
//       reached after the step; dones: 1 on the last step.
// Episode attributes: fell, numerical_failure, mean_speed_mps,
// heading_drift_deg, and the sampled randomization (ground_friction,
// extra_latency_s, imu_noise_rad).
//
// Episode k uses seed + k and one simulator per thread; results are stored by
// episode index, so the dataset bytes do not depend on the thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/yaml_config.h"
#include "dataset/dataset.h"
#include "sim/expert.h"

namespace tinywalk::sim {

// configs/collect/*.yaml
struct CollectConfig {
  std::string robot = "../robots/bittle.yaml";       // relative to the collect YAML
  std::string gait = "../gaits/bittle_trot_ref.yaml";  // the reference gait the expert walks
  double episode_seconds = 20;                        // s
  SimConfig sim;                                      // randomize is on by default for collection
  ExpertParams expert;
  RewardParams reward;

  CollectConfig() { sim.randomize = true; }
  template <class V>
  void visit(V& v) {
    v.field("robot", robot, "robot description YAML, relative to this file");
    v.field("gait", gait, "reference gait parameters YAML, relative to this file");
    v.field("episode_seconds", episode_seconds, "s; length of each episode", config::between(0.05, 3600));
    v.section("sim", sim, "simulation settings");
    v.section("expert", expert, "expert controller gains");
    v.section("reward", reward, "imitation reward weights and scales");
  }
};

// A collect config with everything it names loaded and checked.
struct CollectSetup {
  std::string path;          // the YAML file
  std::string yaml;          // its text (stored in datasets as provenance)
  CollectConfig config;
  Robot robot;
  GaitParams gait;
};
CollectSetup load_collect(const std::string& path);

// What a deployable policy may see at a control step.
struct Observation {
  ImuReading imu;                   // as the robot's IMU reports it
  std::vector<double> last_action;  // rad, robot joint order: the previous command sent
  double gait_phase = 0;            // [0, 1)
};

// A policy that drives the robot during a rollout (one instance per thread).
class Driver {
 public:
  virtual ~Driver() = default;
  virtual void reset(uint64_t /*episode_seed*/) {}
  // Joint targets (rad, robot joint order) for this observation.
  virtual std::vector<double> act(const Observation& obs) = 0;
};
using DriverFactory = std::function<std::unique_ptr<Driver>()>;

struct RolloutOptions {
  int episodes = 1;
  uint64_t seed = 0;             // episode k uses seed + k
  int threads = 0;               // 0: one per core (at most 2 here); results do not depend on it
  DriverFactory driver;          // empty: the expert drives; else the driver acts and the expert labels (DAgger)
  double expert_mix = 0;         // with a driver: per-step probability of executing the expert's action instead
  std::function<void(int done, int total)> progress;  // called after each episode (from worker threads, serialised)
};

struct RolloutSummary {
  int episodes = 0;
  int64_t steps = 0;
  int falls = 0, numerical_failures = 0;
  double mean_speed_mps = 0;          // mean over episodes of forward distance / time
  double mean_reward = 0;             // mean over all steps
  double mean_abs_heading_drift_deg = 0, max_abs_heading_drift_deg = 0;
  double wall_seconds = 0;
};

data::Dataset rollout(const CollectSetup& setup, const RolloutOptions& options, RolloutSummary* summary = nullptr);

}  // namespace tinywalk::sim
