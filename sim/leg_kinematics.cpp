// Sagittal 2-link legs from the URDF model.
//
// Outline
// - Chain: the model data of one leg (fixed transform base -> hip joint's
//   parent body, the two joints, the foot point) and the planar form of the
//   same geometry used by the inverse kinematics.
// - Chain::build(): checks a (hip, knee) pair and derives the Chain.
// - support_point(): lowest point of one shape (foot point rule below).
// - foot(): forward kinematics through the joints' origins and axes.
// - inverse(): law of cosines in the plane perpendicular to the joint axes.
//
// Conventions
// - Joints between the base and the hip joint (e.g. a hip abduction) are
//   held at 0 (the header's contract); the hip joint's body must be moved by
//   the hip joint and the knee joint's parent must be that body.
// - Foot point rule: a fixed point of the knee body. With the base level
//   and every joint at the standing pose (joints above the hip at 0), take
//   for each collision shape of the knee body its lowest point along world
//   -z; where the lowest set is an edge or a face (a box or a cylinder cap
//   lying flat), its centre. A sphere gives centre - radius * z; a box the
//   lowest corner (or edge/face centre); a cylinder the lowest rim point (or
//   cap centre). The foot point is the lowest of these over the shapes
//   (points within 1e-9 m of the lowest are averaged).
// - Planar form: H the hip joint's position and a its unit axis (base frame,
//   at q = 0); u along the upper link's in-plane part, v = a x u. With
//   complex numbers z = (w.u) + i (w.v) for the in-plane part of a vector w,
//     foot - H = offset a + e^(i qh) (k + e^(i s qk) f),
//   k the hip->knee vector, f the knee->foot vector at q = 0, s = +1 (-1) if
//   the knee axis is parallel (antiparallel) to the hip axis.
// - Knee branch: the sign of the hip-knee-foot turn at the standing pose
//   (a knee straight at the standing pose is an InputError). inverse() does
//   not check joint limits; it returns the angles nearest the standing pose
//   modulo 2 pi (generate_gait checks the limits).
#include "sim/leg_kinematics.h"

#include <algorithm>
#include <cmath>
#include <complex>

#include "common/error.h"

namespace tinywalk::sim {

namespace {

using Planar = std::complex<double>;

constexpr double kAxisTolerance = 1e-9;    // |a_hip x a_knee| for parallel axes
constexpr double kPlaneTolerance = 1e-6;   // m, off-plane distance IK accepts
constexpr double kReachTolerance = 1e-12;  // m, rounding slack at full stretch / full fold

Eigen::Isometry3d joint_transform(const Joint& j, double q) {
  return j.origin * Eigen::AngleAxisd(q, j.axis);
}

// Angle q + 2 pi m closest to `near`.
double wrap_near(double q, double near) { return near + std::remainder(q - near, 2 * M_PI); }

// Lowest point of a shape along `down` (unit, shape frame); the centre of the
// lowest edge or face when the lowest set is not a single point.
Eigen::Vector3d support_point(const Shape& s, const Eigen::Vector3d& down) {
  constexpr double flat = 1e-12;
  auto side = [&](double d) { return std::fabs(d) < flat ? 0.0 : (d > 0 ? 1.0 : -1.0); };
  switch (s.kind) {
    case Shape::Kind::Sphere:
      return s.size[0] * down;
    case Shape::Kind::Box:
      return 0.5 * Eigen::Vector3d(side(down.x()) * s.size[0], side(down.y()) * s.size[1], side(down.z()) * s.size[2]);
    case Shape::Kind::Cylinder: {
      const Eigen::Vector3d radial(down.x(), down.y(), 0);
      const double rn = radial.norm();
      Eigen::Vector3d p(0, 0, side(down.z()) * 0.5 * s.size[1]);
      if (rn > flat) p += s.size[0] * radial / rn;
      return p;
    }
  }
  return Eigen::Vector3d::Zero();
}

}  // namespace

struct LegKinematics::Chain {
  // Model form (forward kinematics).
  Eigen::Isometry3d base_to_hip_parent = Eigen::Isometry3d::Identity();
  Joint hip, knee;
  Eigen::Vector3d foot_point = Eigen::Vector3d::Zero();  // knee body frame
  // Planar form (inverse kinematics), base frame at q = 0.
  Eigen::Vector3d H, a, u, v;
  double offset = 0;       // foot - H along a, constant
  Planar k, f;             // upper and lower link in the plane
  double s = 1;            // knee axis = s * hip axis
  double bend = 1;         // sign of sin(angle from k to the rotated f) at the standing pose
  double hip_stand = 0, knee_stand = 0;

