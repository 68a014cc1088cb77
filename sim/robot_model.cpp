#include "sim/robot_model.h"

#include <console_bridge/console.h>
#include <tinyxml.h>
#include <urdf_parser/urdf_parser.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include "common/error.h"

namespace tinywalk::sim {

double RobotModel::total_mass() const {
  double m = 0;
  for (const Body& b : bodies) m += b.mass;
  return m;
}

int RobotModel::find_body(const std::string& link) const {
  for (size_t i = 0; i < bodies.size(); ++i) {
    if (bodies[i].name == link) return static_cast<int>(i);
    for (const std::string& merged : bodies[i].merged_links)
      if (merged == link) return static_cast<int>(i);
  }
  return -1;
}

int RobotModel::find_joint(const std::string& name) const {
  for (int j = 0; j < num_joints(); ++j)
    if (joint(j).name == name) return j;
  return -1;
}

namespace {

std::string num(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string link_where(const std::string& name) { return "link '" + name + "'"; }
std::string joint_where(const std::string& name) { return "joint '" + name + "'"; }

// --- XML pre-scan -----------------------------------------------------------
// urdfdom keeps joints in a std::map, so child_joints come out in alphabetical
// order, and its XML errors carry no line numbers. TinyXML (urdfdom's own
// parser) gives both: the document order of the <robot>'s <joint> elements
// and the line of a syntax error.

struct XmlScan {
  std::map<std::string, int> joint_order;  // joint name -> document index
  std::string problem;                     // syntax problem ("" if the XML is well formed)
};

XmlScan scan_xml(const std::string& s) {
  XmlScan out;
  TiXmlDocument doc;
  doc.Parse(s.c_str());
  if (doc.Error()) {
    out.problem = "XML syntax error at line " + std::to_string(doc.ErrorRow()) + ": " + doc.ErrorDesc();
    return out;
  }
  const TiXmlElement* robot = doc.FirstChildElement("robot");
  int index = 0;
  for (const TiXmlElement* j = robot ? robot->FirstChildElement("joint") : nullptr; j; j = j->NextSiblingElement("joint"))
    if (const char* name = j->Attribute("name")) out.joint_order.emplace(name, index++);
  return out;
}

// --- urdfdom with its console output captured --------------------------------

class CaptureLog : public console_bridge::OutputHandler {
 public:
  void log(const std::string& text, console_bridge::LogLevel level, const char*, int) override {
    if (level >= console_bridge::CONSOLE_BRIDGE_LOG_ERROR) errors.push_back(text);
  }
  std::vector<std::string> errors;
};

// Guesses "link 'x'" / "joint 'x'" from urdfdom messages such as "... for Link [x]".
std::string where_from_messages(const std::vector<std::string>& messages) {
  static const std::regex pattern(R"((link|joint)\s*\[([^\]]*)\])", std::regex::icase);
  for (const std::string& m : messages) {
    std::smatch match;
    if (std::regex_search(m, match, pattern)) {
      std::string kind = match[1].str();
      std::transform(kind.begin(), kind.end(), kind.begin(), [](unsigned char c) { return std::tolower(c); });
      return kind + " '" + match[2].str() + "'";
    }
  }
  return "";
}

urdf::ModelInterfaceSharedPtr parse_with_urdfdom(const std::string& xml, const std::string& source, const XmlScan& scan) {
  static std::mutex mutex;  // console_bridge's output handler is global
  CaptureLog capture;
  urdf::ModelInterfaceSharedPtr model;
  {
    std::lock_guard<std::mutex> lock(mutex);
    console_bridge::useOutputHandler(&capture);
    try {
      model = urdf::parseURDF(xml);
    } catch (const std::exception& e) {
      capture.errors.push_back(e.what());
      model.reset();
    }
    console_bridge::restorePreviousOutputHandler();
  }
  // urdfdom logs some errors (e.g. unknown geometry) but still returns a model
  // with the element dropped: treat any logged error as a failure.
  if (model && capture.errors.empty()) return model;
  std::string reasons;
  for (const std::string& e : capture.errors) reasons += (reasons.empty() ? "" : "; ") + e;
  if (reasons.empty()) reasons = "urdfdom rejected the file without a reason";
  if (reasons.find("root") != std::string::npos)
    reasons += " (expected exactly one root link: every other link must be the child of a joint)";
  std::string what = "not a valid URDF: ";
  if (!scan.problem.empty()) what += scan.problem + " (urdfdom: " + reasons + ")";
  else what += reasons;
  throw InputError(source, scan.problem.empty() ? where_from_messages(capture.errors) : "", what);
}

// --- Conversions and checks ---------------------------------------------------

Eigen::Isometry3d to_eigen(const urdf::Pose& p) {
  Eigen::Isometry3d t = Eigen::Isometry3d::Identity();
  t.translation() = Eigen::Vector3d(p.position.x, p.position.y, p.position.z);
  Eigen::Quaterniond q(p.rotation.w, p.rotation.x, p.rotation.y, p.rotation.z);
  t.linear() = q.normalized().toRotationMatrix();
  return t;
}

struct Context {
  std::string source;
  void require(bool ok, const std::string& where, const std::string& what) const {
    if (!ok) throw InputError(source, where, what);
  }
  void finite(const std::string& where, const std::string& field, std::initializer_list<double> values) const {
    for (double v : values) require(std::isfinite(v), where, field + " must be a finite number");
  }
  void finite_pose(const std::string& where, const std::string& field, const urdf::Pose& p) const {
    finite(where, field, {p.position.x, p.position.y, p.position.z, p.rotation.x, p.rotation.y, p.rotation.z, p.rotation.w});
  }
};

// One link's mass properties expressed in its body frame.
struct MassPart {
  double mass = 0;
  Eigen::Vector3d com = Eigen::Vector3d::Zero();
  Eigen::Matrix3d inertia = Eigen::Matrix3d::Zero();  // about com, body axes
};

double min_eigenvalue(const Eigen::Matrix3d& m) {
  return Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d>(m, Eigen::EigenvaluesOnly).eigenvalues()(0);
}

// Builds RobotModel bodies by a depth-first walk over the URDF tree.
class Builder {
 public:
  Builder(const urdf::ModelInterface& urdf, const XmlScan& scan, Context ctx)
      : urdf_(urdf), scan_(scan), ctx_(std::move(ctx)) {}

  RobotModel build() {
    RobotModel model;
    model.name = urdf_.getName();
    model.source = ctx_.source;
    const urdf::LinkConstSharedPtr root = urdf_.getRoot();
    ctx_.require(root != nullptr, "", "expected exactly one root link (the floating base)");
    // A massless, shapeless root that only anchors the robot (ROS's "world") means a fixed base.
    bool anchor = !root->inertial && root->collision_array.empty() && !root->child_joints.empty();
    for (const auto& j : root->child_joints) anchor = anchor && j->type == urdf::Joint::FIXED;
    ctx_.require(root->name != "world" && !anchor, link_where(root->name),
                 "is a fixed anchor (no mass, no shapes): expected a floating base; make the robot's torso the root "
                 "link and remove the joint that fixes it");
    model.bodies.emplace_back();
    model.bodies[0].name = root->name;
    parts_.emplace_back();
    visit(model, *root, 0, Eigen::Isometry3d::Identity());
    // Every link must hang off the root (urdfdom ignores disconnected cycles).
    for (const auto& [name, link] : urdf_.links_)
      ctx_.require(visited_.count(name) > 0, link_where(name),
                   "not connected to the root link '" + root->name + "' (the links must form one tree)");
    for (size_t b = 0; b < model.bodies.size(); ++b) finish_body(model.bodies[b], parts_[b], b == 0);
    for (size_t b = 1; b < model.bodies.size(); ++b) model.joint_body.push_back(static_cast<int>(b));
    return model;
  }

 private:
  // Adds `link` (whose frame is `in_body` in body `b`) and walks its children.
  void visit(RobotModel& model, const urdf::Link& link, int b, const Eigen::Isometry3d& in_body) {
    visited_.insert(link.name);
    add_mass(link, b, in_body);
    add_shapes(model.bodies[b], link, in_body);
    for (const urdf::JointSharedPtr& j : children_in_document_order(link)) {
      const std::string where = joint_where(j->name);
      urdf::LinkConstSharedPtr child = urdf_.getLink(j->child_link_name);
      ctx_.require(child != nullptr, where, "child link '" + j->child_link_name + "' does not exist");
      ctx_.require(child->parent_joint == j, link_where(child->name),
                   "is the child of more than one joint (expected a tree; also joint '" +
                       (child->parent_joint ? child->parent_joint->name : std::string("?")) + "')");
      ctx_.require(!visited_.count(child->name), link_where(child->name), "is reached twice (expected a tree)");
      ctx_.finite_pose(where, "<origin>", j->parent_to_joint_origin_transform);
      const Eigen::Isometry3d origin = in_body * to_eigen(j->parent_to_joint_origin_transform);
      if (j->type == urdf::Joint::FIXED) {
        model.bodies[b].merged_links.push_back(child->name);
        visit(model, *child, b, origin);
      } else if (j->type == urdf::Joint::REVOLUTE || j->type == urdf::Joint::CONTINUOUS) {
        const int c = static_cast<int>(model.bodies.size());
        model.bodies.emplace_back();
        parts_.emplace_back();
        Body& body = model.bodies[c];
        body.name = child->name;
        body.parent = b;
        body.joint = make_joint(*j, origin);
        ctx_.require(child->inertial != nullptr, link_where(child->name),
                     "is moved by joint '" + j->name + "' and needs an <inertial> element with mass > 0");
        visit(model, *child, c, Eigen::Isometry3d::Identity());
      } else {
        ctx_.require(false, where,
                     "joint type '" + type_name(j->type) +
                         "' is not supported (expected revolute, continuous or fixed)");
      }
    }
  }

  std::vector<urdf::JointSharedPtr> children_in_document_order(const urdf::Link& link) const {
    std::vector<urdf::JointSharedPtr> joints = link.child_joints;
    auto index = [&](const urdf::JointSharedPtr& j) {
      auto it = scan_.joint_order.find(j->name);
      return it == scan_.joint_order.end() ? INT_MAX : it->second;
    };
    std::stable_sort(joints.begin(), joints.end(),
                     [&](const auto& a, const auto& b) { return index(a) < index(b); });
    return joints;
  }

  static std::string type_name(int type) {
    switch (type) {
      case urdf::Joint::PRISMATIC: return "prismatic";
      case urdf::Joint::FLOATING: return "floating";
      case urdf::Joint::PLANAR: return "planar";
      default: return "unknown";
    }
  }

  Joint make_joint(const urdf::Joint& j, const Eigen::Isometry3d& origin) const {
    const std::string where = joint_where(j.name);
    Joint out;
    out.name = j.name;
    out.continuous = j.type == urdf::Joint::CONTINUOUS;
    out.origin = origin;
    ctx_.require(!j.mimic, where, "<mimic> joints are not supported");
    ctx_.finite(where, "<axis>", {j.axis.x, j.axis.y, j.axis.z});
    Eigen::Vector3d axis(j.axis.x, j.axis.y, j.axis.z);
    ctx_.require(axis.norm() > 1e-9, where, "<axis> must be a non-zero vector");
    out.axis = axis.normalized();
    if (j.limits) {
      const urdf::JointLimits& l = *j.limits;
      ctx_.finite(where, "<limit>", {l.lower, l.upper, l.effort, l.velocity});
      ctx_.require(l.effort >= 0, where, "<limit effort> must be >= 0");
      ctx_.require(l.velocity >= 0, where, "<limit velocity> must be >= 0");
      out.effort = l.effort;
      out.velocity = l.velocity;
      if (!out.continuous) {
        ctx_.require(l.lower <= l.upper, where,
                     "<limit> lower (" + num(l.lower) + ") must not exceed upper (" +
                         num(l.upper) + ")");
        out.lower = l.lower;
        out.upper = l.upper;
      }
    }
    if (j.dynamics) {
      ctx_.finite(where, "<dynamics>", {j.dynamics->damping, j.dynamics->friction});
      ctx_.require(j.dynamics->damping >= 0 && j.dynamics->friction >= 0, where,
                   "<dynamics> damping and friction must be >= 0");
      out.damping = j.dynamics->damping;
      out.friction = j.dynamics->friction;
    }
    return out;
  }

  void add_mass(const urdf::Link& link, int b, const Eigen::Isometry3d& in_body) {
    if (!link.inertial) return;
    const urdf::Inertial& in = *link.inertial;
    const std::string where = link_where(link.name);
    ctx_.finite(where, "<inertial>", {in.mass, in.ixx, in.ixy, in.ixz, in.iyy, in.iyz, in.izz});
    ctx_.finite_pose(where, "<inertial><origin>", in.origin);
    ctx_.require(in.mass >= 0, where, "<mass> must be >= 0 (got " + num(in.mass) + ")");
    Eigen::Matrix3d inertia;
    inertia << in.ixx, in.ixy, in.ixz, in.ixy, in.iyy, in.iyz, in.ixz, in.iyz, in.izz;
    const double lowest = min_eigenvalue(inertia);
    ctx_.require(lowest >= -1e-12 * std::max(1.0, inertia.trace()), where,
                 "<inertia> must be positive semi-definite (its smallest principal moment is " + num(lowest) + ")");
    const Eigen::Isometry3d frame = in_body * to_eigen(in.origin);
    MassPart part;
    part.mass = in.mass;
    part.com = frame.translation();
    part.inertia = frame.linear() * inertia * frame.linear().transpose();
    parts_[b].push_back(part);
  }

  void add_shapes(Body& body, const urdf::Link& link, const Eigen::Isometry3d& in_body) const {
    const std::string where = link_where(link.name);
    for (const urdf::CollisionSharedPtr& c : link.collision_array) {
      if (!c || !c->geometry) continue;
      ctx_.finite_pose(where, "<collision><origin>", c->origin);
      Shape shape;
      shape.link = link.name;
      shape.pose = in_body * to_eigen(c->origin);
      const urdf::Geometry& g = *c->geometry;
      switch (g.type) {
        case urdf::Geometry::BOX: {
          const auto& d = static_cast<const urdf::Box&>(g).dim;
          shape.kind = Shape::Kind::Box;
          shape.size = Eigen::Vector3d(d.x, d.y, d.z);
          break;
        }
        case urdf::Geometry::CYLINDER: {
          const auto& cyl = static_cast<const urdf::Cylinder&>(g);
          shape.kind = Shape::Kind::Cylinder;
          shape.size = Eigen::Vector3d(cyl.radius, cyl.length, 0);
          ctx_.require(cyl.radius > 0 && cyl.length > 0 && std::isfinite(cyl.radius) && std::isfinite(cyl.length),
                       where, "<cylinder> radius and length must be > 0");
          break;
        }
        case urdf::Geometry::SPHERE: {
          const auto& sph = static_cast<const urdf::Sphere&>(g);
          shape.kind = Shape::Kind::Sphere;
          shape.size = Eigen::Vector3d(sph.radius, 0, 0);
          ctx_.require(sph.radius > 0 && std::isfinite(sph.radius), where, "<sphere> radius must be > 0");
          break;
        }
        default:
          ctx_.require(false, where,
                       "<collision> uses mesh geometry, which is not supported (expected box, cylinder or sphere)");
      }
      if (shape.kind == Shape::Kind::Box)
        ctx_.require(shape.size.allFinite() && shape.size.minCoeff() > 0, where, "<box> size must be > 0 in x, y and z");
      body.shapes.push_back(shape);
    }
  }

  // Combines the parts of one body (parallel-axis theorem) and validates it.
  void finish_body(Body& body, const std::vector<MassPart>& parts, bool is_base) const {
    const std::string where = link_where(body.name);
    Eigen::Vector3d first_moment = Eigen::Vector3d::Zero();
    body.mass = 0;
    for (const MassPart& p : parts) {
      body.mass += p.mass;
      first_moment += p.mass * p.com;
    }
    ctx_.require(body.mass > 0, where,
                 is_base ? "the floating base (with links merged into it) must have mass > 0"
                         : "is moved by a joint and must have mass > 0 (got " + num(body.mass) + ")");
    body.com = first_moment / body.mass;
    body.inertia.setZero();
    for (const MassPart& p : parts) {
      const Eigen::Vector3d d = p.com - body.com;
      body.inertia += p.inertia + p.mass * (d.squaredNorm() * Eigen::Matrix3d::Identity() - d * d.transpose());
    }
    body.inertia = 0.5 * (body.inertia + body.inertia.transpose());
    ctx_.require(min_eigenvalue(body.inertia) > 0, where,
                 "inertia (with merged links) must be positive definite; check <inertia> ixx, iyy, izz > 0");
  }

  const urdf::ModelInterface& urdf_;
  const XmlScan& scan_;
  Context ctx_;
  std::vector<std::vector<MassPart>> parts_;  // per body
  std::set<std::string> visited_;
};

}  // namespace

RobotModel parse_urdf(const std::string& xml, const std::string& source) {
  const XmlScan scan = scan_xml(xml);
  const urdf::ModelInterfaceSharedPtr urdf = parse_with_urdfdom(xml, source, scan);
  return Builder(*urdf, scan, Context{source}).build();
}

RobotModel load_urdf(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path, "", "file not found or not a regular file (expected a URDF robot description)");
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) throw InputError(path, "", "cannot read the file (expected a readable URDF robot description)");
  return parse_urdf(text.str(), path);
}

}  // namespace tinywalk::sim
