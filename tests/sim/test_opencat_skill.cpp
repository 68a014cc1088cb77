// OpenCat gait skills: parsing C text (a hand-written InstinctBittle.h-style
// header), exact text and byte round trips, the joint index / direction map,
// ReferenceMotion conversions and the errors that name frame and joint.
#include <gtest/gtest.h>

#include "tests/test_util.h"
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <functional>

#include "common/atomic_file.h"
#include "common/error.h"
#include "sim/opencat_skill.h"

using namespace tinywalk;
using namespace tinywalk::sim;

namespace {

const std::string kSrc = TINYWALK_SOURCE_DIR;
const std::string kExample = kSrc + "/tests/data/motion/example_skills.h";
constexpr double kDeg = M_PI / 180.0;

std::string temp_path(const std::string& ext) {
  static int k = 0;
  return ::testing::TempDir() + "/skill_" + std::to_string(::getpid()) + "_" + std::to_string(k++) + ext;
}

// Bittle's map (configs/robots/bittle.yaml): FR shoulder, FR knee, FL shoulder,
// FL knee, RR ..., RL ... -> firmware 9, 13, 8, 12, 10, 14, 11, 15.
RobotConfig bittle_like() {
  RobotConfig c;
  c.name = "bittle";
  c.joints = {"FR_shoulder", "FR_knee", "FL_shoulder", "FL_knee", "RR_shoulder", "RR_knee", "RL_shoulder", "RL_knee"};
  c.firmware_index = {9, 13, 8, 12, 10, 14, 11, 15};
  c.firmware_direction = {1, 1, 1, 1, 1, 1, 1, 1};
  return c;
}

using test::error_of;


// A smooth periodic 8-joint motion (rad) with `n` frames, the last equal to the first.
ReferenceMotion periodic_motion(int n, double amplitude_deg = 20) {
  ReferenceMotion m;
  m.loop = ReferenceMotion::Loop::Wrap;
  m.frame_duration = 0.02;
  for (int i = 0; i < n; ++i) {
    const double phase = 2 * M_PI * (i % (n - 1)) / (n - 1);
    MotionFrame f;
    for (int j = 0; j < 8; ++j) f.q.push_back((30 + amplitude_deg * std::sin(phase + 0.7 * j)) * kDeg + 0.001 * j);
    m.frames.push_back(f);
  }
  return m;
}

}  // namespace

TEST(OpenCatSkill, ParsesNamedGaitFromHeaderText) {
  const OpenCatSkill s = load_skill_text(kExample, "tstWalk");
  EXPECT_EQ(s.name, "tstWalk");
  EXPECT_EQ(s.frames(), 3);
  EXPECT_EQ(s.roll, 0);
  EXPECT_EQ(s.pitch, -3);
  EXPECT_EQ(s.angle_ratio, 1);
  const std::array<int8_t, 8> f0 = {31, 28, 36, 24, -5, 17, 12, 9};
  const std::array<int8_t, 8> f2 = {22, 35, 45, 30, 10, 0, -8, 20};
  EXPECT_EQ(s.angles[0], f0);
  EXPECT_EQ(s.angles[2], f2);
  EXPECT_EQ(s.degrees(1, 11), -12);  // frame 1, index 11 (column 3)
  EXPECT_EQ(s.byte_size(), 4 + 8 * 3);
}

TEST(OpenCatSkill, RejectsPosturesBehavioursAndAmbiguity) {
  const std::string text = read_file(kExample);
  std::string err = error_of([&] { parse_skill_text(text, kExample, "tstSit"); });
  EXPECT_HAS(err, "example_skills.h");
  EXPECT_HAS(err, "posture");
  EXPECT_HAS(err, "line 9, column 1");
  err = error_of([&] { parse_skill_text(text, kExample, "tstBow"); });
  EXPECT_HAS(err, "negative");
  EXPECT_HAS(err, "behaviour");
  err = error_of([&] { parse_skill_text(text, kExample); });
  EXPECT_HAS(err, "5 arrays (tstSit, tstBow, tstWalk, skillNameWithType, progmemPointer)");
  err = error_of([&] { parse_skill_text(text, kExample, "wkF"); });
  EXPECT_HAS(err, "no array named 'wkF'");
  err = error_of([&] { parse_skill_text(text, kExample, "progmemPointer"); });
  EXPECT_HAS(err, "expected an integer, got 'tstSit'");
  EXPECT_TRUE(error_of([&] { parse_skill_text("int x = 3;", "t.h"); }).find("no C array") != std::string::npos);
}

