#include "sim/multibody.h"

#include <BulletCollision/CollisionShapes/btBoxShape.h>
#include <BulletCollision/CollisionShapes/btCompoundShape.h>
#include <BulletCollision/CollisionShapes/btCylinderShape.h>
#include <BulletCollision/CollisionShapes/btSphereShape.h>
#include <BulletDynamics/ConstraintSolver/btContactSolverInfo.h>
#include <BulletDynamics/Featherstone/btMultiBody.h>
#include <BulletDynamics/Featherstone/btMultiBodyDynamicsWorld.h>
#include <BulletDynamics/Featherstone/btMultiBodyJointLimitConstraint.h>
#include <BulletDynamics/Featherstone/btMultiBodyJointMotor.h>
#include <BulletDynamics/Featherstone/btMultiBodyLinkCollider.h>

#include <Eigen/Eigenvalues>

#include "common/error.h"

namespace tinywalk::sim {

namespace {

// Collision margin of box and cylinder shapes. Bullet's default (4 cm) exceeds
// the half extents of small robot parts; 1 mm is what pybullet's URDF loader uses.
constexpr double kCollisionMargin = 0.001;

btVector3 bt_vector(const Eigen::Vector3d& v) { return btVector3(v.x(), v.y(), v.z()); }
Eigen::Vector3d to_eigen(const btVector3& v) { return Eigen::Vector3d(v.x(), v.y(), v.z()); }

btQuaternion bt_rotation(const Eigen::Matrix3d& r) {
  const Eigen::Quaterniond q(r);
  return btQuaternion(q.x(), q.y(), q.z(), q.w());
}
Eigen::Quaterniond to_eigen(const btQuaternion& q) { return Eigen::Quaterniond(q.w(), q.x(), q.y(), q.z()); }

btTransform bt_transform(const Eigen::Isometry3d& t) {
  return btTransform(bt_rotation(t.linear()), bt_vector(t.translation()));
}
Eigen::Isometry3d to_eigen(const btTransform& t) {
  Eigen::Isometry3d out = Eigen::Isometry3d::Identity();
  out.linear() = to_eigen(t.getRotation()).normalized().toRotationMatrix();
  out.translation() = to_eigen(t.getOrigin());
  return out;
}

// A velocity motor with target 0 whose impulse bound is friction * dt of the
// step actually being solved: Coulomb joint friction, independent of the step size.
class FrictionMotor : public btMultiBodyJointMotor {
 public:
  FrictionMotor(btMultiBody* mb, int link, double friction)
      : btMultiBodyJointMotor(mb, link, 0.0, 0.0), friction_(friction) {
    setPositionTarget(0, 0);
    setVelocityTarget(0, 1);
  }
  void createConstraintRows(btMultiBodyConstraintArray& rows, btMultiBodyJacobianData& data,
                            const btContactSolverInfo& info) override {
    setMaxAppliedImpulse(friction_ * info.m_timeStep);
    btMultiBodyJointMotor::createConstraintRows(rows, data, info);
  }

 private:
  double friction_;
};

}  // namespace

struct MultiBodyRobot::Impl {
  // Per body: the Bullet link frame (CoM, principal axes) in the URDF body frame.
  std::vector<Eigen::Isometry3d> body_to_link;
  std::vector<Eigen::Vector3d> principal_inertia;  // diagonal in the Bullet link frame (scaled)
  std::vector<double> mass;                        // scaled
  std::vector<Eigen::Matrix3d> inertia;            // scaled, about the CoM, URDF body axes
  std::vector<std::vector<int>> subtree;           // per joint: bodies it moves
  std::vector<btCollisionShape*> shapes;           // owned (children and compounds)
  std::vector<std::pair<btMultiBodyLinkCollider*, int>> colliders;  // owned, with body index
  std::vector<btMultiBodyConstraint*> motors;                       // owned: friction motors and joint limits
  btAlignedObjectArray<btQuaternion> scratch_q;
  btAlignedObjectArray<btVector3> scratch_m;

