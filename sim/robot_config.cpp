#include "sim/robot_config.h"

#include <cmath>

#include "common/error.h"

#ifndef TINYWALK_CONFIG_DIR
#define TINYWALK_CONFIG_DIR "configs"
#endif

namespace tinywalk::sim {

namespace {
std::string dir_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}
std::string join(const std::string& dir, const std::string& rel) {
  if (!rel.empty() && rel[0] == '/') return rel;
  return dir + "/" + rel;
}
void require_size(const std::string& file, const char* key, size_t got, size_t want, bool allow_empty) {
  if ((allow_empty && got == 0) || got == want) return;
  throw InputError(file, key, "expected " + std::to_string(want) + " entries (one per joint in 'joints'), got " + std::to_string(got));
}
}  // namespace

std::string default_robot_path() { return std::string(TINYWALK_CONFIG_DIR) + "/robots/bittle.yaml"; }

Robot load_robot(const std::string& yaml_path) {
  Robot robot;
  robot.config_path = yaml_path;
  robot.config = config::read_file<RobotConfig>(yaml_path);
  const RobotConfig& c = robot.config;
  const std::string& f = yaml_path;
  if (c.urdf.empty()) throw InputError(f, "urdf", "missing: expected the path of the robot's URDF file");
  robot.model = load_urdf(join(dir_of(yaml_path), c.urdf));
  const RobotModel& m = robot.model;

  // Joint order: every movable URDF joint listed exactly once.
  if (c.joints.empty()) throw InputError(f, "joints", "missing: expected the list of actuated joint names");
  std::vector<int> used(m.num_joints(), 0);
  for (size_t i = 0; i < c.joints.size(); ++i) {
    int j = m.find_joint(c.joints[i]);
    if (j < 0) throw InputError(f, "joints[" + std::to_string(i) + "]", "no movable joint '" + c.joints[i] + "' in " + m.source);
    if (used[j]++) throw InputError(f, "joints[" + std::to_string(i) + "]", "joint '" + c.joints[i] + "' is listed twice");
    robot.joint_to_model.push_back(j);
  }
  for (int j = 0; j < m.num_joints(); ++j)
    if (!used[j]) throw InputError(f, "joints", "movable URDF joint '" + m.joint(j).name + "' is not listed (every movable joint needs a servo)");
  const size_t n = c.joints.size();
  require_size(f, "standing_pose", c.standing_pose.size(), n, false);
  require_size(f, "firmware_index", c.firmware_index.size(), n, true);
  require_size(f, "firmware_direction", c.firmware_direction.size(), n, true);
  require_size(f, "firmware_calibration", c.firmware_calibration.size(), n, true);
  for (size_t i = 0; i < c.firmware_direction.size(); ++i)
    if (c.firmware_direction[i] != 1 && c.firmware_direction[i] != -1)
      throw InputError(f, "firmware_direction[" + std::to_string(i) + "]", "expected +1 or -1");
  for (size_t i = 0; i < n; ++i) {
    const Joint& jt = m.joint(robot.joint_to_model[i]);
    if (!jt.continuous && (c.standing_pose[i] < jt.lower || c.standing_pose[i] > jt.upper))
      throw InputError(f, "standing_pose[" + std::to_string(i) + "]",
                       "angle " + std::to_string(c.standing_pose[i]) + " rad is outside the limits of joint '" + jt.name + "' [" +
                           std::to_string(jt.lower) + ", " + std::to_string(jt.upper) + "]");
  }

  // The IMU sits on a body's own frame (merged links have no frame of their own here).
  robot.imu_body = m.find_body(c.imu.link);
  if (robot.imu_body < 0) throw InputError(f, "imu.link", "no link '" + c.imu.link + "' in " + m.source);
  if (m.bodies[robot.imu_body].name != c.imu.link)
    throw InputError(f, "imu.link", "link '" + c.imu.link + "' is merged into '" + m.bodies[robot.imu_body].name +
                                        "' by a fixed joint; name that link and give the sensor's rotation in imu.mount_rpy");

  for (size_t i = 0; i < c.fall.contact_links.size(); ++i) {
    int b = m.find_body(c.fall.contact_links[i]);
    if (b < 0) throw InputError(f, "fall.contact_links[" + std::to_string(i) + "]", "no link '" + c.fall.contact_links[i] + "' in " + m.source);
    robot.fall_bodies.push_back(b);
  }
  return robot;
}

}  // namespace tinywalk::sim
