#include "sim/simulation.h"

#include <btBulletDynamicsCommon.h>
#include <BulletDynamics/Featherstone/btMultiBody.h>
#include <BulletDynamics/Featherstone/btMultiBodyConstraintSolver.h>
#include <BulletDynamics/Featherstone/btMultiBodyDynamicsWorld.h>
#include <BulletDynamics/Featherstone/btMultiBodyLinkCollider.h>

#include <cmath>

#include "common/error.h"
#include "sim/multibody.h"

namespace tinywalk::sim {

// ---- config ----

int SimConfig::physics_steps_per_control() const { return static_cast<int>(std::lround(control_dt / physics_dt)); }

void SimConfig::validate(const std::string& file) const {
  const double ratio = control_dt / physics_dt;
  if (std::fabs(ratio - std::round(ratio)) > 1e-6 || std::round(ratio) < 1)
    throw InputError(file, "control_dt", "expected a whole multiple of physics_dt (" + std::to_string(physics_dt) + " s), got " +
                                             std::to_string(control_dt) + " s");
  conditions.validate(file, "conditions.");
}

SimConfig load_sim_config(const std::string& path) {
  SimConfig c = config::read_file<SimConfig>(path);
  c.validate(path);
  return c;
}

const char* to_string(Status s) {
  switch (s) {
    case Status::Running: return "running";
    case Status::Fell: return "fell";
    case Status::NumericalFailure: return "numerical_failure";
  }
  return "?";
}

// ---- the Bullet world of one episode ----

struct Simulation::World {
  btDefaultCollisionConfiguration collision_config;
  btCollisionDispatcher dispatcher{&collision_config};
  btDbvtBroadphase broadphase;
  btMultiBodyConstraintSolver solver;
  btMultiBodyDynamicsWorld world{&dispatcher, &broadphase, &solver, &collision_config};
  btStaticPlaneShape ground_shape{btVector3(0, 0, 1), 0};
  btCollisionObject ground;
  std::unique_ptr<RobotModel> payload_model;  // the robot's model with the payload merged into the base (if any)
  std::unique_ptr<MultiBodyRobot> robot;

