// The AVR fast kernel (robot_fw/targets/common/fast_fc.h) is bit-exact with the reference
// kernel (robot_fw/int8_kernels.h) on random layers and edge values (host build of the same
// template; on the chip the golden vectors check it again).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "robot_fw/int8_kernels.h"
#include "robot_fw/targets/common/fast_fc.h"

namespace tinywalk::fw {
namespace {

TEST(McuKernels, RequantizationHelpersMatchTheReference) {
  std::mt19937 rng(5);
  const int32_t edges[] = {0, 1, -1, 2147483647, -2147483647 - 1, 1073741824, -1073741824, 12345, -12345};
  for (int32_t a : edges)
    for (int32_t b : edges) {
      EXPECT_EQ(srdhm_fast(a, b), saturating_rounding_doubling_high_mul(a, b)) << a << " " << b;
      EXPECT_EQ(sat_add_fast(a, b), saturating_add_int32(a, b)) << a << " " << b;
    }
  for (int k = 0; k < 200000; ++k) {
    const int32_t a = static_cast<int32_t>(rng()), b = static_cast<int32_t>(rng());
    ASSERT_EQ(srdhm_fast(a, b), saturating_rounding_doubling_high_mul(a, b)) << a << " " << b;
    ASSERT_EQ(sat_add_fast(a, b), saturating_add_int32(a, b)) << a << " " << b;
    const int32_t m = static_cast<int32_t>(0x40000000u | (rng() & 0x3fffffffu));
    const int shift = static_cast<int>(rng() % 32) - 31;
    const int32_t x = static_cast<int32_t>(rng()) >> (rng() % 24);
    ASSERT_EQ(mbqm_fast(x, m, shift), multiply_by_quantized_multiplier(x, m, shift)) << x << " " << m << " " << shift;
  }
}

TEST(McuKernels, FastFullyConnectedMatchesTheReference) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 400; ++trial) {
    const int in = 1 + static_cast<int>(rng() % 64), out = 1 + static_cast<int>(rng() % 64);
    std::vector<int8_t> x(in), w(static_cast<size_t>(in * out)), y_ref(out), y_fast(out);
    std::vector<int32_t> bias(out), mul(out), sh(out);
    for (auto& v : x) v = static_cast<int8_t>(rng());
    for (auto& v : w) v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
    for (int o = 0; o < out; ++o) {
      bias[o] = static_cast<int32_t>(rng() % 200001) - 100000;
      mul[o] = static_cast<int32_t>(0x40000000u | (rng() & 0x3fffffffu));
      sh[o] = -static_cast<int32_t>(rng() % 12);
    }
    if (trial % 7 == 0) bias[0] = 2147483647;  // the saturating path
    const int32_t zp = static_cast<int32_t>(rng() % 256) - 128;
    const FullyConnectedParams p{-zp, static_cast<int32_t>(rng() % 256) - 128, trial % 2 ? -128 : -20, trial % 3 ? 127 : 90};
    fully_connected_int8(p, in, out, x.data(), w.data(), trial % 5 ? bias.data() : nullptr, mul.data(), sh.data(), y_ref.data());
    fully_connected_int8_fast<RamLoader>(p, in, out, x.data(), w.data(), trial % 5 ? bias.data() : nullptr, mul.data(), sh.data(),
                                         y_fast.data());
    ASSERT_EQ(y_ref, y_fast) << "trial " << trial;
  }
}

}  // namespace
}  // namespace tinywalk::fw
