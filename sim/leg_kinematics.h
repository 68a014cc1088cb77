// Sagittal 2-link legs (hip pitch + knee pitch, parallel axes), derived from
// a Robot's URDF model: forward kinematics of the foot and analytic inverse
// kinematics. Works for any robot whose legs are such chains (Bittle's 8
// joints; the hip-pitch/knee pairs of other quadrupeds when the remaining
// joints are held at zero).
#pragma once

#include <Eigen/Geometry>
#include <memory>
#include <string>
#include <vector>

#include "sim/robot_config.h"

namespace tinywalk::sim {

struct LegChain {
  std::string name;            // e.g. "FR" (from the hip joint's name prefix)
  int hip = -1, knee = -1;     // robot joint-order indices
  // Everything else the implementation needs (hip position in the base frame,
  // link vectors, axis, foot point) is private to LegKinematics.
};

class LegKinematics {
 public:
  // legs: (hip joint name, knee joint name) pairs; the foot point is the
  // lowest point of the knee link's collision shapes at the robot's standing
  // pose (the centre of a foot sphere minus its radius along the leg).
  // Throws InputError naming the joint if a pair is not a 2-link chain with
  // parallel axes.
  LegKinematics(const Robot& robot, const std::vector<std::pair<std::string, std::string>>& legs);
  // Bittle-style default: every joint whose name ends in "_shoulder" (or
  // "_hip_pitch") paired with the "<prefix>_knee" joint.
  explicit LegKinematics(const Robot& robot);

  int num_legs() const { return static_cast<int>(legs_.size()); }
  const LegChain& leg(int i) const { return legs_[i]; }

  // Foot contact point in the base frame (m) for the leg's two joint angles (rad).
  Eigen::Vector3d foot(int leg, double hip, double knee) const;
  // Joint angles reaching `foot` (base frame, m) with the knee bent the way it
  // is at the standing pose. Returns false (angles untouched) if the point is
  // out of reach or off the leg's plane by more than 1e-6 m.
  bool inverse(int leg, const Eigen::Vector3d& foot, double* hip, double* knee) const;

 private:
  struct Chain;
  std::vector<LegChain> legs_;
  std::vector<std::shared_ptr<const Chain>> chains_;
};

}  // namespace tinywalk::sim