TEST(OpenCatSkill, TextErrorsNameLineAndColumn) {
  struct Case {
    std::string text, expect1, expect2;
  };
  const std::vector<Case> cases = {
      {"const int8_t a[] PROGMEM = {\n1, 0, 0, 1,\n 1, 2, 3, 200, 5, 6, 7, 8,\n};", "line 3, column 11", "200 does not fit an int8"},
      {"const int8_t a[] = {1, 0, 0, 1, 1, 2, 3, 1.5, 5, 6, 7, 8};", "line 1, column 42", "'1.5'"},
      {"const int8_t a[] = {1, 0, 0, 1, 1, 2 3, 4, 5, 6, 7, 8};", "line 1, column 38", "expected ','"},
      {"const int8_t a[] = {2, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8};", "line 1", "needs 4 + 8 x 2 = 20 values, got 12"},
      {"const int8_t a[] = {1, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7};", "line 1", "got 11"},
      {"const int8_t a[] = {0, 0, 0, 1};", "line 1, column 21", "frame count is 0"},
      {"const int8_t a[] = {1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};", "column 30", "angle ratio 0"},
      {"const int8_t a[] = {};", "line 1", "empty array"},
      {"const int8_t a[] = {1, 0, 0, 1, /* oops", "line 1", "unterminated"},
      {"const int8_t a[] = {1, 0, 0, 1, 1, 2", "line 1", "missing closing"},
  };
  for (const Case& c : cases) {
    const std::string err = error_of([&] { parse_skill_text(c.text, "my_skill.h"); });
    ASSERT_FALSE(err.empty()) << "accepted: " << c.text;
    EXPECT_HAS(err, "my_skill.h");
    EXPECT_HAS(err, c.expect1);
    EXPECT_HAS(err, c.expect2);
  }
}

TEST(OpenCatSkill, TextRoundTripIsExact) {
  const OpenCatSkill s = load_skill_text(kExample, "tstWalk");
  const std::string text = skill_to_text(s);
  const OpenCatSkill back = parse_skill_text(text, "roundtrip");
  EXPECT_EQ(back, s);
  EXPECT_EQ(skill_to_text(back), text);
  // Extremes survive, and a file written atomically reads back.
  OpenCatSkill x;
  x.name = "edge_1";
  x.roll = -128;
  x.pitch = 127;
  x.angle_ratio = 127;
  x.angles = {{-128, 127, 0, -1, 1, -100, 100, 64}};
  const std::string p = temp_path(".h");
  save_skill_text(p, x);
  EXPECT_EQ(load_skill_text(p), x);
  EXPECT_EQ(parse_skill_text(skill_to_text(x), "x"), x);
}

TEST(OpenCatSkill, BytesRoundTripIsExact) {
  const OpenCatSkill s = load_skill_text(kExample, "tstWalk");
  const std::vector<uint8_t> b = skill_to_bytes(s);
  ASSERT_EQ(b.size(), 28u);
  EXPECT_EQ(b[0], 3);
  EXPECT_EQ(b[2], 0xFD);  // pitch -3, two's complement
  EXPECT_EQ(b[3], 1);
  EXPECT_EQ(b[4], 31);
  EXPECT_EQ(b[8], 0xFB);  // -5 at frame 0, index 12
  const OpenCatSkill back = skill_from_bytes(b, "tstWalk");
  EXPECT_EQ(back, s);
  EXPECT_EQ(skill_to_bytes(back), b);
  const std::string p = temp_path(".bin");
  save_skill_bytes(p, s);
  EXPECT_EQ(read_file(p), std::string(b.begin(), b.end()));
  EXPECT_EQ(load_skill_bytes(p, "tstWalk"), s);
}

