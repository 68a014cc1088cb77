// Retargeting: a CSV made by forward kinematics from known joint angles and a
// moving root is turned back into those angles; malformed CSVs name line and
// column; unreachable and off-plane feet name the row, leg and target.
#include <gtest/gtest.h>

#include "tests/test_util.h"
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>

#include "common/error.h"
#include "common/json.h"
#include "sim/retarget.h"

using namespace tinywalk;
using namespace tinywalk::sim;

namespace {

const std::string kSrc = TINYWALK_SOURCE_DIR;

const Robot& bittle() {
  static const Robot r = load_robot(kSrc + "/configs/robots/bittle.yaml");
  return r;
}
const LegKinematics& legs() {
  static const LegKinematics k(bittle());
  return k;
}

std::string temp_csv(const std::string& text) {
  static int k = 0;
  const std::string p = ::testing::TempDir() + "/retarget_" + std::to_string(::getpid()) + "_" + std::to_string(k++) + ".csv";
  std::ofstream(p) << text;
  return p;
}

std::vector<std::string> header() {
  std::vector<std::string> h = {"t", "root_x", "root_y", "root_z", "root_qx", "root_qy", "root_qz", "root_qw"};
  for (int l = 0; l < legs().num_legs(); ++l)
    for (const char* a : {"x", "y", "z"}) h.push_back(legs().leg(l).name + "_foot_" + a);
  return h;
}

struct Clip {
  std::vector<std::vector<double>> rows;  // by header() column
  std::vector<std::vector<double>> q;     // the joint angles the feet came from
  double step = 1.0 / 60.0;
};

Eigen::Quaterniond root_rotation(double s) {
  return Eigen::Quaterniond(Eigen::AngleAxisd(0.6 * s, Eigen::Vector3d::UnitZ()) *
                            Eigen::AngleAxisd(0.08 * std::sin(3 * s), Eigen::Vector3d::UnitY()) *
                            Eigen::AngleAxisd(0.05 * std::cos(2 * s), Eigen::Vector3d::UnitX()));
}

// Joint angles along a trot-like pattern (knees bent as when standing), a
// root that moves, turns, rolls and pitches; feet by forward kinematics.
Clip make_clip(int frames) {
  Clip c;
  const int nj = bittle().num_joints();
  for (int i = 0; i < frames; ++i) {
    const double t = i * c.step, s = 2 * M_PI * i / frames;
    std::vector<double> q(nj, 0.0);
    for (int l = 0; l < legs().num_legs(); ++l) {
      q[legs().leg(l).hip] = 0.3 + 0.45 * std::sin(s + 1.3 * l);
      q[legs().leg(l).knee] = 0.6 + 0.35 * std::cos(s + 0.9 * l);
    }
    const Eigen::Vector3d p(0.12 * t + 0.001, -0.03 * t, 0.08 + 0.004 * std::sin(2 * s));
    const Eigen::Quaterniond r = root_rotation(s);
    std::vector<double> row = {t, p.x(), p.y(), p.z(), r.x(), r.y(), r.z(), r.w()};
    for (int l = 0; l < legs().num_legs(); ++l) {
      const Eigen::Vector3d w = p + r * legs().foot(l, q[legs().leg(l).hip], q[legs().leg(l).knee]);
      row.insert(row.end(), {w.x(), w.y(), w.z()});
    }
    c.rows.push_back(row);
    c.q.push_back(q);
  }
  return c;
}

// CSV text of the clip with columns in the order `order` (indices into header()).
std::string csv(const Clip& c, std::vector<int> order = {}) {
  const std::vector<std::string> h = header();
  if (order.empty())
    for (size_t i = 0; i < h.size(); ++i) order.push_back(static_cast<int>(i));
  std::string s;
  for (size_t i = 0; i < order.size(); ++i) s += (i ? "," : "") + h[order[i]];
  s += "\n";
  for (const auto& r : c.rows) {
    for (size_t i = 0; i < order.size(); ++i) s += (i ? "," : "") + json_number(r[order[i]]);
    s += "\n";
  }
  return s;
}

using test::error_of;


void expect_recovers(const Clip& c, const ReferenceMotion& m) {
  ASSERT_EQ(m.frames.size(), c.rows.size());
  for (size_t i = 0; i < c.rows.size(); ++i) {
    ASSERT_EQ(m.frames[i].q.size(), c.q[i].size());
    for (size_t j = 0; j < c.q[i].size(); ++j) EXPECT_NEAR(m.frames[i].q[j], c.q[i][j], 1e-9) << "frame " << i << " joint " << j;
    EXPECT_EQ(m.frames[i].root_position, Eigen::Vector3d(c.rows[i][1], c.rows[i][2], c.rows[i][3]));
    EXPECT_NEAR(m.frames[i].root_orientation.angularDistance(root_rotation(2 * M_PI * i / c.rows.size())), 0, 1e-12);
  }
}

}  // namespace

