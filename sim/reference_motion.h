// A reference motion: root pose and joint angles per frame, played at a fixed
// frame rate. Same content as the motion_imitation JSON format (see
// sim/motion_file.h): root position x, y, z (m, world), root orientation
// quaternion (x, y, z, w), then one angle per joint (rad, robot joint order).
#pragma once

#include <Eigen/Geometry>
#include <string>
#include <vector>

namespace tinywalk::sim {

struct MotionFrame {
  Eigen::Vector3d root_position = Eigen::Vector3d::Zero();            // m, world
  Eigen::Quaterniond root_orientation = Eigen::Quaterniond::Identity();  // world
  std::vector<double> q;                                              // rad, robot joint order
};

struct MotionVelocity {
  Eigen::Vector3d root_linear = Eigen::Vector3d::Zero();   // m/s, world
  Eigen::Vector3d root_angular = Eigen::Vector3d::Zero();  // rad/s, world
  std::vector<double> qd;                                  // rad/s
};

struct ReferenceMotion {
  enum class Loop { Wrap, Clamp };
  Loop loop = Loop::Wrap;
  double frame_duration = 1.0 / 60.0;    // s
  bool cycle_offset_position = false;    // Wrap: each cycle continues from where the last ended (x, y)
  bool cycle_offset_rotation = false;    // Wrap: each cycle continues the heading change
  std::vector<MotionFrame> frames;

  int num_joints() const { return frames.empty() ? 0 : static_cast<int>(frames[0].q.size()); }
  double duration() const;               // s, (frames - 1) * frame_duration
  // Frame at time t: linear interpolation of positions and joints, slerp of
  // orientation. Wrap loops (with the cycle offsets if enabled); Clamp holds
  // the last frame after the end.
  MotionFrame at(double t) const;
  // Velocities at t by central finite differences of at().
  MotionVelocity velocity(double t) const;
};

}  // namespace tinywalk::sim
