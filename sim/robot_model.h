// A robot description loaded from URDF: const, shared by every episode.
//
// Contract
// - The URDF must have one root link (the floating base). Joints may be
//   revolute, continuous or fixed; fixed joints are merged into their parent
//   (mass, CoM, inertia and collision shapes), so the result is a tree of
//   rigid bodies connected by 1-DoF revolute joints. Anything else (prismatic,
//   floating, planar joints; mesh geometry) is an InputError naming the file
//   and the element.
// - Frames: every pose here is a URDF link frame (not a CoM frame). Units SI:
//   m, kg, kg m^2, rad, N m, rad/s.
#pragma once

#include <Eigen/Geometry>
#include <string>
#include <vector>

namespace tinywalk::sim {

struct Shape {
  enum class Kind { Box, Cylinder, Sphere };
  Kind kind = Kind::Box;
  Eigen::Vector3d size = Eigen::Vector3d::Zero();  // Box: full extents x,y,z; Cylinder: (radius, length, 0) along z; Sphere: (radius, 0, 0)
  Eigen::Isometry3d pose = Eigen::Isometry3d::Identity();  // shape frame in the body frame
  std::string link;  // URDF link the shape came from (before merging)
};

struct Joint {
  std::string name;
  bool continuous = false;                                  // no position limits
  Eigen::Isometry3d origin = Eigen::Isometry3d::Identity();  // child body frame in parent body frame at q = 0
  Eigen::Vector3d axis = Eigen::Vector3d::UnitZ();          // unit axis in the child body frame
  double lower = 0, upper = 0;                              // rad (ignored if continuous)
  double effort = 0;                                        // N m, 0 = unspecified
  double velocity = 0;                                      // rad/s, 0 = unspecified
  double damping = 0, friction = 0;                         // from <dynamics>, N m s/rad and N m
};

struct Body {
  std::string name;                      // the URDF link heading this rigid body
  std::vector<std::string> merged_links; // links merged in through fixed joints (not including name)
  int parent = -1;                       // index into RobotModel::bodies, -1 for the base
  Joint joint;                           // joint to the parent (unused for the base)
  double mass = 0;                       // kg (sum over merged links)
  Eigen::Vector3d com = Eigen::Vector3d::Zero();      // centre of mass in the body frame, m
  Eigen::Matrix3d inertia = Eigen::Matrix3d::Zero();  // about the CoM, body-frame axes, kg m^2
  std::vector<Shape> shapes;             // collision shapes in the body frame
};

struct RobotModel {
  std::string name;          // URDF robot name
  std::string source;        // path it was loaded from
  std::vector<Body> bodies;  // bodies[0] is the floating base; parents precede children
  // Movable joints in depth-first URDF order: joint j moves bodies[joint_body[j]].
  std::vector<int> joint_body;

  int num_joints() const { return static_cast<int>(joint_body.size()); }
  const Joint& joint(int j) const { return bodies[joint_body[j]].joint; }
  double total_mass() const;
  int find_body(const std::string& link) const;   // body holding that URDF link (merged or not), -1 if none
  int find_joint(const std::string& name) const;  // movable-joint index, -1 if none
};

// Parses and validates a URDF file. Throws InputError (file, element, what was
// expected) on: missing/unreadable file, XML/URDF parse error, no single root,
// unsupported joint type, mesh geometry, a movable link with mass <= 0 or a
// non-positive-definite inertia, NaN anywhere, lower > upper.
RobotModel load_urdf(const std::string& path);

// Same from a string (source names it in messages).
RobotModel parse_urdf(const std::string& xml, const std::string& source);

}  // namespace tinywalk::sim
