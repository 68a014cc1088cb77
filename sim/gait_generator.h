// Periodic quadruped gaits (walk, trot, pace, bound) as reference motions:
// foot paths in the body frame turned into joint angles by LegKinematics.
//
// Contract
// - Cycle: T = 1 / step_frequency. Stride length is the distance the body
//   travels per cycle, so the forward speed is stride_length *
//   step_frequency, and a stance foot, sliding back at that speed for
//   duty_factor * T, covers stride_length * duty_factor ("step").
// - Leg phase phi in [0, 1): 0 = touchdown. Stance for phi < duty_factor:
//   x = step (1/2 - phi / duty), z = 0. Swing for the rest, u = (phi - duty) /
//   (1 - duty) in [0, 1): x = -step/2 + step s(u) + m (u - s(u)) with s the
//   quintic smoothstep 10u^3 - 15u^4 + 6u^5 and m = -stride (1 - duty) the
//   stance velocity in units of u, so x is continuous in position, velocity
//   and acceleration at liftoff and touchdown (it overshoots +-step/2 a
//   little, by ~10% of the step at duty 0.5); z = clearance 64 u^3 (1 - u)^3
//   (peak = foot_clearance at mid-swing, zero velocity at both ends).
// - Leg phase at time t: frac(t * step_frequency - offset), offset by gait
//   type (fractions of a cycle; touchdown order in brackets):
//     trot  FR 0,  FL 1/2, RR 1/2, RL 0      (diagonal pairs in phase)
//     pace  FR 0,  FL 1/2, RR 0,   RL 1/2    (lateral pairs in phase)
//     bound FR 0,  FL 0,   RR 1/2, RL 1/2    (front pair vs rear pair)
//     walk  FR 0,  FL 1/2, RR 3/4, RL 1/4    (4-beat lateral sequence
//                                             RL, FL, RR, FR)
//   Front/rear and left/right come from the legs' standing foot positions
//   (x, y in the base frame relative to their mean), not from joint names;
//   exactly one leg per quadrant is required.
// - Body frame targets: each foot moves relative to its standing foot
//   position (robot's standing pose) in x; y stays; z is set by the body
//   height: the hip joints (mean height in the base frame) are body_height
//   above the ground, so root z = body_height - mean hip z (Bittle: root z =
//   body_height) and a stance foot point is at world z = 0 with a level base.
#pragma once

#include <Eigen/Geometry>
#include <string>
#include <vector>

#include "common/yaml_config.h"
#include "sim/leg_kinematics.h"
#include "sim/reference_motion.h"
#include "sim/robot_config.h"

namespace tinywalk::sim {

// Defaults: Bittle's trot, matching configs/gaits/gen/make_trot_table.py's
// motion (its STRIDE is the stance foot travel: 30 mm in 0.2 s = 0.15 m/s,
// which is stride_length 0.06 m at 2.5 Hz here).
struct GaitParams {
  std::string gait = "trot";     // walk, trot, pace or bound
  double stride_length = 0.06;   // m, body travel per cycle
  double body_height = 0.075;    // m, hip (shoulder) joints above the ground
  double step_frequency = 2.5;   // Hz, gait cycles per second
  double duty_factor = 0.5;      // fraction of a cycle each foot is on the ground
  double foot_clearance = 0.02;  // m, peak foot lift during swing
  double frame_rate = 100;       // Hz of the produced motion (rounded to whole frames per cycle)
  std::string source;            // not in YAML: the file it came from ("" if built in code), for messages

  template <class V>
  void visit(V& v) {
    v.field("gait", gait, "gait type: walk, trot, pace or bound");
    v.field("stride_length", stride_length, "m; distance the body travels per gait cycle (speed = stride_length * step_frequency)",
            config::non_negative());
    v.field("body_height", body_height, "m; height of the hip (shoulder) joints above the ground", config::positive());
    v.field("step_frequency", step_frequency, "Hz; gait cycles per second", config::positive());
    v.field("duty_factor", duty_factor, "fraction of a cycle each foot is on the ground, in (0, 1)", config::Limits{0, 1, true, true});
    v.field("foot_clearance", foot_clearance, "m; peak foot lift during swing", config::non_negative());
    v.field("frame_rate", frame_rate, "Hz; frames per second of the generated motion (rounded to a whole number of frames per cycle)",
            config::positive());
  }

  double speed() const { return stride_length * step_frequency; }  // m/s
  int frames_per_cycle() const;                                    // round(frame_rate / step_frequency)
};

// Cross-field checks (gait type known, duty in (0, 1), at least 4 frames per
// cycle, finite positive numbers); InputError names `file` and the key.
void validate_gait_params(const GaitParams& p, const std::string& file);

// Reads a gait file strictly (config::Reader) and validates it.
GaitParams load_gait_params(const std::string& path);

// Touchdown phase offset (fraction of a cycle) of a leg for the gait type
// (table above). InputError for an unknown gait type.
double gait_phase_offset(const std::string& gait, bool front, bool left);

// Leg phase in [0, 1) at time t for a leg with that offset.
double leg_phase(const GaitParams& p, double offset, double t);

// Foot displacement (x forward, y = 0, z up; m, body frame) from the leg's
// stance point at the given leg phase (see Contract).
Eigen::Vector3d foot_target(const GaitParams& p, double phase);

// Where each leg stands and when it steps, for a robot and gait: standing
// foot points (base frame, m; their z is replaced by -root_z in the gait),
// touchdown phase offsets per leg (LegKinematics order), and the base-link
// height (m) that puts the hips at body_height. InputError as generate_gait.
struct GaitLayout {
  std::vector<Eigen::Vector3d> stand_foot;
  std::vector<double> offset;
  double root_z = 0;
};
GaitLayout gait_layout(const Robot& robot, const LegKinematics& legs, const GaitParams& p);

// One gait cycle as a reference motion: frames_per_cycle() + 1 frames (the
// last repeats the first's joints one stride further on), frame_duration =
// 1 / (frames_per_cycle * step_frequency), loop Wrap with
// cycle_offset_position; root moving along +x at speed() from (0, 0, root z),
// level; joints in robot order, joints in no leg at the standing pose.
// Requires exactly 4 legs, one per quadrant, and every joint between the
// base and a hip at 0 in the standing pose (LegKinematics holds those at 0;
// InputError otherwise). A foot target the leg cannot
// reach, or reaches only outside its joint limits, is an InputError naming
// p.source, the frame index and time, the leg and the target, with
// 'unreachable' in the message; never clamped.
ReferenceMotion generate_gait(const Robot& robot, const LegKinematics& legs, const GaitParams& p);

}  // namespace tinywalk::sim
