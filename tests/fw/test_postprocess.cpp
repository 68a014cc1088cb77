// Tests for robot_fw/postprocess: each stage on hand-computed sequences, validation, no heap.
#include "robot_fw/postprocess.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <vector>

#include "tests/alloc_counter.h"


namespace {

using namespace tinywalk::fw;
using S = PostprocessStatus;

// Identity-ish config: 8 joints, t = offset + 10 * q cdeg, every stage off, index j -> 8 + j.
PostprocessConfig base_config() {
  PostprocessConfig c{};
  c.num_joints = 8;
  c.zero_point = 0;
  c.scale_shift = 0;
  c.dead_zone_cdeg = 0;
  c.ma_window = 1;
  c.lowpass_enabled = false;
  c.rate_limit_cdeg = 0;
  for (int j = 0; j < kMaxJoints; ++j) {
    c.scale_num[j] = 10;
    c.offset_cdeg[j] = 3000;
    c.min_cdeg[j] = -kMaxAbsCdeg;
    c.max_cdeg[j] = kMaxAbsCdeg;
    c.direction[j] = 1;
    c.calib_cdeg[j] = 0;
    c.index_map[j] = static_cast<uint8_t>(8 + j);
  }
  return c;
}

// Runs joint 0 over a sequence of int8 outputs (all joints get the same q) and returns the
// clamped command in centidegrees after each step.
std::vector<int32_t> run(const PostprocessConfig& c, PostprocessState& s, const std::vector<int>& qs) {
  std::vector<int32_t> out;
  int8_t q[kMaxJoints];
  int16_t fw[kOpenCatJointCount] = {};
  for (int v : qs) {
    for (auto& e : q) e = static_cast<int8_t>(v);
    EXPECT_EQ(postprocess_step(c, s, q, fw), S::kOk);
    out.push_back(s.cmd_cdeg[0]);
  }
  return out;
}

// Q14 coefficients of a 2nd-order Butterworth low-pass (bilinear transform) with the DC gain
// made exactly one by adjusting b1.
void butterworth_q14(double fc, double fs, PostprocessConfig& c) {
  const double k = std::tan(M_PI * fc / fs), q = std::sqrt(0.5);
  const double norm = 1.0 / (1.0 + k / q + k * k);
  const double b0 = k * k * norm, b1 = 2 * b0, a1 = 2 * (k * k - 1) * norm, a2 = (1 - k / q + k * k) * norm;
  c.lowpass_enabled = true;
  c.b0 = c.b2 = static_cast<int32_t>(std::lround(b0 * 16384));
  c.a1 = static_cast<int32_t>(std::lround(a1 * 16384));
  c.a2 = static_cast<int32_t>(std::lround(a2 * 16384));
  c.b1 = 16384 + c.a1 + c.a2 - 2 * c.b0;
  (void)b1;
}

TEST(Postprocess, RoundingHelpers) {
  EXPECT_EQ(cdeg_to_deg(0), 0);
  EXPECT_EQ(cdeg_to_deg(49), 0);
  EXPECT_EQ(cdeg_to_deg(50), 1);
  EXPECT_EQ(cdeg_to_deg(149), 1);
  EXPECT_EQ(cdeg_to_deg(150), 2);
  EXPECT_EQ(cdeg_to_deg(-49), 0);
  EXPECT_EQ(cdeg_to_deg(-50), -1);
  EXPECT_EQ(cdeg_to_deg(-149), -1);
  EXPECT_EQ(cdeg_to_deg(-150), -2);
  EXPECT_EQ(cdeg_to_deg(-2999), -30);
  EXPECT_EQ(cdeg_to_deg(-3050), -31);
  EXPECT_EQ(cdeg_to_deg(10000000), 32767);  // saturates
  EXPECT_EQ(floor_shift(-35, 2), -9);
  EXPECT_EQ(floor_shift(-36, 2), -9);
  EXPECT_EQ(floor_shift(35, 2), 8);
  EXPECT_EQ(floor_shift(-1, 30), -1);
  EXPECT_EQ(div_round_away(1, 3), 0);
  EXPECT_EQ(div_round_away(2, 3), 1);
  EXPECT_EQ(div_round_away(-2, 3), -1);
  EXPECT_EQ(div_round_away(1, 2), 1);
  EXPECT_EQ(div_round_away(-1, 2), -1);
}

TEST(Postprocess, Validation) {
  PostprocessState s{};
  auto c = base_config();
  EXPECT_EQ(postprocess_validate(c), S::kOk);
  int8_t q[kMaxJoints] = {};
  int16_t fw[kOpenCatJointCount] = {};
  EXPECT_EQ(postprocess_step(c, s, q, fw), S::kNotInitialized);  // never reset
  c.ma_window = 0;
  EXPECT_EQ(postprocess_reset(c, s, nullptr), S::kBadWindow);
  c.ma_window = 9;
  EXPECT_EQ(postprocess_validate(c), S::kBadWindow);
  c = base_config();
  c.num_joints = 17;
  EXPECT_EQ(postprocess_validate(c), S::kBadJointCount);
  c = base_config();
  c.direction[3] = 0;
  EXPECT_EQ(postprocess_validate(c), S::kBadDirection);
  c = base_config();
  c.index_map[5] = c.index_map[2];
  EXPECT_EQ(postprocess_validate(c), S::kBadIndexMap);
  c = base_config();
  c.index_map[0] = 16;
  EXPECT_EQ(postprocess_validate(c), S::kBadIndexMap);
  c = base_config();
  c.min_cdeg[1] = 5000;
  c.max_cdeg[1] = 4000;
  EXPECT_EQ(postprocess_validate(c), S::kBadLimits);
  c = base_config();
  c.scale_num[0] = (1 << 22) + 1;
  EXPECT_EQ(postprocess_validate(c), S::kBadScale);
  c = base_config();
  c.scale_shift = 31;
  EXPECT_EQ(postprocess_validate(c), S::kBadShift);
  c = base_config();
  butterworth_q14(4, 30, c);
  EXPECT_EQ(postprocess_validate(c), S::kOk);
  c.b1 += 1;  // DC gain no longer exactly one
  EXPECT_EQ(postprocess_validate(c), S::kBadFilter);
  c = base_config();
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  EXPECT_EQ(postprocess_step(c, s, nullptr, fw), S::kNullPointer);
  auto c2 = c;
  c2.ma_window = 4;  // state was reset with window 1
  EXPECT_EQ(postprocess_step(c2, s, q, fw), S::kNotInitialized);
}

TEST(Postprocess, DequantizeAffineFloor) {
  auto c = base_config();
  c.num_joints = 1;
  c.scale_num[0] = 5;
  c.scale_shift = 2;
  c.zero_point = -3;
  PostprocessState s{};
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  // q=10: 5*13=65 -> floor(16.25)=16; q=-10: 5*(-7)=-35 -> floor(-8.75)=-9; q=-3: zp -> 0.
  EXPECT_EQ(run(c, s, {10, -10, -3, 127, -128}),
            (std::vector<int32_t>{3016, 2991, 3000, 3000 + (5 * 130) / 4, 3000 + floor_shift(5 * -125, 2)}));
}

TEST(Postprocess, DeadZoneHoldsSmallChanges) {
  auto c = base_config();
  c.dead_zone_cdeg = 100;
  PostprocessState s{};
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  // targets: 3050 (hold 3000), 3090 (hold), 3100 (|d|=100 passes), 3150 (hold 3100),
  // 3000 (passes), 2910 (hold 3000), 2900 (passes).
  EXPECT_EQ(run(c, s, {5, 9, 10, 15, 0, -9, -10}), (std::vector<int32_t>{3000, 3000, 3100, 3100, 3000, 3000, 2900}));
}

TEST(Postprocess, MovingAverageValues) {
  auto c = base_config();
  c.ma_window = 4;
  PostprocessState s{};
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  EXPECT_EQ(run(c, s, {40, 40, 40, 40, 40, 0}), (std::vector<int32_t>{3100, 3200, 3300, 3400, 3400, 3300}));

  // Rounding to nearest, ties away from zero, around a zero pose (1 LSB = 1 cdeg).
  c = base_config();
  c.ma_window = 3;
  for (int j = 0; j < kMaxJoints; ++j) c.offset_cdeg[j] = 0, c.scale_num[j] = 1;
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  EXPECT_EQ(run(c, s, {1, 1, 1, -1, -1, -1}), (std::vector<int32_t>{0, 1, 1, 0, 0, -1}));  // 1/3,2/3,1,1/3,-1/3,-1
  c.ma_window = 2;
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  EXPECT_EQ(run(c, s, {1, 1, -1, -1}), (std::vector<int32_t>{1, 1, 0, -1}));  // 0.5 -> 1, 1, 0, -1
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  EXPECT_EQ(run(c, s, {-1}), (std::vector<int32_t>{-1}));  // -0.5 -> -1
  // Window 8 (the capacity).
  c.ma_window = 8;
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  EXPECT_EQ(run(c, s, {80, 80, 80, 80, 80, 80, 80, 80, 80}),
            (std::vector<int32_t>{10, 20, 30, 40, 50, 60, 70, 80, 80}));
}

TEST(Postprocess, LowPassCriticallyDampedStepIsMonotoneAndSettles) {
  auto c = base_config();
  for (int j = 0; j < kMaxJoints; ++j) c.offset_cdeg[j] = 0, c.scale_num[j] = 100;
  // Double pole at z = 0.5, zeros at -1: a1 = -1, a2 = 0.25, b = 0.0625, 0.125, 0.0625 (Q14).
  c.lowpass_enabled = true;
  c.a1 = -16384;
  c.a2 = 4096;
  c.b0 = 1024;
  c.b1 = 2048;
  c.b2 = 1024;
  PostprocessState s{};
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  auto y = run(c, s, std::vector<int>(60, 100));  // step 0 -> 10000 cdeg
  // Hand-computed first outputs: y0 = 0.0625*10000 = 625; y1 = (0.1875*10000 + 625) = 2500
  EXPECT_EQ(y[0], 625);
  EXPECT_EQ(y[1], 2500);
  int32_t prev = 0;
  for (int32_t v : y) {
    EXPECT_GE(v, prev);
    EXPECT_LE(v, 10000);
    prev = v;
  }
  for (size_t k = 30; k < y.size(); ++k) EXPECT_LE(std::abs(y[k] - 10000), 1) << k;

  // Step down to a negative target settles too.
  auto z = run(c, s, std::vector<int>(60, -77));
  for (size_t k = 1; k < z.size(); ++k) EXPECT_LE(z[k], z[k - 1]);
  EXPECT_LE(std::abs(z.back() + 7700), 1);
}

TEST(Postprocess, LowPassButterworthMatchesFloatAndSettles) {
  auto c = base_config();
  for (int j = 0; j < kMaxJoints; ++j) c.offset_cdeg[j] = 0, c.scale_num[j] = 100;
  butterworth_q14(4.0, 30.0, c);
  PostprocessState s{};
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  auto y = run(c, s, std::vector<int>(100, 90));  // 0 -> 9000 cdeg
  // Float reference with the same (quantized) coefficients.
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (size_t k = 0; k < y.size(); ++k) {
    const double x = 9000;
    const double yy = (c.b0 * x + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2) / 16384.0;
    x2 = x1, x1 = x, y2 = y1, y1 = yy;
    EXPECT_LE(std::abs(y[k] - yy), 1.0) << k;
  }
  for (size_t k = 40; k < y.size(); ++k) EXPECT_LE(std::abs(y[k] - 9000), 1) << k;
}

TEST(Postprocess, LowPassSeedingAvoidsJump) {
  auto c = base_config();
  butterworth_q14(4.0, 30.0, c);
  PostprocessState s{};
  // Seeded with the current pose (3000 + 10 * 20 = 3200): the same input gives exactly 3200.
  std::vector<int32_t> pose(kMaxJoints, 3200);
  ASSERT_EQ(postprocess_reset(c, s, pose.data()), S::kOk);
  EXPECT_EQ(run(c, s, std::vector<int>(20, 20)), std::vector<int32_t>(20, 3200));
  // An unseeded (zero) filter state would have jumped: first output far from the pose.
  PostprocessState z{};
  ASSERT_EQ(postprocess_reset(c, z, pose.data()), S::kOk);
  for (int j = 0; j < kMaxJoints; ++j) z.lp_x1[j] = z.lp_x2[j] = z.lp_y1[j] = z.lp_y2[j] = 0;
  EXPECT_LT(run(c, z, {20})[0], 1000);
}

TEST(Postprocess, RateLimitCapsEachStepExactly) {
  auto c = base_config();
  c.rate_limit_cdeg = 150;
  PostprocessState s{};
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  EXPECT_EQ(run(c, s, {100, 100, 100, 100, 100, 100, 100, 100}),
            (std::vector<int32_t>{3150, 3300, 3450, 3600, 3750, 3900, 4000, 4000}));
  EXPECT_EQ(run(c, s, {-100, -100}), (std::vector<int32_t>{3850, 3700}));
  EXPECT_EQ(run(c, s, {-15}), (std::vector<int32_t>{3550}));
  EXPECT_EQ(run(c, s, {-40}), (std::vector<int32_t>{3400}));  // target 2600, capped
}

TEST(Postprocess, ClampDirectionCalibrationAndDegrees) {
  auto c = base_config();
  c.min_cdeg[0] = 2000;
  c.max_cdeg[0] = 4000;
  c.direction[0] = -1;
  c.calib_cdeg[0] = 500;
  PostprocessState s{};
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  int8_t q[kMaxJoints] = {127};  // joint 0 target 4270 -> clamped 4000; others stay at 3000
  int16_t fw[kOpenCatJointCount] = {};
  ASSERT_EQ(postprocess_step(c, s, q, fw), S::kOk);
  EXPECT_EQ(s.cmd_cdeg[0], 4000);
  EXPECT_EQ(fw[8], -35);  // -4000 + 500 = -3500 cdeg
  EXPECT_EQ(fw[9], 30);
  q[0] = -128;  // 1720 -> clamped 2000 -> -2000 + 500 = -1500 -> -15
  ASSERT_EQ(postprocess_step(c, s, q, fw), S::kOk);
  EXPECT_EQ(s.cmd_cdeg[0], 2000);
  EXPECT_EQ(fw[8], -15);
  // Negative centidegrees round half away from zero: -2050 -> -21, -2049 -> -20.
  c.min_cdeg[0] = -kMaxAbsCdeg;
  c.direction[0] = 1;
  c.calib_cdeg[0] = -5050;  // cmd 3000 -> -2050
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  q[0] = 0;
  ASSERT_EQ(postprocess_step(c, s, q, fw), S::kOk);
  EXPECT_EQ(fw[8], -21);
  c.calib_cdeg[0] = -5049;
  ASSERT_EQ(postprocess_step(c, s, q, fw), S::kOk);
  EXPECT_EQ(fw[8], -20);
  c.calib_cdeg[0] = -3049;  // -49 -> 0
  ASSERT_EQ(postprocess_step(c, s, q, fw), S::kOk);
  EXPECT_EQ(fw[8], 0);
}

TEST(Postprocess, PaperIndexReorder) {
  auto c = base_config();
  const uint8_t map[8] = {9, 13, 8, 12, 10, 14, 11, 15};
  for (int j = 0; j < 8; ++j) {
    c.index_map[j] = map[j];
    c.offset_cdeg[j] = 1000 * (j + 1);  // sim joint j -> (j + 1) * 10 degrees
  }
  PostprocessState s{};
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  int8_t q[kMaxJoints] = {};
  int16_t fw[kOpenCatJointCount];
  for (auto& v : fw) v = -999;
  ASSERT_EQ(postprocess_step(c, s, q, fw), S::kOk);
  const int16_t want[16] = {-999, -999, -999, -999, -999, -999, -999, -999, 30, 10, 50, 70, 40, 20, 60, 80};
  for (int i = 0; i < 16; ++i) EXPECT_EQ(fw[i], want[i]) << i;
}

// The full chain used on the robot; returns the config.
PostprocessConfig robot_config() {
  auto c = base_config();
  const uint8_t map[8] = {9, 13, 8, 12, 10, 14, 11, 15};
  for (int j = 0; j < 8; ++j) {
    c.index_map[j] = map[j];
    c.scale_num[j] = 1152000;  // 1.5708 rad / 128 per LSB = 70.31 cdeg = 1152000 / 2^14
    c.offset_cdeg[j] = 3000;
    c.min_cdeg[j] = -8000;
    c.max_cdeg[j] = 8000;
  }
  c.scale_shift = 14;
  c.dead_zone_cdeg = 100;
  c.ma_window = 4;
  butterworth_q14(4, 30, c);
  c.rate_limit_cdeg = 1146;  // 0.2 rad
  return c;
}

TEST(Postprocess, AllZeroOutputStaysAtStandingPose) {
  auto c = robot_config();
  PostprocessState s{};
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  int8_t q[kMaxJoints] = {};
  int16_t fw[kOpenCatJointCount] = {};
  for (int step = 0; step < 200; ++step) {
    ASSERT_EQ(postprocess_step(c, s, q, fw), S::kOk);
    for (int i = 8; i < 16; ++i) ASSERT_EQ(fw[i], 30) << step << " " << i;
  }
}

TEST(Postprocess, FullChainOnRandomInputIsBoundedAndAllocationFree) {
  auto c = robot_config();
  PostprocessState s{};
  ASSERT_EQ(postprocess_reset(c, s, nullptr), S::kOk);
  int8_t q[kMaxJoints] = {};
  int16_t fw[kOpenCatJointCount] = {};
  int16_t prev[kOpenCatJointCount] = {};
  ASSERT_EQ(postprocess_step(c, s, q, fw), S::kOk);
  for (int i = 0; i < 16; ++i) prev[i] = fw[i];
  unsigned seed = 12345;
  tinywalk::test::start_counting_allocations();
  for (int step = 0; step < 20000; ++step) {
    for (auto& v : q) {
      seed = seed * 1103515245u + 12345u;
      v = static_cast<int8_t>(seed >> 16);
    }
    if (postprocess_step(c, s, q, fw) != S::kOk) FAIL();
    for (int i = 8; i < 16; ++i) {
      if (fw[i] < -80 || fw[i] > 80) FAIL() << fw[i];
      if (std::abs(fw[i] - prev[i]) > 12) FAIL() << "rate";  // 11.46 deg + rounding
      prev[i] = fw[i];
    }
  }
  EXPECT_EQ(tinywalk::test::stop_counting_allocations(), 0);
}

}  // namespace

