// The Bullet world with one robot on flat ground: physics, servos, IMU,
// randomization, pushes, fall and numerical-failure detection. Fixed test
// conditions (SimConfig::conditions: friction, latency, pushes, payload, a
// slope, IMU noise) default to no effect.
//
// Const model, mutable data: a Simulation holds the world of one episode;
// the Robot (config + URDF model) it refers to is shared and never changed.
// reset() starts an episode from a seed (same seed, same bytes);
// step() advances one control period with a joint command.
#pragma once

#include <Eigen/Geometry>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/random.h"
#include "common/yaml_config.h"
#include "sim/imu.h"
#include "sim/randomization.h"
#include "sim/robot_config.h"
#include "sim/servo.h"

class btMultiBodyDynamicsWorld;

namespace tinywalk::sim {

struct SimConfig {
  double physics_dt = 0.001;     // s
  double control_dt = 0.033;     // s, a whole multiple of physics_dt
  int solver_iterations = 10;    // constraint solver iterations per physics step
  double gravity = 9.81;         // m/s^2, downwards
  double ground_friction = 0.8;  // lateral friction coefficient when not randomized
  bool randomize = false;        // sample the robot's randomization ranges per episode
  double max_base_speed = 20;    // m/s, faster means the state exploded
  double max_joint_speed = 200;  // rad/s, faster means the state exploded
  Conditions conditions;         // fixed test conditions on top of randomization (defaults: none)

  template <class V>
  void visit(V& v) {
    v.field("physics_dt", physics_dt, "s; physics step", config::between(1e-5, 0.05));
    v.field("control_dt", control_dt, "s; control period, a whole multiple of physics_dt", config::between(1e-5, 1.0));
    v.field("solver_iterations", solver_iterations, "constraint solver iterations per physics step", config::between(1, 1000));
    v.field("gravity", gravity, "m/s^2; gravity, downwards", config::non_negative());
    v.field("ground_friction", ground_friction, "ground lateral friction coefficient (when not randomized)", config::non_negative());
    v.field("randomize", randomize, "sample the robot's randomization ranges per episode");
    v.field("max_base_speed", max_base_speed, "m/s; a faster base counts as an exploded state", config::positive());
    v.field("max_joint_speed", max_joint_speed, "rad/s; a faster joint counts as an exploded state", config::positive());
    v.section("conditions", conditions, "fixed test conditions on top of randomization (scenarios); the defaults change nothing");
  }
  // Cross-field checks; InputError names `file` and the field.
  void validate(const std::string& file) const;
  int physics_steps_per_control() const;
};

SimConfig load_sim_config(const std::string& path);

enum class Status { Running, Fell, NumericalFailure };
const char* to_string(Status s);

// Where the robot is, for logs and metrics (all true values, world frame).
struct BaseState {
  Eigen::Vector3d position = Eigen::Vector3d::Zero();  // m, base-link origin
  Eigen::Quaterniond orientation = Eigen::Quaterniond::Identity();
  Eigen::Vector3d rpy = Eigen::Vector3d::Zero();      // rad, ZYX
  Eigen::Vector3d linear_velocity = Eigen::Vector3d::Zero();   // m/s
  Eigen::Vector3d angular_velocity = Eigen::Vector3d::Zero();  // rad/s
};

class Simulation {
 public:
  Simulation(const Robot& robot, const SimConfig& config);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // New episode: samples the episode parameters from seed, rebuilds the world
  // and places the robot at rest with joint angles q0 (rad, robot joint order;
  // empty = standing pose) and its lowest point touching the ground. On a
  // slope (conditions.slope_deg) the robot stands on the tilted plane at the
  // origin, pitched with it, facing uphill (+x).
  void reset(uint64_t seed, const std::vector<double>& q0 = {});
  // One control period: sends `command` (rad, robot joint order) to the
  // servos, then runs physics. Does nothing once the episode has ended.
  Status step(const double* command);

  Status status() const { return status_; }
  const std::string& reason() const { return reason_; }  // why the episode ended
  double time() const { return t_; }
  int64_t physics_steps() const { return physics_steps_; }
  const Robot& robot() const { return robot_; }
  const SimConfig& config() const { return config_; }
  const EpisodeParams& episode() const { return episode_; }
  double total_mass() const;  // kg, as simulated: scaled bodies plus any payload
  // Unit normal of the ground plane in world (0, 0, 1 unless on a slope).
  Eigen::Vector3d ground_normal() const;

  BaseState base() const;
  std::vector<double> joint_positions() const;   // rad, robot joint order
  std::vector<double> joint_velocities() const;  // rad/s
  const std::vector<double>& joint_torques() const { return servo_state_.torque; }  // N m, last physics step
  const std::vector<double>& last_command() const { return command_; }
  ImuReading read_imu() { return imu_->read(t_); }  // what the robot sees now
  ImuReading imu_truth() const { return imu_->truth(); }
  // Bodies of the RobotModel touching the ground now.
  std::vector<int> ground_contacts() const;

 private:
  struct World;
  void physics_step();
  void check_state();
  void check_fall();
  Eigen::Isometry3d imu_link_pose() const;

  const Robot& robot_;
  SimConfig config_;
  EpisodeParams episode_;
  std::unique_ptr<World> world_;
  std::unique_ptr<ServoBank> servos_;
  ServoBankState servo_state_;
  std::unique_ptr<Imu> imu_;
  Rng push_rng_;
  double next_push_ = 0, push_end_ = -1;
  Eigen::Vector3d push_force_ = Eigen::Vector3d::Zero();
  std::vector<double> command_;
  std::vector<double> q_, qd_, inertia_, tau_model_;  // scratch, model joint order
  std::vector<double> qr_, qdr_, tau_;                 // scratch, robot joint order
  double t_ = 0;
  int64_t physics_steps_ = 0;
  Status status_ = Status::Running;
  std::string reason_;
};

}  // namespace tinywalk::sim
