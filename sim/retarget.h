// Retargeting: root and foot trajectories (e.g. from motion capture, already
// scaled to the robot) to joint angles by per-leg inverse kinematics.
//
// Input CSV (comma separated, one header line, one row per frame):
//   t,root_x,root_y,root_z,root_qx,root_qy,root_qz,root_qw,FR_foot_x,FR_foot_y,FR_foot_z,FL_foot_x,...
// - t: s, strictly increasing at a constant step (each t within 0.1% of a
//   step of t_0 + i * step, step = (t_last - t_0) / (rows - 1)); >= 2 rows.
// - root_*: pose of the robot's base-link frame in the world: position (m)
//   and orientation quaternion (x, y, z, w; normalised, norm >= 1e-6).
// - <leg>_foot_x/y/z: foot contact point in the world (m), one triple per
//   leg of the LegKinematics, named by LegChain::name (Bittle: FR, FL, RR, RL).
// Columns may come in any order; every one above must be present exactly
// once and no other column is allowed. Blank lines and lines starting with '#'
// are ignored; CRLF line ends are accepted.
#pragma once

#include <string>

#include "sim/leg_kinematics.h"
#include "sim/reference_motion.h"
#include "sim/robot_config.h"

namespace tinywalk::sim {

struct RetargetOptions {
  ReferenceMotion::Loop loop = ReferenceMotion::Loop::Wrap;  // loop mode of the result
  // Foot targets off a leg's plane (its 2-link chain only reaches points in
  // one plane) are errors by default. true: drop the off-plane component
  // (closest point in the plane), as a 2-DoF leg must when real data has a
  // lateral foot motion.
  bool project_to_leg_plane = false;
};

// Reads the CSV and returns one MotionFrame per row: frame_duration = the
// step, the root pose as given, q (rad, robot joint order, robot.num_joints()
// long) with each leg's hip and knee from LegKinematics::inverse of the foot
// in the base frame (R^T (foot - root)); joints in no leg are 0.
// InputError naming csv_path, "line L" and the column (name and 1-based
// number) for: a missing / unknown / duplicate header column, a row with the
// wrong number of fields, a field that is not a finite number, a
// non-increasing or unevenly stepped t, fewer than 2 rows, a degenerate
// quaternion; and naming the line, the leg and the target (world and base
// frame) when a foot is out of reach or off the leg's plane.
ReferenceMotion retarget_csv(const std::string& csv_path, const Robot& robot, const LegKinematics& legs,
                             const RetargetOptions& options = {});

}  // namespace tinywalk::sim
