// Domain randomization: everything about one episode that is drawn from its
// seed. With randomization off, the nominal values (all scales 1, no
// friction, no extra latency, no pushes).
//
// Conditions: fixed test conditions layered on top (scenarios, `tinywalk
// check`). Their defaults change nothing: the same seed gives the same
// episode, bit for bit, as without them.
#pragma once

#include <cstdint>
#include <vector>

#include "common/yaml_config.h"
#include "sim/robot_config.h"

namespace tinywalk::sim {

// Fixed episode conditions (the `conditions` section of SimConfig). Applied
// after randomization is sampled, drawing no random numbers, so the rest of a
// randomized episode stays as its seed says. Defaults: no effect.
struct Conditions {
  double ground_friction = -1;                // lateral friction coefficient; < 0: keep the nominal or randomized one
  double extra_latency = 0;                   // s, added to the servo command latency (after randomization)
  bool pushes = false;                        // random horizontal pushes on, even without randomization
  config::Interval push_interval{0, 0};       // s between pushes; [0, 0]: the robot's randomization.push_interval
  config::Interval push_velocity{0, 0};       // m/s per push; [0, 0]: the robot's randomization.push_velocity
  double payload_mass = 0;                    // kg, a point mass rigidly fixed to the base link (0 = none)
  std::vector<double> payload_offset = {0, 0, 0};  // m, where, in the base-link frame
  double slope_deg = 0;                       // deg, ground tilted about the robot's lateral (y) axis: + walks uphill along +x
  double imu_noise = -1;                      // rad, roll/pitch/yaw noise sigma; < 0: keep the nominal or randomized one

  template <class V>
  void visit(V& v) {
    v.field("ground_friction", ground_friction, "ground lateral friction coefficient, overriding the nominal or randomized one (< 0: no override)", config::any());
    v.field("extra_latency", extra_latency, "s; added to the servo command latency, on top of any randomized latency", config::between(0, 1));
    v.field("pushes", pushes, "apply random horizontal pushes to the torso even when randomization is off");
    v.field("push_interval", push_interval, "s; time between pushes ([0, 0]: the robot's randomization.push_interval)", config::non_negative());
    v.field("push_velocity", push_velocity, "m/s; velocity change per push ([0, 0]: the robot's randomization.push_velocity)", config::non_negative());
    v.field("payload_mass", payload_mass, "kg; extra point mass rigidly fixed to the base link", config::between(0, 100));
    v.field("payload_offset", payload_offset, "m; where the payload sits in the base-link frame (x, y, z)", config::between(-1, 1), 3);
    v.field("slope_deg", slope_deg, "deg; ground plane tilted about the robot's lateral axis (+: uphill along +x)", config::between(-30, 30));
    v.field("imu_noise", imu_noise, "rad; IMU roll/pitch/yaw noise sigma, overriding the nominal or randomized one (< 0: no override)", config::any());
  }
  bool operator==(const Conditions& o) const;
  // Cross-field checks; InputError names `file` and the key (with `prefix`, e.g. "sim.conditions.").
  void validate(const std::string& file, const std::string& prefix = "conditions.") const;
};

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
  config::Interval push_interval, push_velocity;  // s between pushes, m/s per push (when pushes)
  uint64_t imu_seed = 0, push_seed = 0;  // streams for the IMU noise and the push schedule
};

// nominal_ground_friction: used when randomization is off.
EpisodeParams sample_episode(const Robot& robot, bool randomize, uint64_t seed, double nominal_ground_friction);
// Same, then the fixed conditions applied on top.
EpisodeParams sample_episode(const Robot& robot, bool randomize, uint64_t seed, double nominal_ground_friction,
                             const Conditions& conditions);

}  // namespace tinywalk::sim
