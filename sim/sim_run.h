// One headless episode for `tinywalk sim`: hold a pose or play an open-loop
// gait table, log every control step to CSV, summarise.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sim/simulation.h"

namespace tinywalk::sim {

struct SimRunOptions {
  std::string pose = "stand";   // initial/held pose: "stand" (standing_pose) or "zero"
  std::string gait_path;        // if set, play this gait table after `settle` seconds
  double seconds = 10;          // s, episode length
  double settle = 0.5;          // s, hold the pose before the gait starts
  uint64_t seed = 0;            // episode k uses seed + k
  int episodes = 1;
  std::string csv_path;         // if set, per-control-step log (written atomically)
  // Called about once per simulated second: episode index, time in it, episode length.
  std::function<void(int episode, double t, double seconds)> progress;
};

struct SimRunSummary {
  Status status = Status::Running;
  std::string reason;
  double seconds = 0;              // s simulated
  int64_t physics_steps = 0;
  double physics_steps_per_s = 0;  // wall-clock rate of the physics loop
  double base_height_m = 0;        // final base-link height
  double min_base_height_m = 0;
  double distance_m = 0;           // horizontal distance from the start
  double forward_m = 0;            // displacement along the initial heading
  double mean_speed_mps = 0;       // forward_m / time walking
  double heading_change_deg = 0;   // final yaw minus initial yaw
  double max_tilt_deg = 0;         // largest |roll| or |pitch|
  double max_torque_nm = 0;        // largest |servo torque| at a control step
};

struct SimBatchSummary {
  std::vector<SimRunSummary> runs;  // one per episode
  int falls = 0;                    // episodes that ended in a fall
  int numerical_failures = 0;       // episodes that ended with NaN or an exploding state
  double physics_steps_per_s = 0;   // over all episodes
  double mean(double SimRunSummary::*field) const;
};

// Runs options.episodes episodes; the CSV (if any) holds them all, with an
// `episode` column. Throws InputError for a bad pose or gait file.
SimBatchSummary run_sim(const Robot& robot, const SimConfig& config, const SimRunOptions& options);

// The CSV header the log uses (one column per quantity, joint names from the robot).
std::string sim_csv_header(const Robot& robot);

}  // namespace tinywalk::sim
