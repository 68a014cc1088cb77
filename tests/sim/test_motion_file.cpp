// motion_imitation JSON files: reading a hand-written file, exact round trip,
// and every rejected input with the place it names.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "common/atomic_file.h"
#include "common/error.h"
#include "sim/motion_file.h"

using namespace tinywalk;
using namespace tinywalk::sim;

namespace {

const std::string kData = std::string(TINYWALK_SOURCE_DIR) + "/tests/data/motion/";

std::string temp_path(const std::string& ext) {
  static int k = 0;
  return ::testing::TempDir() + "/motion_" + std::to_string(::getpid()) + "_" + std::to_string(k++) + ext;
}

std::string temp_file(const std::string& text) {
  const std::string p = temp_path(".json");
  std::ofstream(p) << text;
  return p;
}

// A valid file with `frames` (JSON text of the Frames list) and `extra` lines.
std::string doc(const std::string& frames, const std::string& extra = "", const std::string& header =
                                                                              "\"LoopMode\": \"Wrap\",\n\"FrameDuration\": 0.02,\n") {
  return "{\n" + header + extra + "\"Frames\":\n" + frames + "\n}\n";
}

const std::string kRow = "[0, 0, 0.08, 0, 0, 0, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]";

// Loads text as an 8-joint motion and returns the error ("" if it loaded).
std::string error_of(const std::string& text) {
  try {
    load_motion_json(temp_file(text), 8);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_identical(const ReferenceMotion& a, const ReferenceMotion& b) {
  EXPECT_EQ(a.loop, b.loop);
  EXPECT_TRUE(same_bits(a.frame_duration, b.frame_duration));
  EXPECT_EQ(a.cycle_offset_position, b.cycle_offset_position);
  EXPECT_EQ(a.cycle_offset_rotation, b.cycle_offset_rotation);
  ASSERT_EQ(a.frames.size(), b.frames.size());
  for (size_t i = 0; i < a.frames.size(); ++i) {
    for (int k = 0; k < 3; ++k) EXPECT_TRUE(same_bits(a.frames[i].root_position[k], b.frames[i].root_position[k])) << i;
    for (int k = 0; k < 4; ++k)
      EXPECT_TRUE(same_bits(a.frames[i].root_orientation.coeffs()[k], b.frames[i].root_orientation.coeffs()[k])) << i;
    ASSERT_EQ(a.frames[i].q.size(), b.frames[i].q.size());
    for (size_t j = 0; j < a.frames[i].q.size(); ++j) EXPECT_TRUE(same_bits(a.frames[i].q[j], b.frames[i].q[j])) << i << " " << j;
  }
}

}  // namespace

TEST(MotionFile, ReadsMotionImitationLayout) {
  const ReferenceMotion m = load_motion_json(kData + "small_walk.json", 8);
  EXPECT_EQ(m.loop, ReferenceMotion::Loop::Wrap);
  EXPECT_DOUBLE_EQ(m.frame_duration, 0.025);
  EXPECT_TRUE(m.cycle_offset_position);
  EXPECT_FALSE(m.cycle_offset_rotation);
  ASSERT_EQ(m.frames.size(), 5u);
  ASSERT_EQ(m.num_joints(), 8);
  const MotionFrame& f1 = m.frames[1];
  EXPECT_DOUBLE_EQ(f1.root_position.x(), 0.004);
  EXPECT_DOUBLE_EQ(f1.root_position.z(), 0.0840);
  EXPECT_DOUBLE_EQ(f1.q[0], 0.70);  // joint order as in the file
  EXPECT_DOUBLE_EQ(f1.q[7], 0.30);
  // w is last in the file: frame 2 is a 90 deg yaw.
  const Eigen::Quaterniond& q2 = m.frames[2].root_orientation;
  EXPECT_NEAR(q2.z(), std::sqrt(0.5), 1e-8);
  EXPECT_NEAR(q2.w(), std::sqrt(0.5), 1e-8);
  EXPECT_NEAR(q2.norm(), 1.0, 1e-15);
  // (0, 0, 0, 2) is normalised to the identity.
  EXPECT_EQ(m.frames[3].root_orientation.coeffs(), Eigen::Quaterniond::Identity().coeffs());
}

TEST(MotionFile, OptionalFlagsDefaultToFalseAndClampIsRead) {
  const ReferenceMotion m = load_motion_json(temp_file(doc("[" + kRow + "]", "", "\"LoopMode\": \"Clamp\", \"FrameDuration\": 0.5,\n")), 8);
  EXPECT_EQ(m.loop, ReferenceMotion::Loop::Clamp);
  EXPECT_FALSE(m.cycle_offset_position);
  EXPECT_FALSE(m.cycle_offset_rotation);
  EXPECT_EQ(m.frames.size(), 1u);
}

TEST(MotionFile, SaveThenLoadIsExact) {
  ReferenceMotion m;
  m.loop = ReferenceMotion::Loop::Clamp;
  m.frame_duration = 1.0 / 60.0;
  m.cycle_offset_position = true;
  m.cycle_offset_rotation = true;
  const double awkward[] = {1.0 / 3.0, -0.0, 1e-300, 4.9e-324, 123456789.123456789, -2.0 / 7.0, M_PI, 0.1, -1e20, 5e-7};
  for (int i = 0; i < 7; ++i) {
    MotionFrame f;
    f.root_position = Eigen::Vector3d(0.01 * i + 1.0 / 3.0, -0.1 * i / 7.0, 0.0835 + 1e-9 * i);
    f.root_orientation = Eigen::Quaterniond(Eigen::AngleAxisd(0.3 * i + 0.1, Eigen::Vector3d(0.2, -0.5, 1.0).normalized()));
    for (int j = 0; j < 8; ++j) f.q.push_back(awkward[(i + j) % 10] * (j % 2 ? 1 : 0.5));
    m.frames.push_back(f);
  }
  const std::string p = temp_path(".json");
  save_motion_json(p, m);
  const ReferenceMotion back = load_motion_json(p, 8);
  expect_identical(m, back);
  // Writing the loaded motion gives the same bytes.
  const std::string p2 = temp_path(".json");
  save_motion_json(p2, back);
  EXPECT_EQ(read_file(p), read_file(p2));
  // Loading a file written by another tool and saving it is a fixed point too.
  const ReferenceMotion w = load_motion_json(kData + "small_walk.json", 8);
  const std::string p3 = temp_path(".json");
  save_motion_json(p3, w);
  expect_identical(w, load_motion_json(p3, 8));
}

TEST(MotionFile, SaveIsAtomicAndRejectsUnwritableMotions) {
  ReferenceMotion m;
  m.frames.resize(2);
  m.frames[0].q.assign(8, 0.5);
  m.frames[1].q.assign(8, 0.6);
  const std::string p = temp_path(".json");
  std::ofstream(p) << "old contents";
  m.frames[1].q[3] = std::numeric_limits<double>::quiet_NaN();
  try {
    save_motion_json(p, m);
    FAIL() << "NaN was written";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("Frames[1][10]"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(p), "old contents");  // untouched
  m.frames[1].q[3] = 0.6;
  m.frames[1].q.push_back(0.1);
  EXPECT_THROW(save_motion_json(p, m), InputError);  // frames of different widths
  m.frames[1].q.pop_back();
  m.frame_duration = 0;
  EXPECT_THROW(save_motion_json(p, m), InputError);
  m.frame_duration = 0.02;
  EXPECT_THROW(save_motion_json("/nonexistent_dir_tinywalk/x.json", m), InputError);
  save_motion_json(p, m);
  EXPECT_EQ(load_motion_json(p, 8).frames.size(), 2u);
}

TEST(MotionFile, ErrorsNameFileKeyAndExpectation) {
  struct Case {
    std::string text, expect1, expect2;
  };
  const std::string row14 = "[0, 0, 0.08, 0, 0, 0, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]";
  const std::vector<Case> cases = {
      {"{\"LoopMode\": \"Wrap\",", "malformed JSON", "line 1"},
      {"", "empty", ""},
      {"LoopMode: Wrap\nFrameDuration: 0.02\nFrames: []\n", "expected a JSON object", ""},
      {"[1, 2]", "expected a JSON object", ""},
      {doc("[" + kRow + "]", "", "\"FrameDuration\": 0.02,\n"), "LoopMode", "missing key"},
      {doc("[" + kRow + "]", "", "\"LoopMode\": \"Wrap\",\n"), "FrameDuration", "missing key"},
      {"{\"LoopMode\": \"Wrap\", \"FrameDuration\": 0.02}", "Frames", "missing key"},
      {doc("[" + kRow + "]", "", "\"LoopMode\": \"wrap\",\n\"FrameDuration\": 0.02,\n"), "line 2: LoopMode",
       "expected \"Wrap\" or \"Clamp\""},
      {doc("[" + kRow + "]", "", "\"LoopMode\": \"Wrap\",\n\"FrameDuration\": 0,\n"), "line 3: FrameDuration", "> 0"},
      {doc("[" + kRow + "]", "", "\"LoopMode\": \"Wrap\",\n\"FrameDuration\": -0.1,\n"), "FrameDuration", "> 0"},
      {doc("[" + kRow + "]", "", "\"LoopMode\": \"Wrap\",\n\"FrameDuration\": \"0.02\",\n"), "FrameDuration",
       "expected a number, got the string"},
      {doc("[\n" + kRow + ",\n" + row14 + "\n]"), "line 7: Frames[1]",
       "expected 15 numbers per frame (7 root + 8 joints), got 14"},
      {doc("[]"), "Frames", "at least one frame"},
      {doc("{}"), "Frames", "expected a list of frames"},
      {doc("[[0, 0, 0.08, 0, 0, 0, 1, 0.5, 0.5, NaN, 0.5, 0.5, 0.5, 0.5, 0.5]]"), "Frames[0][9]", "finite"},
      {doc("[[0, 0, 0.08, 0, 0, 0, 1, 0.5, 0.5, -Infinity, 0.5, 0.5, 0.5, 0.5, 0.5]]"), "Frames[0][9]", "finite"},
      {doc("[[0, 0, 0.08, 0, 0, 0, 1, 0.5, 0.5, 1e999, 0.5, 0.5, 0.5, 0.5, 0.5]]"), "Frames[0][9]", "finite"},
      {doc("[[0, 0, 0.08, 0, 0, 0, 1, 0.5, 0.5, \"0.5\", 0.5, 0.5, 0.5, 0.5, 0.5]]"), "Frames[0][9]", "expected a number"},
      {doc("[[0, 0, 0.08, 0, 0, 0, 1, 0.5, 0.5, 0x10, 0.5, 0.5, 0.5, 0.5, 0.5]]"), "Frames[0][9]", "expected a number"},
      {doc("[[0, 0, 0.08, 0, 0, 0, 1, 0.5, 0.5, null, 0.5, 0.5, 0.5, 0.5, 0.5]]"), "Frames[0][9]", "expected a number"},
      {doc("[[0, 0, 0.08, 0, 0, 0, 1, 0.5, 0.5, [1], 0.5, 0.5, 0.5, 0.5, 0.5]]"), "Frames[0][9]", "expected a number"},
      {doc("[3]"), "Frames[0]", "expected a list of numbers"},
      {doc("[[0, 0, 0.08, 0, 0, 1e-7, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]"), "Frames[0]", "quaternion"},
      {doc("[" + kRow + "]", "\"Weight\": 1,\n"), "line 4: Weight", "unknown key"},
      {doc("[" + kRow + "]", "\"LoopMode\": \"Clamp\",\n"), "line 4: LoopMode", "duplicate key"},
      {doc("[" + kRow + "]", "\"EnableCycleOffsetPosition\": 1,\n"), "EnableCycleOffsetPosition", "expected true or false"},
      {doc("[" + kRow + "]", "\"EnableCycleOffsetRotation\": yes,\n"), "EnableCycleOffsetRotation", "expected true or false"},
      {doc("[" + kRow + "]", "\"MotionWeight\": \"high\",\n"), "MotionWeight", "expected a number"},
  };
  for (const Case& c : cases) {
    const std::string err = error_of(c.text);
    SCOPED_TRACE(c.text);
    ASSERT_FALSE(err.empty()) << "accepted:\n" << c.text;
    EXPECT_NE(err.find("motion_"), std::string::npos) << err;  // names the file
    EXPECT_NE(err.find(c.expect1), std::string::npos) << err;
    EXPECT_NE(err.find(c.expect2), std::string::npos) << err;
  }
}

TEST(MotionFile, MissingFileAndOtherJointCounts) {
  try {
    load_motion_json(kData + "no_such_motion.json", 8);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_motion.json"), std::string::npos);
  }
  // The width follows num_joints: a 12-joint robot needs 19 numbers per frame.
  const std::string err = error_of(doc("[" + kRow + "]"));
  EXPECT_EQ(err, "");
  try {
    load_motion_json(temp_file(doc("[" + kRow + "]")), 12);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected 19 numbers per frame (7 root + 12 joints), got 15"), std::string::npos)
        << e.what();
  }
}
