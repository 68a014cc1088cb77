// CSV of root + foot trajectories -> ReferenceMotion by per-leg IK.
//
// Outline
// - read the header, map every expected column name to its field number;
// - parse each data row into numbers (finite, checked per field);
// - check t: strictly increasing, constant step;
// - per row: root pose, feet into the base frame, LegKinematics::inverse per
//   leg; on failure tell "off the leg's plane" from "out of reach" using the
//   leg's plane, found once from three forward-kinematics points.
#include "sim/retarget.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json.h"

namespace tinywalk::sim {

namespace {

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) --b;
  return s.substr(a, b - a);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(trim(cur));
  return out;
}

std::string vec(const Eigen::Vector3d& v) {
  return "(" + json_number(v.x()) + ", " + json_number(v.y()) + ", " + json_number(v.z()) + ")";
}

struct Row {
  int line;
  std::vector<double> v;  // by expected-column index
};

// A point of the leg's plane and its unit normal (base frame).
struct LegPlane {
  Eigen::Vector3d point, normal;
};

LegPlane leg_plane(const LegKinematics& legs, int leg) {
  const Eigen::Vector3d p0 = legs.foot(leg, 0, 0), p1 = legs.foot(leg, 0.5, 0), p2 = legs.foot(leg, 0, 0.5);
  const Eigen::Vector3d n = (p1 - p0).cross(p2 - p0);
  TW_CHECK(n.norm() > 1e-12, "leg " + legs.leg(leg).name + ": degenerate plane from forward kinematics");
  return {p0, n.normalized()};
}

}  // namespace