  Planar planar(const Eigen::Vector3d& w) const { return {w.dot(u), w.dot(v)}; }

  // Validates a (hip, knee) pair and derives its chain and LegChain;
  // InputError names the offending joint.
  static std::shared_ptr<const Chain> build(const Robot& robot, const std::string& hip_name, const std::string& knee_name,
                                            LegChain* leg);
};

namespace {

int robot_joint_index(const Robot& robot, const std::string& name) {
  for (size_t i = 0; i < robot.config.joints.size(); ++i)
    if (robot.config.joints[i] == name) return static_cast<int>(i);
  return -1;
}

// "FR_shoulder" -> "FR", "FR_hip_pitch" -> "FR", else the text before the first '_'.
std::string leg_prefix(const std::string& hip) {
  for (const std::string suffix : {"_shoulder", "_hip_pitch"})
    if (hip.size() > suffix.size() && hip.compare(hip.size() - suffix.size(), suffix.size(), suffix) == 0)
      return hip.substr(0, hip.size() - suffix.size());
  return hip.substr(0, hip.find('_'));
}

}  // namespace

LegKinematics::LegKinematics(const Robot& robot, const std::vector<std::pair<std::string, std::string>>& legs) {
  std::vector<int> used(robot.num_joints(), 0);
  for (const auto& [hip, knee] : legs) {
    LegChain leg;
    chains_.push_back(Chain::build(robot, hip, knee, &leg));
    for (const auto& [index, name] : {std::pair{leg.hip, hip}, std::pair{leg.knee, knee}})
      if (used[index]++) throw InputError(robot.config_path, "joint " + name, "is used by more than one leg");
    legs_.push_back(leg);
  }
}

static std::vector<std::pair<std::string, std::string>> default_pairs(const Robot& robot) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& name : robot.config.joints) {
    const std::string prefix = leg_prefix(name);
    if (name != prefix + "_shoulder" && name != prefix + "_hip_pitch") continue;
    if (robot_joint_index(robot, prefix + "_knee") < 0)
      throw InputError(robot.config_path, "joint " + name, "has no matching knee joint '" + prefix + "_knee' in the robot's joints");
    pairs.emplace_back(name, prefix + "_knee");
  }
  if (pairs.empty())
    throw InputError(robot.config_path, "joints", "no joint named <leg>_shoulder or <leg>_hip_pitch: cannot find the legs");
  return pairs;
}

LegKinematics::LegKinematics(const Robot& robot) : LegKinematics(robot, default_pairs(robot)) {}

