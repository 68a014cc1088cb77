// The robot description beyond URDF (configs/robots/<robot>.yaml): servo and
// IMU models, joint order, standing pose, firmware index map, randomization
// ranges, fall rules. Every field has its default here and its unit in the doc
// string; `tinywalk robot --dump-defaults` prints them as YAML.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/yaml_config.h"
#include "sim/robot_model.h"

namespace tinywalk::sim {

constexpr double kDegToRad = 0.017453292519943295;

// Hobby position servo (Petoi P1S by default), see sim/servo.h for the model.
struct ServoParams {
  double kp = 2.75;                 // N m/rad
  double kd = 0.025;                // N m s/rad
  double stall_torque = 0.29;       // N m, torque limit at zero speed
  double no_load_speed = 10.47;     // rad/s, speed at which available torque reaches 0
  double resolution = kDegToRad;    // rad, command quantization step (0 = none)
  double dead_band = 0.5 * kDegToRad;  // rad, position errors below this produce no P torque
  double latency = 0.002;           // s, from command to the servo acting on it
  bool blocking_moves = false;      // OpenCat: a new command waits for the current interpolated move
  double move_speed = 6.0;          // rad/s, setpoint speed of an interpolated move (blocking_moves)
  double min_move_time = 0.01;      // s, shortest interpolated move (blocking_moves)

  template <class V>
  void visit(V& v) {
    v.field("kp", kp, "N m/rad; proportional gain of the servo's PD loop", config::positive());
    v.field("kd", kd, "N m s/rad; derivative gain", config::non_negative());
    v.field("stall_torque", stall_torque, "N m; torque limit at zero speed (motor_strength scales it)", config::positive());
    v.field("no_load_speed", no_load_speed, "rad/s; speed at which the available torque falls to 0 (linear torque-speed curve)", config::positive());
    v.field("resolution", resolution, "rad; commands are rounded to this step (0 = continuous)", config::non_negative());
    v.field("dead_band", dead_band, "rad; position errors smaller than this give no proportional torque", config::non_negative());
    v.field("latency", latency, "s; delay from a command to the servo acting on it", config::non_negative());
    v.field("blocking_moves", blocking_moves, "OpenCat behaviour: a command waits until the current interpolated move ends");
    v.field("move_speed", move_speed, "rad/s; setpoint speed of an interpolated move when blocking_moves is on", config::positive());
    v.field("min_move_time", min_move_time, "s; shortest interpolated move when blocking_moves is on", config::non_negative());
  }
};

// MPU6050-like IMU on the torso, see sim/imu.h.
struct ImuParams {
  std::string link = "base_link";     // URDF link carrying the IMU
  std::vector<double> mount_rpy = {0, 0, 0};  // rad, sensor frame relative to that link (roll, pitch, yaw)
  double rpy_noise = 0.0;             // rad, white noise sigma on roll/pitch/yaw
  double gyro_noise = 0.0;            // rad/s, white noise sigma on body rates
  double accel_noise = 0.0;           // m/s^2, white noise sigma on acceleration
  double rpy_bias = 0.0;              // rad, sigma of a per-episode constant bias on roll/pitch
  double gyro_bias = 0.0;             // rad/s, sigma of a per-episode constant gyro bias
  double latency = 0.0;               // s, age of the reading the robot gets
  bool yaw_relative = true;           // yaw relative to the heading at reset (as the DMP reports after power-on)

  template <class V>
  void visit(V& v) {
    v.field("link", link, "URDF link the IMU is fixed to");
    v.field("mount_rpy", mount_rpy, "rad; sensor frame relative to that link as roll, pitch, yaw (the paper's robot: [0, 3.14159, 0])", config::any(), 3);
    v.field("rpy_noise", rpy_noise, "rad; white-noise sigma on roll, pitch, yaw", config::non_negative());
    v.field("gyro_noise", gyro_noise, "rad/s; white-noise sigma on body rates", config::non_negative());
    v.field("accel_noise", accel_noise, "m/s^2; white-noise sigma on acceleration", config::non_negative());
    v.field("rpy_bias", rpy_bias, "rad; sigma of a constant per-episode bias on roll and pitch", config::non_negative());
    v.field("gyro_bias", gyro_bias, "rad/s; sigma of a constant per-episode bias on each body rate", config::non_negative());
    v.field("latency", latency, "s; age of the reading the robot receives", config::non_negative());
    v.field("yaw_relative", yaw_relative, "report yaw relative to the heading at reset, as the MPU6050 DMP does");
  }
};

// Per-episode domain randomization, sampled from the episode seed. Defaults:
// the ranges of the sim-to-real paper (see docs/robot-model.md).
struct RandomizationParams {
  config::Interval mass_scale{0.8, 1.2};         // x, per body
  config::Interval inertia_scale{0.5, 1.5};      // x, per body
  config::Interval motor_strength{0.8, 1.2};     // x, per joint (scales kp, kd and torque limit)
  config::Interval joint_friction{0.0, 0.05};    // N m, Coulomb friction per joint
  config::Interval latency{0.0, 0.1};            // s, added to the servo command latency
  config::Interval ground_friction{0.05, 0.75};  // lateral friction coefficient of the ground
  config::Interval imu_noise{0.1, 0.1};          // rad, roll/pitch/yaw noise sigma (replaces imu.rpy_noise)
  bool pushes = true;                            // random horizontal pushes on the torso
  config::Interval push_interval{2.0, 5.0};      // s between pushes
  config::Interval push_velocity{0.0, 0.15};     // m/s, velocity change of the whole robot per push
  double push_duration = 0.05;                   // s, how long each push force acts