ReferenceMotion retarget_csv(const std::string& csv_path, const Robot& robot, const LegKinematics& legs,
                             const RetargetOptions& options) {
  const std::string& file = csv_path;
  // Expected columns, in the documented order.
  std::vector<std::string> cols = {"t", "root_x", "root_y", "root_z", "root_qx", "root_qy", "root_qz", "root_qw"};
  for (int l = 0; l < legs.num_legs(); ++l)
    for (const char* axis : {"x", "y", "z"}) cols.push_back(legs.leg(l).name + "_foot_" + axis);
  std::map<std::string, int> expected;
  for (size_t i = 0; i < cols.size(); ++i) expected[cols[i]] = static_cast<int>(i);

  std::istringstream in(read_file(file));
  std::string line;
  int line_no = 0, header_line = 0;
  std::vector<int> field_to_col;  // CSV field number -> expected-column index
  std::vector<std::string> header;
  std::vector<Row> rows;
  auto at = [](int line, size_t field, const std::string& name) {
    return "line " + std::to_string(line) + ", column " + std::to_string(field + 1) + " (" + name + ")";
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const std::vector<std::string> f = split(line);
    if (header.empty()) {  // the header line
      header = f;
      header_line = line_no;
      field_to_col.assign(f.size(), -1);
      std::vector<bool> have(cols.size(), false);
      for (size_t i = 0; i < f.size(); ++i) {
        auto it = expected.find(f[i]);
        if (it == expected.end()) {
          std::string all;
          for (const auto& c : cols) all += (all.empty() ? "" : ",") + c;
          throw InputError(file, at(line_no, i, f[i]), "unknown column; expected the columns " + all);
        }
        if (have[it->second]) throw InputError(file, at(line_no, i, f[i]), "duplicate column");
        have[it->second] = true;
        field_to_col[i] = it->second;
      }
      std::string missing;
      for (size_t c = 0; c < cols.size(); ++c)
        if (!have[c]) missing += (missing.empty() ? "'" : ", '") + cols[c] + "'";
      if (!missing.empty()) throw InputError(file, "line " + std::to_string(line_no), "missing column " + missing);
      continue;
    }
    if (f.size() != header.size())
      throw InputError(file, "line " + std::to_string(line_no),
                       "expected " + std::to_string(header.size()) + " comma-separated fields (as in the header), got " +
                           std::to_string(f.size()));
    Row r{line_no, std::vector<double>(cols.size())};
    for (size_t i = 0; i < f.size(); ++i) {
      const std::string& s = f[i];
      double x = 0;
      auto res = std::from_chars(s.data(), s.data() + s.size(), x);
      if (s.empty() || res.ec == std::errc::invalid_argument || res.ptr != s.data() + s.size())
        throw InputError(file, at(line_no, i, header[i]), "expected a number, got '" + s + "'");
      if (res.ec == std::errc::result_out_of_range) x = std::strtod(s.c_str(), nullptr);
      if (!std::isfinite(x)) throw InputError(file, at(line_no, i, header[i]), "expected a finite number, got '" + s + "'");
      r.v[field_to_col[i]] = x;
    }
    rows.push_back(std::move(r));
  }
  if (header.empty()) throw InputError(file, "", "empty file; expected a header line " + cols[0] + "," + cols[1] + ",...");
  if (rows.size() < 2)
    throw InputError(file, "line " + std::to_string(header_line + 1),
                     "expected at least 2 data rows (the time step comes from t), got " + std::to_string(rows.size()));

  // Time: strictly increasing, constant step.
  size_t t_field = 0;
  while (field_to_col[t_field] != 0) ++t_field;
  for (size_t i = 1; i < rows.size(); ++i)
    if (!(rows[i].v[0] > rows[i - 1].v[0]))
      throw InputError(file, at(rows[i].line, t_field, "t"),
                       "t must increase: " + json_number(rows[i].v[0]) + " after " + json_number(rows[i - 1].v[0]));
  const double t0 = rows.front().v[0];
  const double step = (rows.back().v[0] - t0) / static_cast<double>(rows.size() - 1);
  for (size_t i = 0; i < rows.size(); ++i) {
    const double want = t0 + static_cast<double>(i) * step;
    if (std::fabs(rows[i].v[0] - want) > 1e-3 * step)
      throw InputError(file, at(rows[i].line, t_field, "t"),
                       "expected a constant time step of " + json_number(step) + " s (t = " + json_number(want) + "), got t = " +
                           json_number(rows[i].v[0]));
  }

  std::vector<LegPlane> planes;
  for (int l = 0; l < legs.num_legs(); ++l) planes.push_back(leg_plane(legs, l));

  ReferenceMotion m;
  m.loop = options.loop;
  m.frame_duration = step;
  m.frames.reserve(rows.size());
  for (const Row& r : rows) {
    MotionFrame f;
    f.root_position = Eigen::Vector3d(r.v[1], r.v[2], r.v[3]);
    Eigen::Quaterniond q(r.v[7], r.v[4], r.v[5], r.v[6]);
    if (!(q.norm() >= 1e-6))
      throw InputError(file, "line " + std::to_string(r.line),
                       "root quaternion (root_qx..root_qw) has norm " + json_number(q.norm()) + "; expected a rotation (norm >= 1e-6)");
    q.normalize();
    f.root_orientation = q;
    f.q.assign(robot.num_joints(), 0.0);
    const Eigen::Matrix3d Rt = q.toRotationMatrix().transpose();
    for (int l = 0; l < legs.num_legs(); ++l) {
      const Eigen::Vector3d world(r.v[8 + 3 * l], r.v[9 + 3 * l], r.v[10 + 3 * l]);
      Eigen::Vector3d base = Rt * (world - f.root_position);
      const double off = (base - planes[l].point).dot(planes[l].normal);
      if (options.project_to_leg_plane) base -= off * planes[l].normal;
      const LegChain& leg = legs.leg(l);
      double hip = 0, knee = 0;
      if (!legs.inverse(l, base, &hip, &knee)) {
        const std::string target = "leg " + leg.name + ": foot target " + vec(world) + " m (world), " + vec(base) + " m (base frame)";
        if (!options.project_to_leg_plane && std::fabs(off) > 1e-6) {
          double h2 = 0, k2 = 0;
          const bool in_reach = legs.inverse(l, base - off * planes[l].normal, &h2, &k2);
          throw InputError(file, "line " + std::to_string(r.line),
                           target + " is " + json_number(off) + " m off the leg's plane" +
                               (in_reach ? "" : " and out of reach even in the plane") +
                               "; a 2-link leg only reaches points in its plane "
                               "(RetargetOptions::project_to_leg_plane drops the offset)");
        }
        throw InputError(file, "line " + std::to_string(r.line), target + " is out of the leg's reach");
      }
      f.q[leg.hip] = hip;
      f.q[leg.knee] = knee;
    }
    m.frames.push_back(std::move(f));
  }
  return m;
}

}  // namespace tinywalk::sim