TEST(Postprocess, TheUncheckedRunIsTheStepWithoutItsChecks) {
  PostprocessConfig c = base_config();
  c.dead_zone_cdeg = 100;
  c.ma_window = 4;
  c.rate_limit_cdeg = 300;
  PostprocessState a, b;
  ASSERT_EQ(postprocess_reset(c, a, nullptr), S::kOk);
  ASSERT_EQ(postprocess_reset(c, b, nullptr), S::kOk);
  int8_t q[kMaxJoints];
  int16_t fa[kOpenCatJointCount] = {}, fb[kOpenCatJointCount] = {};
  for (int k = 0; k < 200; ++k) {
    for (int j = 0; j < kMaxJoints; ++j) q[j] = static_cast<int8_t>((k * 37 + j * 11) % 256 - 128);
    ASSERT_EQ(postprocess_step(c, a, q, fa), S::kOk);
    postprocess_run(c, b, q, fb);
    ASSERT_EQ(std::vector<int16_t>(fa, fa + kOpenCatJointCount), std::vector<int16_t>(fb, fb + kOpenCatJointCount)) << k;
    ASSERT_EQ(a.ma_pos, b.ma_pos);
    ASSERT_EQ(std::vector<int32_t>(a.cmd_cdeg, a.cmd_cdeg + kMaxJoints), std::vector<int32_t>(b.cmd_cdeg, b.cmd_cdeg + kMaxJoints));
  }
}
