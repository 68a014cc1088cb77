// Domain randomization: everything about one episode that is drawn from its
// seed. With randomization off, the nominal values (all scales 1, no
// friction, no extra latency, no pushes).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/robot_config.h"

namespace tinywalk::sim {

struct EpisodeParams {
  uint64_t seed = 0;
  bool randomized = false;
  std::vector<double> mass_scale;      // per body of the RobotModel
  std::vector<double> inertia_scale;   // per body
  std::vector<double> motor_strength;  // per joint, robot joint order
  std::vector<double> joint_friction;  // N m, per joint, robot joint order
  double extra_latency = 0;            // s
  double ground_friction = 0.8;        // lateral friction coefficient
  double imu_rpy_noise = 0;            // rad
  bool pushes = false;
  uint64_t imu_seed = 0, push_seed = 0;  // streams for the IMU noise and the push schedule
};

// nominal_ground_friction: used when randomization is off.
EpisodeParams sample_episode(const Robot& robot, bool randomize, uint64_t seed, double nominal_ground_friction);

}  // namespace tinywalk::sim
