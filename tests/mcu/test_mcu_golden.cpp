// The checked-in golden vectors (tests/data/golden) are exactly what the host firmware computes
// today from their sensor sequence: catches drift between robot_fw and the vectors the MCU
// programs compare against. Regenerate with the command in golden_vectors.h.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "pipeline/golden.h"

namespace tinywalk {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

const std::string kDir = TINYWALK_GOLDEN_DIR;

TEST(McuGolden, CheckedInVectorsMatchTheHostFirmware) {
  const std::string model = slurp(kDir + "/model.tflite");
  const std::string text = slurp(kDir + "/golden_vectors.txt");
  const std::vector<golden::SensorStep> in = golden::parse_text_sensors(text, kDir + "/golden_vectors.txt");
  const golden::Golden g = golden::run_firmware(model, in);
  EXPECT_EQ(golden::render_text(g), text) << "robot_fw's output drifted from tests/data/golden: regenerate (see golden_vectors.h) if intended";
  EXPECT_EQ(golden::render_header(g), slurp(kDir + "/golden_vectors.h"));
}

TEST(McuGolden, SequenceCoversTheSafetyPaths) {
  const std::string model = slurp(kDir + "/model.tflite");
  const golden::Golden g = golden::run_firmware(model, golden::parse_text_sensors(slurp(kDir + "/golden_vectors.txt"), "golden"));
  int ran = 0, faults = 0, misses = 0, fallen = 0, idle = 0;
  for (const auto& s : g.steps) {
    ran += (s.result >> 3) & 1;
    faults += (s.result >> 4) & 1;
    misses += (s.result >> 5) & 1;
    fallen += (s.result & 7) == static_cast<int>(fw::Mode::kFallen);
    idle += (s.result & 7) == static_cast<int>(fw::Mode::kIdle);
  }
  EXPECT_GE(ran, 50);
  EXPECT_GE(faults, 7);  // NaN, +inf, -inf, 2 out of range, repeated and old timestamps
  EXPECT_GE(misses, 1);
  EXPECT_GE(fallen, 3);
  EXPECT_GE(idle, 3);
}

TEST(McuGolden, TextRoundTripsTheSensorSequence) {
  const std::string text = slurp(kDir + "/golden_vectors.txt");
  const auto in = golden::parse_text_sensors(text, "golden");
  const auto again = golden::parse_text_sensors(golden::render_text(golden::run_firmware(slurp(kDir + "/model.tflite"), in)), "again");
  ASSERT_EQ(in.size(), again.size());
  for (size_t k = 0; k < in.size(); ++k) {
    EXPECT_EQ(in[k].now_us, again[k].now_us);
    EXPECT_EQ(std::memcmp(&in[k].imu, &again[k].imu, sizeof in[k].imu), 0) << k;
  }
}

}  // namespace
}  // namespace tinywalk