TEST(Retarget, RecoversJointAnglesFromForwardKinematics) {
  ASSERT_EQ(legs().num_legs(), 4);
  EXPECT_EQ(header()[8], "FR_foot_x");
  const Clip c = make_clip(40);
  const ReferenceMotion m = retarget_csv(temp_csv(csv(c)), bittle(), legs());
  EXPECT_EQ(m.loop, ReferenceMotion::Loop::Wrap);
  EXPECT_NEAR(m.frame_duration, c.step, 1e-12);
  EXPECT_EQ(m.num_joints(), 8);
  expect_recovers(c, m);
}

TEST(Retarget, ColumnOrderCommentsAndCrlfDoNotMatter) {
  const Clip c = make_clip(12);
  std::vector<int> order(header().size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(order.size() - 1 - i);
  std::string text = "# made by test_retarget\n" + csv(c, order);
  std::string crlf;
  for (char ch : text) crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
  crlf += "\r\n\r\n";
  RetargetOptions opt;
  opt.loop = ReferenceMotion::Loop::Clamp;
  const ReferenceMotion m = retarget_csv(temp_csv(crlf), bittle(), legs(), opt);
  EXPECT_EQ(m.loop, ReferenceMotion::Loop::Clamp);
  expect_recovers(c, m);
}

TEST(Retarget, MalformedCsvNamesLineAndColumn) {
  const Clip c = make_clip(5);
  const std::string good = csv(c);
  auto replace_line = [&](int line, const std::string& with) {  // 1-based
    std::vector<std::string> lines;
    size_t a = 0;
    for (size_t b; (b = good.find('\n', a)) != std::string::npos; a = b + 1) lines.push_back(good.substr(a, b - a));
    lines[line - 1] = with;
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
  };
  auto set_field = [&](int line, int col, const std::string& v) {  // col 0-based
    std::vector<std::string> f;
    size_t a = 0, start = 0;
    for (int i = 1; i < line; ++i) start = good.find('\n', start) + 1;
    const std::string l = good.substr(start, good.find('\n', start) - start);
    for (size_t b; (b = l.find(',', a)) != std::string::npos; a = b + 1) f.push_back(l.substr(a, b - a));
    f.push_back(l.substr(a));
    f[col] = v;
    std::string out;
    for (size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + f[i];
    return replace_line(line, out);
  };
  Clip zero_q = c;
  std::fill(zero_q.rows[1].begin() + 4, zero_q.rows[1].begin() + 8, 0.0);
  std::string h;
  for (const auto& n : header()) h += (h.empty() ? "" : ",") + n;

  struct Case {
    std::string text, expect1, expect2;
  };
  const std::vector<Case> cases = {
      {"", "empty file", "t,root_x"},
      {replace_line(1, h.substr(0, h.rfind(','))), "line 1", "missing column 'RL_foot_z'"},
      {replace_line(1, h + ",extra"), "line 1, column 21 (extra)", "unknown column"},
      {replace_line(1, h + ",root_x"), "line 1, column 21 (root_x)", "duplicate column"},
      {set_field(4, 2, "abc"), "line 4, column 3 (root_y)", "expected a number, got 'abc'"},
      {set_field(3, 9, "nan"), "line 3, column 10 (FR_foot_y)", "finite"},
      {set_field(3, 9, "inf"), "line 3, column 10 (FR_foot_y)", "finite"},
      {set_field(3, 9, ""), "line 3, column 10 (FR_foot_y)", "expected a number, got ''"},
      {set_field(3, 9, "0.1x"), "line 3, column 10", "'0.1x'"},
      {set_field(4, 0, "0.0"), "line 4, column 1 (t)", "t must increase"},
      {set_field(4, 0, json_number(2.5 / 60)), "line 4, column 1 (t)", "constant time step"},
      {replace_line(3, "0.1,2,3"), "line 3", "expected 20 comma-separated fields (as in the header), got 3"},
      {h + "\n" + good.substr(good.find('\n') + 1, good.find('\n', good.find('\n') + 1) - good.find('\n')), "line 2",
       "at least 2 data rows"},
      {csv(zero_q), "line 3", "root quaternion (root_qx..root_qw) has norm 0"},
  };
  for (const Case& k : cases) {
    const std::string err = error_of([&] { retarget_csv(temp_csv(k.text), bittle(), legs()); });
    ASSERT_FALSE(err.empty()) << "accepted:\n" << k.text;
    EXPECT_HAS(err, "retarget_");
    EXPECT_HAS(err, k.expect1);
    EXPECT_HAS(err, k.expect2);
  }
  EXPECT_HAS(error_of([] { retarget_csv(kSrc + "/tests/data/motion/none.csv", bittle(), legs()); }), "none.csv");
}

TEST(Retarget, UnreachableFootNamesRowLegAndTarget) {
  Clip c = make_clip(6);
  int rr = -1;
  for (int l = 0; l < legs().num_legs(); ++l)
    if (legs().leg(l).name == "RR") rr = l;
  ASSERT_GE(rr, 0);
  // 20 cm further down along the base's z (in the leg's plane): beyond the 96 mm leg.
  const Eigen::Vector3d down = root_rotation(2 * M_PI * 3 / 6) * Eigen::Vector3d(0, 0, -0.2);
  for (int k = 0; k < 3; ++k) c.rows[3][8 + 3 * rr + k] += down[k];
  const std::string err = error_of([&] { retarget_csv(temp_csv(csv(c)), bittle(), legs()); });
  EXPECT_HAS(err, "line 5");  // header + rows 0..3
  EXPECT_HAS(err, "leg RR");
  EXPECT_HAS(err, json_number(c.rows[3][8 + 3 * rr + 2]));
  EXPECT_HAS(err, "out of the leg's reach");
  // Off the plane as well: both are reported.
  c.rows[3][8 + 3 * rr + 1] += 0.01;
  const std::string both = error_of([&] { retarget_csv(temp_csv(csv(c)), bittle(), legs()); });
  EXPECT_HAS(both, "off the leg's plane");
  EXPECT_HAS(both, "out of reach even in the plane");
}

TEST(Retarget, OffPlaneFootIsAnErrorUnlessProjected) {
  Clip c = make_clip(6);
  // Move FL's foot 2 mm sideways in the base frame (off its sagittal plane).
  const Eigen::Vector3d side = root_rotation(2 * M_PI * 2 / 6) * Eigen::Vector3d(0, 0.002, 0);
  for (int k = 0; k < 3; ++k) c.rows[2][8 + 3 * 1 + k] += side[k];
  ASSERT_EQ(legs().leg(1).name, "FL");
  const std::string path = temp_csv(csv(c));
  const std::string err = error_of([&] { retarget_csv(path, bittle(), legs()); });
  EXPECT_HAS(err, "line 4");
  EXPECT_HAS(err, "leg FL");
  EXPECT_HAS(err, "off the leg's plane");
  RetargetOptions opt;
  opt.project_to_leg_plane = true;
  const ReferenceMotion m = retarget_csv(path, bittle(), legs(), opt);
  expect_recovers(c, m);  // the sideways offset is all that was dropped
}