std::shared_ptr<const LegKinematics::Chain> LegKinematics::Chain::build(const Robot& robot, const std::string& hip_name,
                                                                       const std::string& knee_name, LegChain* leg) {
  const RobotModel& m = robot.model;
  const std::string& file = robot.config_path;
  auto fail = [&](const std::string& joint, const std::string& what) -> void {
    throw InputError(file, "joint " + joint, what + " (leg " + hip_name + " -> " + knee_name + ")");
  };

  // Both joints exist in the robot's joint order; knee body hangs off the hip body.
  leg->name = leg_prefix(hip_name);
  leg->hip = robot_joint_index(robot, hip_name);
  leg->knee = robot_joint_index(robot, knee_name);
  if (leg->hip < 0) fail(hip_name, "is not one of the robot's joints");
  if (leg->knee < 0) fail(knee_name, "is not one of the robot's joints");
  const int hip_body = m.joint_body[robot.joint_to_model[leg->hip]];
  const int knee_body = m.joint_body[robot.joint_to_model[leg->knee]];
  if (m.bodies[knee_body].parent != hip_body)
    fail(knee_name, "does not move a link attached to " + hip_name + "'s link '" + m.bodies[hip_body].name +
                        "': the two joints are not a 2-link chain");

  auto c = std::make_shared<Chain>();
  c->hip = m.bodies[hip_body].joint;
  c->knee = m.bodies[knee_body].joint;
  c->hip_stand = robot.config.standing_pose[leg->hip];
  c->knee_stand = robot.config.standing_pose[leg->knee];
  for (int b = m.bodies[hip_body].parent; b > 0; b = m.bodies[b].parent)  // joints above the hip at 0
    c->base_to_hip_parent = m.bodies[b].joint.origin * c->base_to_hip_parent;

  // Planar form at q = 0.
  const Eigen::Isometry3d T_hip = c->base_to_hip_parent * c->hip.origin;
  const Eigen::Isometry3d T_knee = T_hip * c->knee.origin;
  c->H = T_hip.translation();
  c->a = (T_hip.linear() * c->hip.axis).normalized();
  const Eigen::Vector3d knee_axis = (T_knee.linear() * c->knee.axis).normalized();
  if (c->a.cross(knee_axis).norm() > kAxisTolerance)
    fail(knee_name, "axis is not parallel to " + hip_name + "'s axis (a sagittal leg needs parallel axes)");
  c->s = c->a.dot(knee_axis) > 0 ? 1.0 : -1.0;
  const Eigen::Vector3d k3 = T_knee.translation() - c->H;
  const Eigen::Vector3d k_plane = k3 - k3.dot(c->a) * c->a;
  if (k_plane.norm() < 1e-9) fail(knee_name, "lies on " + hip_name + "'s axis: the upper link has no length");
  c->u = k_plane.normalized();
  c->v = c->a.cross(c->u);

  // Foot point (rule in the header comment of this file).
  const std::vector<Shape>& shapes = m.bodies[knee_body].shapes;
  if (shapes.empty()) fail(knee_name, "moves link '" + m.bodies[knee_body].name + "' which has no collision shapes: no foot point");
  const Eigen::Isometry3d T_stand = T_hip * Eigen::AngleAxisd(c->hip_stand, c->hip.axis) * joint_transform(c->knee, c->knee_stand);
  const Eigen::Vector3d down = T_stand.linear().transpose() * -Eigen::Vector3d::UnitZ();  // knee body frame
  std::vector<Eigen::Vector3d> candidates;
  double depth = -1e300;  // along `down`
  for (const Shape& sh : shapes) {
    const Eigen::Vector3d p = sh.pose * support_point(sh, sh.pose.linear().transpose() * down);
    if (p.dot(down) > depth + 1e-9) candidates.clear(), depth = p.dot(down);
    if (p.dot(down) >= depth - 1e-9) candidates.push_back(p);
  }
  for (const Eigen::Vector3d& p : candidates) c->foot_point += p / static_cast<double>(candidates.size());

  const Eigen::Vector3d f3 = T_knee * c->foot_point - T_knee.translation();
  c->offset = k3.dot(c->a) + f3.dot(c->a);
  c->k = c->planar(k3);
  c->f = c->planar(f3);
  if (std::abs(c->f) < 1e-9) fail(knee_name, "has its foot point on its own axis: the lower link has no length");

  // Knee-bend branch: sign of the angle from k to the rotated f at the standing pose.
  const double gamma = c->s * c->knee_stand + std::arg(c->f) - std::arg(c->k);
  if (std::fabs(std::sin(gamma)) < 1e-9) fail(knee_name, "is straight at the standing pose: the knee-bend direction is undefined");
  c->bend = std::sin(gamma) > 0 ? 1.0 : -1.0;
  return c;
}

Eigen::Vector3d LegKinematics::foot(int leg, double hip, double knee) const {
  const Chain& c = *chains_[leg];
  return c.base_to_hip_parent * joint_transform(c.hip, hip) * joint_transform(c.knee, knee) * c.foot_point;
}

bool LegKinematics::inverse(int leg, const Eigen::Vector3d& foot, double* hip, double* knee) const {
  const Chain& c = *chains_[leg];
  const Eigen::Vector3d d = foot - c.H;
  if (std::fabs(d.dot(c.a) - c.offset) > kPlaneTolerance) return false;

  // Triangle hip-knee-foot: |p|^2 = |k|^2 + |f|^2 + 2 |k| |f| cos(gamma).
  const Planar p = c.planar(d);
  const double r = std::abs(p), lk = std::abs(c.k), lf = std::abs(c.f);
  if (r > lk + lf + kReachTolerance || r < std::fabs(lk - lf) - kReachTolerance || r < 1e-12) return false;
  const double cos_gamma = std::clamp((r * r - lk * lk - lf * lf) / (2 * lk * lf), -1.0, 1.0);
  const double gamma = c.bend * std::acos(cos_gamma);
  const double knee_rel = gamma - std::arg(c.f) + std::arg(c.k);  // rotation of f about the knee, hip axis sense
  const double hip_angle = std::arg(p) - std::arg(c.k + std::polar(1.0, knee_rel) * c.f);
  *knee = wrap_near(c.s * knee_rel, c.knee_stand);
  *hip = wrap_near(hip_angle, c.hip_stand);
  return true;
}

}  // namespace tinywalk::sim