  template <class V>
  void visit(V& v) {
    v.field("mass_scale", mass_scale, "x; per-body mass multiplier range", config::positive());
    v.field("inertia_scale", inertia_scale, "x; per-body inertia multiplier range", config::positive());
    v.field("motor_strength", motor_strength, "x; per-joint servo strength (kp, kd, torque) range", config::positive());
    v.field("joint_friction", joint_friction, "N m; per-joint Coulomb friction range", config::non_negative());
    v.field("latency", latency, "s; extra servo command latency range", config::non_negative());
    v.field("ground_friction", ground_friction, "ground lateral friction coefficient range", config::non_negative());
    v.field("imu_noise", imu_noise, "rad; IMU roll/pitch/yaw noise sigma range", config::non_negative());
    v.field("pushes", pushes, "apply random horizontal pushes to the torso");
    v.field("push_interval", push_interval, "s; time between pushes", config::positive());
    v.field("push_velocity", push_velocity, "m/s; velocity change a push gives the whole robot", config::non_negative());
    v.field("push_duration", push_duration, "s; how long each push force acts", config::positive());
  }
};

// When an episode counts as a fall.
struct FallParams {
  std::vector<std::string> contact_links;  // URDF links whose ground contact is a fall
  double max_tilt = 60 * kDegToRad;        // rad, |roll| or |pitch| beyond this is a fall

  template <class V>
  void visit(V& v) {
    v.field("contact_links", contact_links, "URDF links whose contact with the ground is a fall (torso, knee tops)");
    v.field("max_tilt", max_tilt, "rad; |roll| or |pitch| of the torso beyond this is a fall", config::between(0, 3.1416));
  }
};

struct RobotConfig {
  std::string name = "robot";
  std::string urdf;                         // path, relative to the YAML file's directory
  std::vector<std::string> joints;          // actuated URDF joints in the robot's joint order
  std::vector<double> standing_pose;        // rad, per joint in joint order
  std::vector<int> firmware_index;          // OpenCat joint index per joint (empty if not an OpenCat robot)
  std::vector<int> firmware_direction;      // +1/-1 per joint: sign from sim radians to firmware degrees
  std::vector<double> firmware_calibration; // deg per joint, added after the direction (empty: none)
  ServoParams servo;
  ImuParams imu;
  RandomizationParams randomization;
  FallParams fall;

  template <class V>
  void visit(V& v) {
    v.field("name", name, "robot name");
    v.field("urdf", urdf, "URDF file, relative to this YAML file");
    v.field("joints", joints, "actuated URDF joint names in the robot's joint order (policy actions use this order)");
    v.field("standing_pose", standing_pose, "rad; standing joint angles in joint order", config::between(-6.3, 6.3));
    v.field("firmware_index", firmware_index, "OpenCat joint index of each joint (Bittle legs: 8-15)", config::between(0, 15));
    v.field("firmware_direction", firmware_direction, "+1/-1 per joint: sign from these joint angles to firmware degrees", config::between(-1, 1));
    v.field("firmware_calibration", firmware_calibration,
            "deg per joint: servo calibration offset the firmware adds after the direction (empty: none; OpenCat keeps its own)",
            config::between(-45, 45));
    v.section("servo", servo, "servo model");
    v.section("imu", imu, "IMU model");
    v.section("randomization", randomization, "domain randomization ranges, sampled per episode");
    v.section("fall", fall, "fall detection");
  }
};

// A robot ready to simulate: its config, its URDF model, and the mapping
// from the config's joint order to the URDF model's joint indices.
struct Robot {
  RobotConfig config;
  RobotModel model;
  std::string config_path;
  std::vector<int> joint_to_model;  // config joint i -> RobotModel joint index
  int imu_body = 0;                 // body index carrying the IMU
  Eigen::Isometry3d imu_in_body = Eigen::Isometry3d::Identity();  // IMU frame in that body's frame
  std::vector<int> fall_bodies;     // body indices whose ground contact is a fall

  int num_joints() const { return static_cast<int>(joint_to_model.size()); }
};

// Loads the YAML and its URDF and cross-checks them. InputError names the
// file and key: unknown joint or link names, list sizes that disagree with
// `joints`, standing pose outside joint limits, a URDF joint that is movable
// but not listed.
Robot load_robot(const std::string& yaml_path);

// The built-in default robot's YAML (the Petoi Bittle shipped in configs/).
std::string default_robot_path();

}  // namespace tinywalk::sim