  ~World() {
    robot.reset();
    world.removeCollisionObject(&ground);
  }
};

Simulation::Simulation(const Robot& robot, const SimConfig& config) : robot_(robot), config_(config) {
  config_.validate("");
  const int nm = robot_.model.num_joints(), n = robot_.num_joints();
  q_.resize(nm);
  qd_.resize(nm);
  inertia_.resize(n);
  qr_.resize(n);
  qdr_.resize(n);
  tau_model_.resize(nm);
  tau_.resize(n);
  reset(0);
}

Simulation::~Simulation() = default;

void Simulation::reset(uint64_t seed, const std::vector<double>& q0_in) {
  const RobotConfig& rc = robot_.config;
  const int n = robot_.num_joints();
  const std::vector<double> q0 = q0_in.empty() ? rc.standing_pose : q0_in;
  TW_CHECK(static_cast<int>(q0.size()) == n, "one initial angle per joint");
  const Conditions& cond = config_.conditions;
  episode_ = sample_episode(robot_, config_.randomize, seed, config_.ground_friction, cond);
  const double slope = cond.slope_deg * M_PI / 180;  // rad

  // World: gravity, solver, ground.
  world_.reset();
  world_ = std::make_unique<World>();
  btMultiBodyDynamicsWorld& w = world_->world;
  w.setGravity(btVector3(0, 0, -config_.gravity));
  w.getSolverInfo().m_numIterations = config_.solver_iterations;
  w.getSolverInfo().m_timeStep = config_.physics_dt;
  world_->ground.setCollisionShape(&world_->ground_shape);
  world_->ground.setFriction(episode_.ground_friction);
  world_->ground.setRestitution(0);
  if (slope != 0) {  // plane through the origin, rising along +x
    btTransform tilt;
    tilt.setIdentity();
    tilt.setRotation(btQuaternion(btVector3(0, 1, 0), -slope));
    world_->ground.setWorldTransform(tilt);
  }
  w.addCollisionObject(&world_->ground, 1, -1);

  // Robot: scaled bodies, joint friction, friction 1 so the ground's coefficient rules.
  BuildOptions opt;
  opt.mass_scale = episode_.mass_scale;
  opt.inertia_scale = episode_.inertia_scale;
  opt.lateral_friction = 1.0;
  opt.joint_friction.assign(robot_.model.num_joints(), 0.0);
  for (int i = 0; i < n; ++i) opt.joint_friction[robot_.joint_to_model[i]] = episode_.joint_friction[i];
  const RobotModel* model = &robot_.model;
  if (cond.payload_mass > 0) {  // a point mass merged into the (scaled) base body
    world_->payload_model = std::make_unique<RobotModel>(robot_.model);
    Body& base = world_->payload_model->bodies[0];
    const double mb = base.mass * opt.mass_scale[0], mp = cond.payload_mass;
    const Eigen::Vector3d at(cond.payload_offset[0], cond.payload_offset[1], cond.payload_offset[2]);
    const Eigen::Vector3d com = (mb * base.com + mp * at) / (mb + mp);
    auto parallel = [](double m, const Eigen::Vector3d& d) {
      return Eigen::Matrix3d(m * (d.squaredNorm() * Eigen::Matrix3d::Identity() - d * d.transpose()));
    };
    base.inertia = base.inertia * opt.inertia_scale[0] + parallel(mb, base.com - com) + parallel(mp, at - com);
    base.mass = mb + mp;
    base.com = com;
    opt.mass_scale[0] = opt.inertia_scale[0] = 1.0;
    model = world_->payload_model.get();
  }
  world_->robot = std::make_unique<MultiBodyRobot>(*model, w, opt);
  MultiBodyRobot& mb = *world_->robot;

  // Place at rest, then lower until the lowest collision point touches the ground.
  std::vector<double> qm(robot_.model.num_joints(), 0.0), zero(robot_.model.num_joints(), 0.0);
  for (int i = 0; i < n; ++i) qm[robot_.joint_to_model[i]] = q0[i];
  Eigen::Isometry3d pose = Eigen::Isometry3d::Identity();
  pose.translation() = Eigen::Vector3d(0, 0, 1.0);
  mb.set_state(pose, Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero(), qm, zero);
  double lowest = 1e9;
  for (size_t b = 0; b < robot_.model.bodies.size(); ++b) {
    const Eigen::Isometry3d body = mb.body_pose(static_cast<int>(b));
    for (const Shape& s : robot_.model.bodies[b].shapes) {
      const Eigen::Isometry3d T = body * s.pose;
      const Eigen::Vector3d c = T.translation();
      const Eigen::Vector3d zl = T.linear().row(2).transpose();  // world z in the shape's axes
      double extent = 0;
      if (s.kind == Shape::Kind::Sphere) extent = s.size[0];
      if (s.kind == Shape::Kind::Box) extent = 0.5 * (std::fabs(zl[0]) * s.size[0] + std::fabs(zl[1]) * s.size[1] + std::fabs(zl[2]) * s.size[2]);
      if (s.kind == Shape::Kind::Cylinder)
        extent = s.size[0] * std::sqrt(std::max(0.0, 1 - zl[2] * zl[2])) + 0.5 * s.size[1] * std::fabs(zl[2]);
      lowest = std::min(lowest, c.z() - extent);
    }
  }
  pose.translation().z() = 1.0 - lowest + 1e-4;
  // On a slope: the same placement tilted with the plane about the origin.
  if (slope != 0) pose = Eigen::Isometry3d(Eigen::AngleAxisd(-slope, Eigen::Vector3d::UnitY())) * pose;
  mb.set_state(pose, Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero(), qm, zero);

  // Servos hold the initial pose; IMU starts its history; pushes scheduled.
  servos_ = std::make_unique<ServoBank>(rc.servo, n, episode_.motor_strength, episode_.extra_latency);
  servos_->reset(servo_state_, q0);
  command_ = q0;
  t_ = 0;
  physics_steps_ = 0;
  status_ = Status::Running;
  reason_.clear();
  imu_ = std::make_unique<Imu>(rc.imu, episode_.imu_rpy_noise, episode_.imu_seed, config_.physics_dt);
  imu_->reset(0, imu_link_pose(), mb.base_angular_velocity(), mb.base_linear_velocity());
  push_rng_.reseed(episode_.push_seed);
  next_push_ = episode_.pushes ? push_rng_.uniform(episode_.push_interval.lo, episode_.push_interval.hi) : 1e300;
  push_end_ = -1;
  push_force_.setZero();
}

double Simulation::total_mass() const { return world_->robot->total_mass(); }

Eigen::Vector3d Simulation::ground_normal() const {
  const double slope = config_.conditions.slope_deg * M_PI / 180;
  return slope != 0 ? Eigen::Vector3d(-std::sin(slope), 0, std::cos(slope)) : Eigen::Vector3d::UnitZ();
}

Eigen::Isometry3d Simulation::imu_link_pose() const { return world_->robot->body_pose(robot_.imu_body); }

Status Simulation::step(const double* command) {
  if (status_ != Status::Running) return status_;
  const int n = robot_.num_joints();
  for (int i = 0; i < n; ++i) {
    command_[i] = command[i];
    if (!std::isfinite(command[i])) {
      status_ = Status::NumericalFailure;
      reason_ = "command for joint '" + robot_.config.joints[i] + "' is not finite";
      return status_;
    }
  }
  servos_->command(servo_state_, t_, command_.data());
  const int steps = config_.physics_steps_per_control();
  for (int k = 0; k < steps && status_ == Status::Running; ++k) physics_step();
  if (status_ == Status::Running) check_fall();
  return status_;
}

void Simulation::physics_step() {
  MultiBodyRobot& mb = *world_->robot;
  const int n = robot_.num_joints();
  const double dt = config_.physics_dt;
  // Servo torques from the current joint state.
  mb.joint_positions(q_.data());
  mb.joint_velocities(qd_.data());
  for (int i = 0; i < n; ++i) {
    const int j = robot_.joint_to_model[i];
    qr_[i] = q_[j];
    qdr_[i] = qd_[j];
    inertia_[i] = mb.joint_inertia(j);
  }
  servos_->torques(servo_state_, t_, dt, qr_.data(), qdr_.data(), inertia_.data(), tau_.data());
  for (int i = 0; i < n; ++i) tau_model_[robot_.joint_to_model[i]] = tau_[i];
  mb.add_joint_torques(tau_model_.data());
  // Pushes: a constant horizontal force on the torso for push_duration.
  const auto& rr = robot_.config.randomization;
  if (t_ >= next_push_) {
    const double dir = push_rng_.uniform(0, 2 * M_PI), dv = push_rng_.uniform(episode_.push_velocity.lo, episode_.push_velocity.hi);
    const double f = mb.total_mass() * dv / rr.push_duration;
    push_force_ = Eigen::Vector3d(f * std::cos(dir), f * std::sin(dir), 0);
    push_end_ = t_ + rr.push_duration;
    next_push_ = t_ + push_rng_.uniform(episode_.push_interval.lo, episode_.push_interval.hi);
  }
  if (t_ < push_end_ - 1e-12) mb.add_base_force(push_force_);
  // Physics.
  world_->world.stepSimulation(dt, 0, dt);
  ++physics_steps_;
  t_ = physics_steps_ * dt;  // no drift from repeated addition
  check_state();
  if (status_ == Status::Running) imu_->record(t_, imu_link_pose(), mb.base_angular_velocity(), mb.base_linear_velocity());
}

void Simulation::check_state() {
  MultiBodyRobot& mb = *world_->robot;
  const Eigen::Isometry3d pose = mb.base_pose();
  const Eigen::Vector3d v = mb.base_linear_velocity(), w = mb.base_angular_velocity();
  auto fail = [this](const std::string& why) {
    status_ = Status::NumericalFailure;
    reason_ = why + " at t = " + std::to_string(t_) + " s";
  };
  if (!pose.matrix().allFinite() || !v.allFinite() || !w.allFinite()) return fail("base state is not finite (NaN or inf)");
  if (v.norm() > config_.max_base_speed) return fail("base speed " + std::to_string(v.norm()) + " m/s exceeds max_base_speed (exploding state)");
  mb.joint_positions(q_.data());
  mb.joint_velocities(qd_.data());
  for (int j = 0; j < mb.num_joints(); ++j) {
    if (!std::isfinite(q_[j]) || !std::isfinite(qd_[j])) return fail("joint '" + robot_.model.joint(j).name + "' state is not finite");
    if (std::fabs(qd_[j]) > config_.max_joint_speed)
      return fail("joint '" + robot_.model.joint(j).name + "' speed " + std::to_string(qd_[j]) + " rad/s exceeds max_joint_speed (exploding state)");
  }
}

std::vector<int> Simulation::ground_contacts() const {
  std::vector<int> bodies;
  btDispatcher* d = world_->world.getDispatcher();
  for (int i = 0; i < d->getNumManifolds(); ++i) {
    const btPersistentManifold* m = d->getManifoldByIndexInternal(i);
    const btCollisionObject *a = m->getBody0(), *b = m->getBody1();
    const btCollisionObject* other = a == &world_->ground ? b : (b == &world_->ground ? a : nullptr);
    if (!other) continue;
    bool touching = false;
    for (int c = 0; c < m->getNumContacts(); ++c) touching |= m->getContactPoint(c).getDistance() < 1e-3;
    int body = world_->robot->body_of(other);
    if (touching && body >= 0) bodies.push_back(body);
  }
  return bodies;
}

void Simulation::check_fall() {
  const BaseState b = base();
  const double max_tilt = robot_.config.fall.max_tilt;
  if (std::fabs(b.rpy[0]) > max_tilt || std::fabs(b.rpy[1]) > max_tilt) {
    status_ = Status::Fell;
    reason_ = "torso tilted beyond " + std::to_string(max_tilt * 180 / M_PI) + " deg (roll " + std::to_string(b.rpy[0] * 180 / M_PI) +
              ", pitch " + std::to_string(b.rpy[1] * 180 / M_PI) + ") at t = " + std::to_string(t_) + " s";
    return;
  }
  for (int body : ground_contacts())
    for (int f : robot_.fall_bodies)
      if (body == f) {
        status_ = Status::Fell;
        reason_ = "link '" + robot_.model.bodies[body].name + "' touched the ground at t = " + std::to_string(t_) + " s";
        return;
      }
}

BaseState Simulation::base() const {
  const MultiBodyRobot& mb = *world_->robot;
  BaseState s;
  const Eigen::Isometry3d p = mb.base_pose();
  s.position = p.translation();
  s.orientation = Eigen::Quaterniond(p.linear());
  const auto rpy = Imu::rpy_of(p.linear());
  s.rpy = Eigen::Vector3d(rpy[0], rpy[1], rpy[2]);
  s.linear_velocity = mb.base_linear_velocity();
  s.angular_velocity = mb.base_angular_velocity();
  return s;
}

std::vector<double> Simulation::joint_positions() const {
  std::vector<double> qm(robot_.model.num_joints()), q(robot_.num_joints());
  world_->robot->joint_positions(qm.data());
  for (int i = 0; i < robot_.num_joints(); ++i) q[i] = qm[robot_.joint_to_model[i]];
  return q;
}

std::vector<double> Simulation::joint_velocities() const {
  std::vector<double> qm(robot_.model.num_joints()), q(robot_.num_joints());
  world_->robot->joint_velocities(qm.data());
  for (int i = 0; i < robot_.num_joints(); ++i) q[i] = qm[robot_.joint_to_model[i]];
  return q;
}

}  // namespace tinywalk::sim
