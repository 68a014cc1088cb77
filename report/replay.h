// A recorded episode as one self-contained HTML page that animates the robot
// in 3D in any browser, offline: a <canvas>, a small perspective renderer
// written for this page (orbit by mouse drag, zoom by wheel), a ground grid
// that follows the robot, the torso as shaded boxes, every leg as line
// segments posed by forward kinematics in the page's script, the base path
// as a trail, play/pause, time slider, speed selector and an info line.
// No third-party code, no network access.
//
// Test hooks: after drawing, the page sets on <body>
//   data-frames-drawn   animation frames rendered so far;
//   data-robot-pixels   pixels the robot changed inside its projected
//                       bounding box in the last measured frame (read back
//                       with getImageData before and after drawing the robot);
//   data-robot-box      "x0,y0,x1,y1" of that box, px.
#pragma once

#include <Eigen/Geometry>
#include <string>
#include <vector>

#include "dataset/dataset.h"
#include "sim/robot_config.h"

namespace tinywalk::report {

// One rigid body of the robot's kinematic tree (sim::RobotModel order:
// bodies[0] is the floating base, parents precede children).
struct ReplayBody {
  std::string name;
  int parent = -1;  // index into ReplayGeometry::bodies, -1 for the base
  int joint = -1;   // robot joint-order index that moves this body; -1: none (base, or held at 0)
  Eigen::Vector3d origin_position = Eigen::Vector3d::Zero();        // m, joint frame in the parent's frame at q = 0
  Eigen::Quaterniond origin_rotation = Eigen::Quaterniond::Identity();
  Eigen::Vector3d axis = Eigen::Vector3d::UnitZ();                  // unit joint axis in this body's frame
  bool has_tip = false;                                             // leaf bodies: a segment from the origin to the tip
  Eigen::Vector3d tip = Eigen::Vector3d::Zero();                    // m, this body's frame: its farthest collision point (a foot)
  int side = 0;                                                     // +1 left (y > 0 in the base frame at q = 0), -1 right, 0 centre
};

// A box drawn shaded (the base's collision shapes; other shapes of the base
// are drawn as their bounding boxes).
struct ReplayBox {
  int body = 0;
  Eigen::Vector3d center = Eigen::Vector3d::Zero();  // m, body frame
  Eigen::Quaterniond rotation = Eigen::Quaterniond::Identity();
  Eigen::Vector3d size = Eigen::Vector3d::Zero();    // m, full extents
};

struct ReplayGeometry {
  std::vector<ReplayBody> bodies;
  std::vector<ReplayBox> boxes;
  std::vector<std::string> joint_names;  // robot joint order
};

// Geometry of a robot as the simulator loads it (URDF model + joint order).
ReplayGeometry replay_geometry(const sim::Robot& robot);

// Forward kinematics of the geometry, the C++ twin of the page's script:
// per body, its frame origin in the base frame, and its tip (origin if none).
// q: rad, robot joint order (size = joint_names.size()).
void replay_forward(const ReplayGeometry& g, const std::vector<double>& q, std::vector<Eigen::Vector3d>* origins,
                    std::vector<Eigen::Vector3d>* tips);

struct ReplayInput {
  std::string title;                      // shown in the page
  ReplayGeometry geometry;
  double control_dt = 0.033;              // s between frames
  std::vector<double> base_position;      // m, world, [frames x 3]
  std::vector<double> base_orientation;   // quaternion x, y, z, w, world, [frames x 4]
  std::vector<double> q;                  // rad, robot joint order, [frames x joints]
  int frames() const { return static_cast<int>(base_position.size() / 3); }
};

// The control period recorded in a dataset's config (sim.control_dt), or
// `fallback` if the config does not say.
double dataset_control_dt(const data::DatasetInfo& info, double fallback = 0.033);

// From one dataset episode: privileged/base_position [3], privileged/base_orientation
// [4] (x, y, z, w) and privileged/q [joints]. InputError (naming `source` and the
// signal) if one is missing, has the wrong width, or the episode is empty.
ReplayInput replay_input(const data::EpisodeData& episode, const sim::Robot& robot, double control_dt, const std::string& title,
                         const std::string& source = "episode");

// The page (UTF-8). Same input -> same bytes. TW_CHECKs that the arrays agree.
std::string replay_html(const ReplayInput& in);

}  // namespace tinywalk::report
