// A RobotModel instantiated as a Bullet btMultiBody inside a world.
//
// Bullet places each multibody link at its centre of mass in principal axes;
// this class hides that: poses and velocities it returns are of URDF link
// frames, joint order is RobotModel's. Joint torques are added by the caller
// every physics step (Bullet clears them after each step). Joint motors are
// not used for actuation; an optional per-joint velocity motor with target 0
// models Coulomb joint friction implicitly (stable on light links).
#pragma once

#include <Eigen/Geometry>
#include <memory>
#include <vector>

#include "sim/robot_model.h"

class btMultiBody;
class btMultiBodyDynamicsWorld;
class btCollisionObject;
class btMultiBodyLinkCollider;
class btMultiBodyJointMotor;
class btCollisionShape;

namespace tinywalk::sim {

struct BuildOptions {
  // Per-body scale factors (size = bodies.size(), or empty for all 1).
  std::vector<double> mass_scale;
  std::vector<double> inertia_scale;
  double lateral_friction = 0.8;   // of every link collider (Bullet combines by product with the ground)
  double restitution = 0.0;
  std::vector<double> joint_friction;  // N m per joint (size num_joints or empty = 0)
  int collision_group = 2, collision_mask = -1;
  bool self_collision = false;     // collisions between non-adjacent links of the robot
  bool joint_limits = true;        // enforce the URDF position limits of revolute joints
};

class MultiBodyRobot {
 public:
  MultiBodyRobot(const RobotModel& model, btMultiBodyDynamicsWorld& world, const BuildOptions& options);
  ~MultiBodyRobot();  // removes everything it added from the world
  MultiBodyRobot(const MultiBodyRobot&) = delete;
  MultiBodyRobot& operator=(const MultiBodyRobot&) = delete;

  const RobotModel& model() const { return model_; }
  int num_joints() const { return model_.num_joints(); }
  double total_mass() const;  // after scaling, kg

  // Full state. base_pose: URDF base-link frame in world; velocities of the
  // base-link frame origin in world coordinates; q, qd in joint order.
  void set_state(const Eigen::Isometry3d& base_pose, const Eigen::Vector3d& base_linear_velocity,
                 const Eigen::Vector3d& base_angular_velocity, const std::vector<double>& q,
                 const std::vector<double>& qd);
  Eigen::Isometry3d base_pose() const;
  Eigen::Vector3d base_linear_velocity() const;   // world frame, m/s, of the base-link origin
  Eigen::Vector3d base_angular_velocity() const;  // world frame, rad/s
  void joint_positions(double* q) const;          // rad, num_joints
  void joint_velocities(double* qd) const;        // rad/s, num_joints
  double joint_position(int j) const;
  double joint_velocity(int j) const;
  Eigen::Isometry3d body_pose(int body) const;    // URDF frame of bodies[body] in world

  // Adds joint torques (N m) for the next physics step.
  void add_joint_torques(const double* tau);
  // Adds an external force (N, world frame) at the base CoM for the next step.
  void add_base_force(const Eigen::Vector3d& force);

  // Diagonal of the joint-space mass matrix at the current configuration:
  // inertia of the subtree moved by joint j about its axis, kg m^2. Used by the
  // stable (implicit) PD servo model.
  double joint_inertia(int j) const;

  // Body index for a collision object of this robot, -1 if not ours.
  int body_of(const btCollisionObject* object) const;

  btMultiBody* multibody() { return mb_; }

 private:
  struct Impl;
  const RobotModel& model_;
  btMultiBodyDynamicsWorld& world_;
  btMultiBody* mb_ = nullptr;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tinywalk::sim
