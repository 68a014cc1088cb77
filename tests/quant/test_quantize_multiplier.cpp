// Tests for quantize_multiplier (quantize/quantize_multiplier.h): d ~= M * 2^(shift - 31).
//
// Expected values are worked out by hand from d = q * 2^e, q in [0.5, 1),
// M = round(q * 2^31); the random sweep checks properties with exact
// long-double arithmetic, never against the function itself.
#include "quantize/quantize_multiplier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "common/error.h"
#include "tests/test_util.h"

namespace {

using tinywalk::quant::quantize_multiplier;

constexpr int32_t kTwo30 = int32_t{1} << 30;
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

struct Fixed {
  int32_t m;
  int shift;
};

Fixed qm(double d) {
  Fixed f{-1, -1000};
  quantize_multiplier(d, &f.m, &f.shift);
  return f;
}

#define EXPECT_FIXED(d, want_m, want_shift)          \
  do {                                               \
    const Fixed f_ = qm(d);                          \
    EXPECT_EQ(f_.m, (want_m)) << "d = " << (d);      \
    EXPECT_EQ(f_.shift, (want_shift)) << "d = " << (d); \
  } while (0)

TEST(QuantizeMultiplier, KnownValues) {
  EXPECT_FIXED(1.0, kTwo30, 1);        // 0.5 * 2^1
  EXPECT_FIXED(0.5, kTwo30, 0);        // 0.5 * 2^0
  EXPECT_FIXED(0.75, 3 << 29, 0);      // 0.75 * 2^31 = 1610612736
  EXPECT_FIXED(3.0, 3 << 29, 2);       // 0.75 * 2^2
  EXPECT_FIXED(0.25, kTwo30, -1);
  // 0.1 = 0.8 * 2^-3 (0.1 as a double is 0.1000000000000000055..):
  // 0.8 * 2^31 = 1717986918.4 -> 1717986918.
  EXPECT_FIXED(0.1, 1717986918, -3);
  // 1 / 3 = 0.666.. * 2^-1: 2^32 / 3 = 1431655765.33 -> 1431655765.
  EXPECT_FIXED(1.0 / 3.0, 1431655765, -1);
  // 2^29 is the largest power of two that fits: 0.5 * 2^30.
  EXPECT_FIXED(std::ldexp(1.0, 29), kTwo30, 30);
}

TEST(QuantizeMultiplier, ZeroGivesZero) {
  EXPECT_FIXED(0.0, 0, 0);
  EXPECT_FIXED(-0.0, 0, 0);
}

TEST(QuantizeMultiplier, TiesRoundAwayFromZero) {
  // d = 0.5 + 2^-32: q * 2^31 = 2^30 + 0.5 exactly -> 2^30 + 1 (not to even).
  EXPECT_FIXED(0.5 + std::ldexp(1.0, -32), kTwo30 + 1, 0);
  // d = 0.5 + 3 * 2^-32: 2^30 + 1.5 -> 2^30 + 2.
  EXPECT_FIXED(0.5 + 3 * std::ldexp(1.0, -32), kTwo30 + 2, 0);
  // Just not a tie: 0.5 + 2^-33 -> 2^30 + 0.25 -> 2^30.
  EXPECT_FIXED(0.5 + std::ldexp(1.0, -33), kTwo30, 0);
}

TEST(QuantizeMultiplier, RoundingUpTo2To31Renormalises) {
  // d = 1 - 2^-33: q * 2^31 = 2^31 - 0.25 -> 2^31, which does not fit:
  // M = 2^30, shift + 1 -> (2^30, 1), i.e. exactly 1.0.
  EXPECT_FIXED(1.0 - std::ldexp(1.0, -33), kTwo30, 1);
  // 1 - 2^-32: 2^31 - 0.5, a tie, away from zero -> 2^31 -> (2^30, 1).
  EXPECT_FIXED(1.0 - std::ldexp(1.0, -32), kTwo30, 1);
  // 1 - 2^-31: 2^31 - 1 fits.
  EXPECT_FIXED(1.0 - std::ldexp(1.0, -31), kMax, 0);
  // The largest double below 1 (1 - 2^-53), and below 0.5 and 2^-10.
  EXPECT_FIXED(std::nextafter(1.0, 0.0), kTwo30, 1);
  EXPECT_FIXED(std::nextafter(0.5, 0.0), kTwo30, 0);
  EXPECT_FIXED(std::nextafter(std::ldexp(1.0, -10), 0.0), kTwo30, -9);
}

TEST(QuantizeMultiplier, TinyMultipliersFlushToZero) {
  // 2^-32 = 0.5 * 2^-31: the smallest representable shift.
  EXPECT_FIXED(std::ldexp(1.0, -32), kTwo30, -31);
  EXPECT_FIXED(std::ldexp(1.5, -32), 3 << 29, -31);
  // Just below 2^-32 the exponent is -32, but M rounds up to 2^31 and the
  // renormalised shift is -31 again.
  EXPECT_FIXED(std::nextafter(std::ldexp(1.0, -32), 0.0), kTwo30, -31);
  // Below that: shift < -31 -> (0, 0).
  EXPECT_FIXED(std::ldexp(1.0, -33), 0, 0);
  EXPECT_FIXED(std::ldexp(1.9, -34), 0, 0);
  EXPECT_FIXED(std::ldexp(1.0, -35), 0, 0);
  EXPECT_FIXED(1e-300, 0, 0);
  EXPECT_FIXED(std::numeric_limits<double>::denorm_min(), 0, 0);
}

TEST(QuantizeMultiplier, HugeMultipliersClampToShift30) {
  // 2^30 = 0.5 * 2^31: shift 31 is beyond the kernels' range; clamped to the
  // largest encodable value, (2^31 - 1) * 2^-1 = 2^30 - 0.5.
  EXPECT_FIXED(std::ldexp(1.0, 30), kMax, 30);
  EXPECT_FIXED(1e10, kMax, 30);
  EXPECT_FIXED(std::numeric_limits<double>::max(), kMax, 30);
  // Just below 2^30 rounds up to 2^31 * 2^(30-31): renormalised to shift 31, then clamped.
  EXPECT_FIXED(std::nextafter(std::ldexp(1.0, 30), 0.0), kMax, 30);
  // 2^30 - 2^-2 is still below: q = 1 - 2^-32 -> tie -> 2^31 -> clamped.
  EXPECT_FIXED(std::ldexp(1.0, 30) - 0.25, kMax, 30);
  // Comfortably inside: 1.5 * 2^29 = 0.75 * 2^30.
  EXPECT_FIXED(std::ldexp(1.5, 29), 3 << 29, 30);
}

TEST(QuantizeMultiplier, ReconstructionErrorWithinHalfAnLsbRandomSweep) {
  std::mt19937_64 rng(31337);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int n = 0; n < 1000000; ++n) {
    // Log-uniform over the representable range [2^-32, 2^30), plus values
    // just below a power of two (where M rounds up to 2^31).
    double d;
    if (n % 4 == 0) {
      const int e = static_cast<int>(rng() % 61) - 31;  // [-31, 29]
      d = std::ldexp(1.0 - std::ldexp(static_cast<double>(rng() % 4096), -53), e);
    } else {
      d = std::exp2(-32.0 + 62.0 * unit(rng));
    }
    if (!(d >= std::ldexp(1.0, -32) && d < std::ldexp(1.0, 30))) continue;
    const Fixed f = qm(d);
    ASSERT_GE(f.m, kTwo30) << d;
    ASSERT_LE(f.m, kMax) << d;
    ASSERT_GE(f.shift, -31) << d;
    ASSERT_LE(f.shift, 30) << d;
    // M * 2^(shift - 31) is exact in long double (31-bit integer times a power of two).
    const long double rebuilt = std::ldexp(static_cast<long double>(f.m), f.shift - 31);
    const long double err = std::fabs(rebuilt - static_cast<long double>(d));
    ASSERT_LE(err, static_cast<long double>(d) * std::ldexp(1.0L, -31)) << d;
    // And M is the nearest integer to d * 2^(31 - shift) (exact scaling).
    const long double scaled = std::ldexp(static_cast<long double>(d), 31 - f.shift);
    ASSERT_LE(std::fabs(f.m - scaled), 0.5L) << d;
  }
}

TEST(QuantizeMultiplier, BadInputsThrow) {
  for (double d : {-1.0, -1e-300, -std::numeric_limits<double>::denorm_min(), std::nan(""),
                   std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(d);
    int32_t m = 123;
    int shift = 456;
    EXPECT_THROW(quantize_multiplier(d, &m, &shift), tinywalk::InputError);
    try {
      quantize_multiplier(d, &m, &shift);
    } catch (const tinywalk::InputError& e) {
      EXPECT_EQ(e.where(), "multiplier");
      EXPECT_EQ(e.file(), "");
      EXPECT_HAS(std::string(e.what()), "non-negative");
    }
    // Outputs untouched on error.
    EXPECT_EQ(m, 123);
    EXPECT_EQ(shift, 456);
  }
}

}  // namespace