  // Bullet link frame of body b (base = 0) in world, from Bullet's cached joint state.
  btTransform link_world(const btMultiBody& mb, int b) const {
    if (b == 0) return mb.getBaseWorldTransform();
    const int link = b - 1;
    const btQuaternion to_parent = mb.getParentToLocalRot(link).inverse();
    const btTransform in_parent(to_parent, quatRotate(to_parent, mb.getRVector(link)));
    return link_world(mb, mb.getParent(link) + 1) * in_parent;
  }
};

MultiBodyRobot::MultiBodyRobot(const RobotModel& model, btMultiBodyDynamicsWorld& world, const BuildOptions& options)
    : model_(model), world_(world), impl_(std::make_unique<Impl>()) {
  const int n_bodies = static_cast<int>(model.bodies.size());
  TW_CHECK(n_bodies >= 1, "robot model has no bodies");
  TW_CHECK(options.mass_scale.empty() || static_cast<int>(options.mass_scale.size()) == n_bodies,
           "mass_scale must have one entry per body");
  TW_CHECK(options.inertia_scale.empty() || static_cast<int>(options.inertia_scale.size()) == n_bodies,
           "inertia_scale must have one entry per body");
  TW_CHECK(options.joint_friction.empty() || static_cast<int>(options.joint_friction.size()) == model.num_joints(),
           "joint_friction must have one entry per joint");
  TW_CHECK(model.num_joints() == n_bodies - 1, "every non-base body must have exactly one movable joint");
  Impl& im = *impl_;

  // Mass properties: scaled, then principal axes (Bullet needs a diagonal inertia).
  // Mass and inertia scale independently: inertia_scale alone scales the inertia.
  for (int b = 0; b < n_bodies; ++b) {
    const Body& body = model.bodies[b];
    TW_CHECK(b == 0 || (body.parent >= 0 && body.parent < b), "bodies must list parents before children");
    TW_CHECK(b == 0 || model.joint_body[b - 1] == b, "joint j must move body j + 1");
    const double ms = options.mass_scale.empty() ? 1.0 : options.mass_scale[b];
    const double is = options.inertia_scale.empty() ? 1.0 : options.inertia_scale[b];
    TW_CHECK(ms > 0 && is > 0, "mass and inertia scales must be > 0");
    im.mass.push_back(body.mass * ms);
    im.inertia.push_back(body.inertia * is);
    Eigen::Matrix3d axes = Eigen::Matrix3d::Identity();
    Eigen::Vector3d moments = im.inertia[b].diagonal();
    const Eigen::Matrix3d& inertia = im.inertia[b];
    const double off_diagonal = std::abs(inertia(0, 1)) + std::abs(inertia(0, 2)) + std::abs(inertia(1, 2));
    if (off_diagonal > 1e-12 * inertia.trace()) {
      Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(inertia);
      axes = eig.eigenvectors();
      if (axes.determinant() < 0) axes.col(2) = -axes.col(2);
      moments = eig.eigenvalues();
    }
    Eigen::Isometry3d frame = Eigen::Isometry3d::Identity();
    frame.linear() = axes;
    frame.translation() = body.com;
    im.body_to_link.push_back(frame);
    im.principal_inertia.push_back(moments);
  }

  // The multibody: base plus one revolute link per movable joint (link i = body i + 1).
  mb_ = new btMultiBody(n_bodies - 1, im.mass[0], bt_vector(im.principal_inertia[0]), false, false);
  for (int b = 1; b < n_bodies; ++b) {
    const Body& body = model.bodies[b];
    const Eigen::Isometry3d& parent_frame = im.body_to_link[body.parent];
    const Eigen::Isometry3d& frame = im.body_to_link[b];
    const Eigen::Matrix3d child_in_parent = parent_frame.linear().transpose() * body.joint.origin.linear() * frame.linear();
    mb_->setupRevolute(b - 1, im.mass[b], bt_vector(im.principal_inertia[b]), body.parent - 1,
                       bt_rotation(child_in_parent.transpose()),
                       bt_vector(frame.linear().transpose() * body.joint.axis),
                       bt_vector(parent_frame.linear().transpose() *
                                 (body.joint.origin.translation() - parent_frame.translation())),
                       bt_vector(frame.linear().transpose() * body.com), true);
  }
  mb_->finalizeMultiDof();
  mb_->setLinearDamping(0);
  mb_->setAngularDamping(0);
  mb_->setMaxCoordinateVelocity(100);
  mb_->setMaxAppliedImpulse(1000);
  mb_->setHasSelfCollision(options.self_collision);
  mb_->useGlobalVelocities(false);
  world.addMultiBody(mb_);

  // Colliders: a compound per body, children placed in the Bullet link (CoM) frame.
  for (int b = 0; b < n_bodies; ++b) {
    const Body& body = model.bodies[b];
    if (body.shapes.empty()) continue;
    auto* compound = new btCompoundShape();
    im.shapes.push_back(compound);
    const Eigen::Isometry3d link_to_body = im.body_to_link[b].inverse();
    for (const Shape& s : body.shapes) {
      btCollisionShape* child = nullptr;
      switch (s.kind) {
        case Shape::Kind::Box: child = new btBoxShape(bt_vector(0.5 * s.size)); break;
        case Shape::Kind::Cylinder:
          child = new btCylinderShapeZ(btVector3(s.size.x(), s.size.x(), 0.5 * s.size.y()));
          break;
        case Shape::Kind::Sphere: child = new btSphereShape(s.size.x()); break;
      }
      if (s.kind != Shape::Kind::Sphere) child->setMargin(kCollisionMargin);
      im.shapes.push_back(child);
      compound->addChildShape(bt_transform(link_to_body * s.pose), child);
    }
    auto* collider = new btMultiBodyLinkCollider(mb_, b - 1);
    collider->setCollisionShape(compound);
    collider->setFriction(options.lateral_friction);
    collider->setRestitution(options.restitution);
    world.addCollisionObject(collider, options.collision_group, options.collision_mask);
    if (b == 0) mb_->setBaseCollider(collider);
    else mb_->getLink(b - 1).m_collider = collider;
    im.colliders.emplace_back(collider, b);
  }

  // Optional Coulomb joint friction through zero-velocity motors.
  for (int j = 0; j < static_cast<int>(options.joint_friction.size()); ++j) {
    TW_CHECK(options.joint_friction[j] >= 0, "joint friction must be >= 0");
    if (options.joint_friction[j] <= 0) continue;
    auto* motor = new FrictionMotor(mb_, model.joint_body[j] - 1, options.joint_friction[j]);
    world.addMultiBodyConstraint(motor);
    motor->finalizeMultiDof();
    im.motors.push_back(motor);
  }

  // Mechanical joint limits of revolute (not continuous) joints.
  for (int j = 0; options.joint_limits && j < model.num_joints(); ++j) {
    const Joint& jt = model.joint(j);
    if (jt.continuous) continue;
    auto* limit = new btMultiBodyJointLimitConstraint(mb_, model.joint_body[j] - 1, jt.lower, jt.upper);
    world.addMultiBodyConstraint(limit);
    limit->finalizeMultiDof();
    im.motors.push_back(limit);
  }

  // Subtrees moved by each joint (parents precede children, so one pass suffices).
  im.subtree.resize(model.num_joints());
  for (int j = 0; j < model.num_joints(); ++j) {
    std::vector<bool> inside(n_bodies, false);
    inside[model.joint_body[j]] = true;
    for (int b = model.joint_body[j]; b < n_bodies; ++b) {
      if (b != model.joint_body[j]) inside[b] = model.bodies[b].parent >= 0 && inside[model.bodies[b].parent];
      if (inside[b]) im.subtree[j].push_back(b);
    }
  }

  // Initial state: base frame at the world origin, all joints at zero.
  set_state(Eigen::Isometry3d::Identity(), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero(),
            std::vector<double>(num_joints(), 0.0), std::vector<double>(num_joints(), 0.0));
}

MultiBodyRobot::~MultiBodyRobot() {
  for (btMultiBodyConstraint* m : impl_->motors) {
    world_.removeMultiBodyConstraint(m);
    delete m;
  }
  for (auto& [collider, body] : impl_->colliders) {
    world_.removeCollisionObject(collider);
    delete collider;
  }
  world_.removeMultiBody(mb_);
  delete mb_;
  for (btCollisionShape* s : impl_->shapes) delete s;
}

double MultiBodyRobot::total_mass() const {
  double m = 0;
  for (double b : impl_->mass) m += b;
  return m;
}

void MultiBodyRobot::set_state(const Eigen::Isometry3d& base_pose, const Eigen::Vector3d& base_linear_velocity,
                               const Eigen::Vector3d& base_angular_velocity, const std::vector<double>& q,
                               const std::vector<double>& qd) {
  TW_CHECK(static_cast<int>(q.size()) == num_joints() && static_cast<int>(qd.size()) == num_joints(),
           "set_state needs one position and one velocity per joint");
  const Eigen::Isometry3d& frame = impl_->body_to_link[0];
  // Base: URDF link frame -> Bullet CoM frame; CoM velocity = v + w x (R com).
  mb_->setBaseWorldTransform(bt_transform(base_pose * frame));
  const Eigen::Vector3d com_offset = base_pose.linear() * frame.translation();
  mb_->setBaseVel(bt_vector(base_linear_velocity + base_angular_velocity.cross(com_offset)));
  mb_->setBaseOmega(bt_vector(base_angular_velocity));
  for (int j = 0; j < num_joints(); ++j) {
    mb_->setJointPos(model_.joint_body[j] - 1, q[j]);
    mb_->setJointVel(model_.joint_body[j] - 1, qd[j]);
  }
  mb_->forwardKinematics(impl_->scratch_q, impl_->scratch_m);
  mb_->updateCollisionObjectWorldTransforms(impl_->scratch_q, impl_->scratch_m);
}

Eigen::Isometry3d MultiBodyRobot::base_pose() const {
  return to_eigen(mb_->getBaseWorldTransform()) * impl_->body_to_link[0].inverse();
}

Eigen::Vector3d MultiBodyRobot::base_linear_velocity() const {
  const Eigen::Vector3d com_offset = to_eigen(mb_->getBaseWorldTransform()).linear() *
                                     impl_->body_to_link[0].linear().transpose() * impl_->body_to_link[0].translation();
  return to_eigen(mb_->getBaseVel()) - to_eigen(mb_->getBaseOmega()).cross(com_offset);
}

Eigen::Vector3d MultiBodyRobot::base_angular_velocity() const { return to_eigen(mb_->getBaseOmega()); }

void MultiBodyRobot::joint_positions(double* q) const {
  for (int j = 0; j < num_joints(); ++j) q[j] = joint_position(j);
}

void MultiBodyRobot::joint_velocities(double* qd) const {
  for (int j = 0; j < num_joints(); ++j) qd[j] = joint_velocity(j);
}

double MultiBodyRobot::joint_position(int j) const { return mb_->getJointPos(model_.joint_body[j] - 1); }
double MultiBodyRobot::joint_velocity(int j) const { return mb_->getJointVel(model_.joint_body[j] - 1); }

Eigen::Isometry3d MultiBodyRobot::body_pose(int body) const {
  TW_CHECK(body >= 0 && body < static_cast<int>(model_.bodies.size()), "body index out of range");
  return to_eigen(impl_->link_world(*mb_, body)) * impl_->body_to_link[body].inverse();
}

void MultiBodyRobot::add_joint_torques(const double* tau) {
  for (int j = 0; j < num_joints(); ++j) mb_->addJointTorque(model_.joint_body[j] - 1, tau[j]);
}

void MultiBodyRobot::add_base_force(const Eigen::Vector3d& force) { mb_->addBaseForce(bt_vector(force)); }

double MultiBodyRobot::joint_inertia(int j) const {
  TW_CHECK(j >= 0 && j < num_joints(), "joint index out of range");
  // Axis a through point p (the child frame origin), both in world.
  const Eigen::Isometry3d child = body_pose(model_.joint_body[j]);
  const Eigen::Vector3d a = child.linear() * model_.joint(j).axis;
  const Eigen::Vector3d p = child.translation();
  double sum = 0;
  for (int b : impl_->subtree[j]) {
    const Eigen::Isometry3d pose = body_pose(b);
    const Eigen::Vector3d c = pose * model_.bodies[b].com;
    const Eigen::Matrix3d inertia = pose.linear() * impl_->inertia[b] * pose.linear().transpose();
    sum += a.dot(inertia * a) + impl_->mass[b] * a.cross(c - p).squaredNorm();
  }
  return sum;
}

int MultiBodyRobot::body_of(const btCollisionObject* object) const {
  for (const auto& [collider, body] : impl_->colliders)
    if (collider == object) return body;
  return -1;
}

}  // namespace tinywalk::sim