TEST(OpenCatSkill, ByteErrorsNameOffset) {
  std::vector<uint8_t> ok = {1, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(skill_from_bytes(ok, "a").frames(), 1);
  std::string err = error_of([] { skill_from_bytes({1, 0}, "a", "a.bin"); });
  EXPECT_HAS(err, "a.bin: byte 2");
  EXPECT_HAS(err, "4-byte header");
  std::vector<uint8_t> b = ok;
  b.pop_back();
  err = error_of([&] { skill_from_bytes(b, "a", "a.bin"); });
  EXPECT_HAS(err, "byte 11");
  EXPECT_HAS(err, "got 11");
  b = ok;
  b[0] = 0xFE;  // -2: a behaviour
  EXPECT_HAS(error_of([&] { skill_from_bytes(b, "a", "a.bin"); }), "byte 0");
  b = ok;
  b.resize(20, 0);  // 1 frame of 16 angles
  EXPECT_HAS(error_of([&] { skill_from_bytes(b, "a", "a.bin"); }), "posture");
  b = ok;
  b[3] = 0;
  EXPECT_HAS(error_of([&] { skill_from_bytes(b, "a", "a.bin"); }), "byte 3");
  EXPECT_HAS(error_of([&] { skill_from_bytes(ok, "not a name", "a.bin"); }), "C identifier");
}

TEST(OpenCatSkill, IndexOrderAndDirectionMapping) {
  // One distinct value per firmware index: column c (index 8 + c) holds 10 c + 1.
  OpenCatSkill s;
  s.name = "map";
  s.angles = {{1, 11, 21, 31, 41, 51, 61, 71}};
  RobotConfig c = bittle_like();
  ReferenceMotion m = skill_to_motion(s, c, 0.05);
  ASSERT_EQ(m.frames.size(), 2u);  // frame 0 and the closing copy
  EXPECT_EQ(m.loop, ReferenceMotion::Loop::Wrap);
  EXPECT_DOUBLE_EQ(m.frame_duration, 0.05);
  const MotionFrame& f = m.frames[0];
  EXPECT_NEAR(f.q[0], 11 * kDeg, 1e-12);  // robot joint 0 = FR shoulder = firmware index 9
  EXPECT_NEAR(f.q[1], 51 * kDeg, 1e-12);  // FR knee = 13
  EXPECT_NEAR(f.q[2], 1 * kDeg, 1e-12);   // FL shoulder = 8
  EXPECT_NEAR(f.q[3], 41 * kDeg, 1e-12);  // FL knee = 12
  EXPECT_NEAR(f.q[4], 21 * kDeg, 1e-12);  // RR shoulder = 10
  EXPECT_NEAR(f.q[7], 71 * kDeg, 1e-12);  // RL knee = 15
  EXPECT_EQ(f.root_position, Eigen::Vector3d::Zero());
  EXPECT_EQ(f.root_orientation.coeffs(), Eigen::Quaterniond::Identity().coeffs());
  EXPECT_EQ(m.frames[1].q, f.q);

  // A direction of -1 flips the sign both ways.
  c.firmware_direction[0] = -1;
  m = skill_to_motion(s, c);
  EXPECT_NEAR(m.frames[0].q[0], -11 * kDeg, 1e-12);
  SkillFromMotionOptions opt;
  opt.name = "map";
  EXPECT_EQ(motion_to_skill(m, c, opt), s);  // closing frame dropped, back to 1 frame
  m.frames[0].q[0] = 0.3;  // robot joint 0 -> column 1 (index 9), negated
  m.frames[1].q[0] = 0.3;
  EXPECT_EQ(motion_to_skill(m, c, opt).angles[0][1], static_cast<int8_t>(std::lround(-0.3 / kDeg)));

  // The map of the shipped Bittle config is the same.
  const Robot bittle = load_robot(kSrc + "/configs/robots/bittle.yaml");
  EXPECT_EQ(bittle.config.firmware_index, bittle_like().firmware_index);
  EXPECT_NEAR(skill_to_motion(s, bittle.config).frames[0].q[0], 11 * kDeg, 1e-12);
}

TEST(OpenCatSkill, BadFirmwareMapIsAnError) {
  OpenCatSkill s;
  s.name = "x";
  s.angles = {{0, 0, 0, 0, 0, 0, 0, 0}};
  RobotConfig c = bittle_like();
  c.firmware_index[3] = 9;  // 9 twice
  EXPECT_HAS(error_of([&] { skill_to_motion(s, c); }), "firmware_index[3]");
  c.firmware_index.clear();
  EXPECT_HAS(error_of([&] { skill_to_motion(s, c); }), "expected 8 firmware indices");
  c = bittle_like();
  c.firmware_direction = {};  // empty = all +1
  EXPECT_NO_THROW(skill_to_motion(s, c));
}

TEST(OpenCatSkill, MotionToSkillToMotionWithinHalfDegree) {
  const RobotConfig c = bittle_like();
  const ReferenceMotion m = periodic_motion(21);
  SkillFromMotionOptions opt;
  opt.name = "wkT";
  const OpenCatSkill s = motion_to_skill(m, c, opt);
  EXPECT_EQ(s.frames(), 20);  // the closing frame is the next cycle's first
  const ReferenceMotion back = skill_to_motion(s, c, m.frame_duration);
  ASSERT_EQ(back.frames.size(), m.frames.size());
  for (size_t i = 0; i < m.frames.size(); ++i)
    for (int j = 0; j < 8; ++j) EXPECT_NEAR(back.frames[i].q[j], m.frames[i].q[j], 0.5 * kDeg + 1e-12) << i << " " << j;
  // Played as a loop, the motion wraps from skill frame 19 to frame 0 and on.
  const double fd = m.frame_duration;
  for (int j = 0; j < 8; ++j) {
    EXPECT_NEAR(back.at(20.5 * fd).q[j], 0.5 * (back.frames[0].q[j] + back.frames[1].q[j]), 1e-9);
    EXPECT_NEAR(back.at(19.5 * fd).q[j], 0.5 * (back.frames[19].q[j] + back.frames[0].q[j]), 1e-9);
  }
  // The skill's integer angles round-trip exactly through the motion.
  EXPECT_EQ(motion_to_skill(back, c, opt), s);

  // Resampled to 10 frames: sample k at k * duration / 10.
  opt.frames = 10;
  const OpenCatSkill s10 = motion_to_skill(m, c, opt);
  ASSERT_EQ(s10.frames(), 10);
  for (int k = 0; k < 10; ++k)
    for (int j = 0; j < 8; ++j)
      EXPECT_NEAR(s10.degrees(k, c.firmware_index[j]) * kDeg, m.frames[2 * k].q[j], 0.5 * kDeg + 1e-12) << k << " " << j;

  // Clamp: both ends sampled.
  ReferenceMotion clamp = m;
  clamp.loop = ReferenceMotion::Loop::Clamp;
  opt.frames = 0;
  EXPECT_EQ(motion_to_skill(clamp, c, opt).frames(), 21);
  opt.frames = 11;
  const OpenCatSkill s11 = motion_to_skill(clamp, c, opt);
  for (int j = 0; j < 8; ++j)
    EXPECT_NEAR(s11.degrees(10, c.firmware_index[j]) * kDeg, m.frames[20].q[j], 0.5 * kDeg + 1e-12);
}

TEST(OpenCatSkill, AngleRatioExtendsTheRange) {
  const RobotConfig c = bittle_like();
  ReferenceMotion m = periodic_motion(5);
  for (auto& f : m.frames) f.q[1] = 170 * kDeg;  // FR knee (index 13), beyond int8 degrees
  SkillFromMotionOptions opt;
  std::string err = error_of([&] { motion_to_skill(m, c, opt); });
  EXPECT_HAS(err, "skill frame 0");
  EXPECT_HAS(err, "joint FR_knee (firmware index 13)");
  EXPECT_HAS(err, "does not fit an int8");
  opt.angle_ratio = 2;
  const OpenCatSkill s = motion_to_skill(m, c, opt);
  EXPECT_EQ(s.angles[0][5], 85);
  EXPECT_EQ(s.degrees(0, 13), 170);
  const ReferenceMotion back = skill_to_motion(s, c, m.frame_duration);
  for (size_t i = 0; i < m.frames.size(); ++i)
    for (int j = 0; j < 8; ++j) EXPECT_NEAR(back.frames[i].q[j], m.frames[i].q[j], 1.0 * kDeg + 1e-12);
}

TEST(OpenCatSkill, OverLimitNamesFrameAndJoint) {
  const RobotConfig c = bittle_like();
  ReferenceMotion m = periodic_motion(9, 5);
  m.frames[3].q[0] = 85 * kDeg;  // FR shoulder = index 9, limit [-200, 80]
  SkillFromMotionOptions opt;
  opt.source = "pace.json";
  std::string err = error_of([&] { motion_to_skill(m, c, opt); });
  EXPECT_HAS(err, "pace.json");
  EXPECT_HAS(err, "skill frame 3");
  EXPECT_HAS(err, "joint FR_shoulder (firmware index 9)");
  EXPECT_HAS(err, "85 deg is outside the firmware's limit [-200, 80]");
  // The same angle on a rear shoulder (limit [-80, 200]) is fine, -85 is not.
  m.frames[3].q[0] = m.frames[2].q[0];
  m.frames[3].q[4] = 85 * kDeg;
  EXPECT_NO_THROW(motion_to_skill(m, c, opt));
  m.frames[3].q[4] = -85 * kDeg;
  err = error_of([&] { motion_to_skill(m, c, opt); });
  EXPECT_HAS(err, "joint RR_shoulder (firmware index 10)");
  EXPECT_HAS(err, "[-80, 200]");
  m.frames[3].q[4] = std::nan("");
  EXPECT_HAS(error_of([&] { motion_to_skill(m, c, opt); }), "not a finite number");
  EXPECT_EQ(firmware_angle_limits(8).max, 80);
  EXPECT_EQ(firmware_angle_limits(15).min, -80);
}

TEST(OpenCatSkill, OverSizeSuggestsFewerFrames) {
  const RobotConfig c = bittle_like();
  const ReferenceMotion m = periodic_motion(61);
  SkillFromMotionOptions opt;
  opt.source = "long.json";
  std::string err = error_of([&] { motion_to_skill(m, c, opt); });
  EXPECT_HAS(err, "long.json");
  EXPECT_HAS(err, "60 frames need 4 + 8 x 60 = 484 bytes");
  EXPECT_HAS(err, "limit of 400 bytes");
  EXPECT_HAS(err, "use at most 49 frames");
  opt.frames = 49;
  EXPECT_EQ(motion_to_skill(m, c, opt).byte_size(), 396);
  opt.max_bytes = 200;
  EXPECT_HAS(error_of([&] { motion_to_skill(m, c, opt); }), "use at most 24 frames");
  opt.max_bytes = 2000;
  opt.frames = 0;
  EXPECT_EQ(motion_to_skill(m, c, opt).frames(), 60);  // allowed when the budget is raised (ESP32 board)
  opt.frames = 128;
  EXPECT_HAS(error_of([&] { motion_to_skill(m, c, opt); }), "at most 127");
  ReferenceMotion twelve = m;
  for (auto& f : twelve.frames) f.q.resize(12, 0.0);
  EXPECT_HAS(error_of([&] { motion_to_skill(twelve, c); }), "needs 8");
}
