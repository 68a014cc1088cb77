// The privileged expert: a foot-space controller that walks a generated gait
// with full access to the simulator's state (base pose and velocity, time),
// acting through the same servo model as everything else.
//
// Every control step, per leg: the gait's foot displacement at the leg's phase
// (sim/gait_generator.h), with the stride scaled for heading and speed
// feedback, a Raibert-style foot-placement offset for velocity errors, a leg
// length correction that levels the torso, all expressed in a level, heading-
// aligned frame and rotated into the tilted body frame; then the analytic IK.
// A foot target out of reach is pulled towards the standing foot until it is
// reachable (a controller saturates; it does not throw).
#pragma once

#include <Eigen/Geometry>
#include <string>
#include <vector>

#include "common/yaml_config.h"
#include "sim/gait_generator.h"
#include "sim/imitation_reward.h"
#include "sim/leg_kinematics.h"
#include "sim/simulation.h"

namespace tinywalk::sim {

struct ExpertParams {
  double heading_gain = 1.5;        // stride differential (fraction) per rad of heading error
  double lateral_gain = 2.0;        // rad of heading target per m of sideways drift
  double speed_gain = 1.0;          // stride scale change per m/s of speed error (on the filtered speed)
  double max_stride_scale = 1.6;    // bound on any stride scale
  double raibert_gain = 0.03;       // s; swing-foot placement offset per m/s of forward velocity error
  double roll_gain = 0.05;          // m of leg length per rad of roll
  double pitch_gain = 0.05;         // m of leg length per rad of pitch
  double tilt_compensation = 0.0;   // 0..1: express foot targets in the level frame (1) or the body frame (0)
  double velocity_filter = 0.2;     // s, time constant of the forward-speed filter
  double attitude_filter = 0.4;     // s, time constant of the roll/pitch low-pass the levelling acts on

  template <class V>
  void visit(V& v) {
    const auto nn = config::non_negative();
    v.field("heading_gain", heading_gain, "stride differential (fraction) per rad of heading error", nn);
    v.field("lateral_gain", lateral_gain, "rad of heading target per m of sideways drift", nn);
    v.field("speed_gain", speed_gain, "stride scale change per m/s of forward speed error", nn);
    v.field("max_stride_scale", max_stride_scale, "upper bound of any stride scale (lower bound: its inverse)", config::Limits{1, 10, false, false});
    v.field("raibert_gain", raibert_gain, "s; swing-foot placement offset per m/s of forward velocity error", nn);
    v.field("roll_gain", roll_gain, "m of leg length per rad of torso roll", nn);
    v.field("pitch_gain", pitch_gain, "m of leg length per rad of torso pitch", nn);
    v.field("tilt_compensation", tilt_compensation, "0..1; foot targets in the level frame (1) or the body frame (0)", config::between(0, 1));
    v.field("velocity_filter", velocity_filter, "s; time constant of the forward-speed filter", config::positive());
    v.field("attitude_filter", attitude_filter, "s; the levelling acts on roll/pitch low-passed with this time constant (slow tilts, not the gait's own sway)", config::positive());
  }
};

class Expert {
 public:
  Expert(const Robot& robot, const LegKinematics& legs, const GaitParams& gait, const ExpertParams& params);

  // Starts an episode: the heading and position at reset define the track.
  void reset(const Simulation& sim);
  // Joint targets (rad, robot joint order) for the simulator's current state.
  std::vector<double> act(const Simulation& sim);

  // Gait phase in [0, 1) at the last act() (the gait clock).
  double phase() const { return phase_; }
  const GaitParams& gait() const { return gait_; }
  const ReferenceMotion& reference() const { return reference_; }
  // The reference the robot should be at, time t after reset, in the world
  // (the generated gait placed on the start pose and heading).
  PoseSample reference_sample(double t) const;
  // The robot's own sample for the imitation reward (true state, feet by FK).
  PoseSample robot_sample(const Simulation& sim) const;

 private:
  const Robot& robot_;
  const LegKinematics& legs_;
  GaitParams gait_;
  ExpertParams params_;
  GaitLayout layout_;
  ReferenceMotion reference_;
  std::vector<Eigen::Vector3d> plane_normal_;  // per leg: normal of the plane its foot moves in (base frame)
  // episode state
  Eigen::Vector3d start_ = Eigen::Vector3d::Zero();
  double yaw0_ = 0, phase_ = 0, last_t_ = 0, speed_ = 0, roll_ = 0, pitch_ = 0;
  std::vector<double> q_;
};

}  // namespace tinywalk::sim
