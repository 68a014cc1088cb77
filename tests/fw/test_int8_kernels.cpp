// Tests for the int8 reference kernels (robot_fw/int8_kernels.h).
//
// Expected values are worked out by hand (derivations in the comments) or come
// from independent references written here from the definitions in 128-bit
// integers / long double, never from the functions under test. The build's
// rounding mode (TINYWALK_SINGLE_ROUNDING is a PUBLIC definition of
// tinywalk::fw) selects which expectation applies where the modes differ.
#include <gtest/gtest.h>
#include <stdint.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <vector>

#include "robot_fw/int8_kernels.h"
#include "robot_fw/int8_kernels_fast.h"

namespace fw = tinywalk::fw;

namespace {

#ifdef TINYWALK_SINGLE_ROUNDING
constexpr bool kSingleRounding = true;
#else
constexpr bool kSingleRounding = false;
#endif

constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kHalf = int32_t{1} << 30;  // multiplier 0.5

using i128 = __int128;

// floor(n / 2^e) by division (not by shifting), e in [0, 100].
i128 floor_div_pow2(i128 n, int e) {
  const i128 d = static_cast<i128>(1) << e;
  i128 q = n / d;  // truncates toward zero
  if (n % d != 0 && n < 0) --q;
  return q;
}

int32_t saturate(i128 v) {
  if (v > kMax) return kMax;
  if (v < kMin) return kMin;
  return static_cast<int32_t>(v);
}

// SRDHM as TFLite defines it: ab = a * b exactly, add 2^30 if ab >= 0 else
// 1 - 2^30, divide by 2^31 truncating toward zero, saturate (only
// INT32_MIN * INT32_MIN leaves the int32 range, giving 2^31 -> INT32_MAX).
int32_t ref_srdhm(int32_t a, int32_t b) {
  const i128 ab = static_cast<i128>(a) * b;
  const i128 nudge = ab >= 0 ? (i128{1} << 30) : (1 - (i128{1} << 30));
  return saturate((ab + nudge) / (i128{1} << 31));
}

// x / 2^e rounded to nearest, ties away from zero, on the magnitude.
int32_t ref_rdbpot(int32_t x, int e) {
  const int64_t mag = x < 0 ? -static_cast<int64_t>(x) : x;
  const int64_t q = e == 0 ? mag : (mag + (int64_t{1} << (e - 1))) / (int64_t{1} << e);
  return static_cast<int32_t>(x < 0 ? -q : q);
}

// TFLite Micro's default: x * 2^max(shift, 0) in int32 (two's-complement wrap),
// SRDHM, then RoundingDivideByPOT by max(-shift, 0).
int32_t ref_mbqm_double(int32_t x, int32_t m, int shift) {
  const int ls = std::max(shift, 0), rs = std::max(-shift, 0);
  const int64_t wide = static_cast<int64_t>(x) * (int64_t{1} << ls);
  const int32_t wrapped = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(wide)));
  return ref_rdbpot(ref_srdhm(wrapped, m), rs);
}

// Desktop TFLite: floor((x * M + 2^(30 - shift)) / 2^(31 - shift)), saturated.
int32_t ref_mbqm_single(int32_t x, int32_t m, int shift) {
  const i128 num = static_cast<i128>(x) * m + (i128{1} << (30 - shift));
  return saturate(floor_div_pow2(num, 31 - shift));
}

int32_t ref_mbqm(int32_t x, int32_t m, int shift) {
  return kSingleRounding ? ref_mbqm_single(x, m, shift) : ref_mbqm_double(x, m, shift);
}

// x * M * 2^(shift - 31) as a long double (exact: at most 62 significant bits
// times a power of two, and long double has 64 on x86-64).
long double exact_product(int32_t x, int32_t m, int shift) {
  return std::ldexp(static_cast<long double>(static_cast<int64_t>(x) * m), shift - 31);
}

// Random int32 with a log-uniform magnitude, so small, medium and extreme
// values are all common; occasionally exactly an extreme or a power of two.
int32_t random_int32(std::mt19937_64& rng) {
  const uint64_t r = rng();
  switch (r % 8) {
    case 0: return static_cast<int32_t>(static_cast<uint32_t>(rng()));
    case 1: return (r & 8) ? kMin : kMax;
    case 2: {
      const int32_t p = static_cast<int32_t>(int64_t{1} << ((r >> 4) % 31));
      return (r & 8) ? -p : p;
    }
    default: {
      const int bits = static_cast<int>((r >> 4) % 32);  // magnitude < 2^bits
      const int64_t mag = bits == 0 ? 0 : static_cast<int64_t>(rng() % (uint64_t{1} << bits));
      return static_cast<int32_t>((r & 8) ? -mag : mag);
    }
  }
}

// ---------------------------------------------------------------------------
// saturating_rounding_doubling_high_mul: round(a * b / 2^31)

TEST(Srdhm, PositiveTiesRoundUp) {
  // a * b = 2^30 -> 0.5 -> 1; 3 * 2^30 -> 1.5 -> 2; 5 * 2^30 -> 2.5 -> 3.
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(1, kHalf), 1);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(1 << 15, 1 << 15), 1);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(3, kHalf), 2);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(5, kHalf), 3);
  // Just below / above a tie: 2^30 - 1 -> 0.4999... -> 0; 2^30 + 1 -> 1.
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kHalf - 1, 1), 0);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kHalf + 1, 1), 1);
  // (2^31 - 1) * 2^30 / 2^31 = 2^30 - 0.5 -> 2^30.
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kMax, kHalf), kHalf);
}

TEST(Srdhm, NegativeTiesRoundTowardPlusInfinity) {
  // TFLite's nudge for a negative product is 1 - 2^30, then truncation toward
  // zero: (-2^30 + 1 - 2^30) / 2^31 = -0.99.. -> 0. So a negative tie goes
  // toward +infinity (= toward zero), NOT away from zero as the header's
  // one-line summary says; this is gemmlowp's and ARM VQRDMULH's behaviour.
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(-1, kHalf), 0);   // -0.5 -> 0
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kHalf, -1), 0);   // either operand negative
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(-3, kHalf), -1);  // -1.5 -> -1
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(-5, kHalf), -2);  // -2.5 -> -2
  // Not ties: -0.5 - 2^-31 -> -1; -0.5 + 2^-31 -> 0.
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(-(kHalf + 1), 1), -1);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(-(kHalf - 1), 1), 0);
  // -(2^31 - 1) * 2^30 / 2^31 = -2^30 + 0.5 -> -2^30 + 1.
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kMin + 1, kHalf), -kHalf + 1);
}

TEST(Srdhm, Extremes) {
  // The only overflow: (-2^31)^2 / 2^31 = 2^31 -> INT32_MAX.
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kMin, kMin), kMax);
  // -2^31 * (2^31 - 1) / 2^31 = -(2^31 - 1), exact.
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kMin, kMax), -kMax);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kMax, kMin), -kMax);
  // (2^31 - 1)^2 / 2^31 = 2^31 - 2 + 2^-31 -> 2^31 - 2.
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kMax, kMax), kMax - 1);
  // -2^31 * -(2^31 - 1) / 2^31 = 2^31 - 1, exact, no saturation needed.
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kMin, -kMax), kMax);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kMin, 1), -1);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kMin, -1), 1);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kMin, 0), 0);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kMax, 1), 1);  // 1 - 2^-31 -> 1
}

TEST(Srdhm, SmallAndLargeValues) {
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(0, 0), 0);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(5, 7), 0);           // 35 / 2^31
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(kHalf, kHalf), 1 << 29);  // 2^60 / 2^31
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(-kHalf, kHalf), -(1 << 29));
  // 1000 * 1518500250 / 2^31 = 707.1068 -> 707 (1518500250 ~ 2^31 / sqrt 2).
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(1000, 1518500250), 707);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(-1000, 1518500250), -707);
  // 123456789 * 987654321 = 121932631112635269; / 2^31 = 56779305.969 -> 56779306.
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(123456789, 987654321), 56779306);
  EXPECT_EQ(fw::saturating_rounding_doubling_high_mul(-123456789, 987654321), -56779306);
}

TEST(Srdhm, RandomSweepMatchesInt128Reference) {
  std::mt19937_64 rng(20240511);
  for (int n = 0; n < 2000000; ++n) {
    const int32_t a = random_int32(rng), b = random_int32(rng);
    ASSERT_EQ(fw::saturating_rounding_doubling_high_mul(a, b), ref_srdhm(a, b)) << "a=" << a << " b=" << b;
    // Property check of the reference itself: within 1/2 of a * b / 2^31 unless saturated.
    if (!(a == kMin && b == kMin)) {
      const long double err = ref_srdhm(a, b) - exact_product(a, b, 0);
      ASSERT_LE(std::fabs(err), 0.5L);
    }
  }
}

// ---------------------------------------------------------------------------
// rounding_divide_by_pot: round(x / 2^e), ties away from zero

TEST(RoundingDivideByPot, ExponentZeroIsIdentity) {
  for (int32_t x : {0, 1, -1, 2, -2, 12345, -12345, kMax, kMin, kMax - 1, kMin + 1}) {
    EXPECT_EQ(fw::rounding_divide_by_pot(x, 0), x);
  }
}

TEST(RoundingDivideByPot, TiesAwayFromZeroAtEveryExponent) {
  for (int e = 1; e <= 31; ++e) {
    SCOPED_TRACE(e);
    const int32_t half = static_cast<int32_t>(int64_t{1} << (e - 1));  // 2^(e-1): 0.5
    EXPECT_EQ(fw::rounding_divide_by_pot(half, e), 1);
    EXPECT_EQ(fw::rounding_divide_by_pot(-half, e), -1);
    if (e <= 30) {  // 3 * 2^(e-1) = 1.5 * 2^e fits in int32 up to e = 30
      const int32_t one_and_half = 3 * half;
      EXPECT_EQ(fw::rounding_divide_by_pot(one_and_half, e), 2);
      EXPECT_EQ(fw::rounding_divide_by_pot(-one_and_half, e), -2);
    }
    if (e <= 29) {  // 5 * 2^(e-1) = 2.5 * 2^e
      EXPECT_EQ(fw::rounding_divide_by_pot(5 * half, e), 3);
      EXPECT_EQ(fw::rounding_divide_by_pot(-5 * half, e), -3);
    }
  }
}

TEST(RoundingDivideByPot, JustOffTiesAndExactMultiples) {
  for (int e = 2; e <= 30; ++e) {
    SCOPED_TRACE(e);
    const int32_t one_and_half = static_cast<int32_t>(3 * (int64_t{1} << (e - 1)));
    // 1.5 - 2^-e -> 1; 1.5 + 2^-e -> 2, and mirrored.
    EXPECT_EQ(fw::rounding_divide_by_pot(one_and_half - 1, e), 1);
    EXPECT_EQ(fw::rounding_divide_by_pot(one_and_half + 1, e), 2);
    EXPECT_EQ(fw::rounding_divide_by_pot(-(one_and_half - 1), e), -1);
    EXPECT_EQ(fw::rounding_divide_by_pot(-(one_and_half + 1), e), -2);
    // Exact multiples stay exact.
    const int32_t p = static_cast<int32_t>(int64_t{1} << e);
    EXPECT_EQ(fw::rounding_divide_by_pot(p, e), 1);
    EXPECT_EQ(fw::rounding_divide_by_pot(-p, e), -1);
    EXPECT_EQ(fw::rounding_divide_by_pot(1, e), 0);  // 2^-e < 0.5
    EXPECT_EQ(fw::rounding_divide_by_pot(-1, e), 0);
  }
  EXPECT_EQ(fw::rounding_divide_by_pot(1, 1), 1);    // 0.5 -> 1
  EXPECT_EQ(fw::rounding_divide_by_pot(-1, 1), -1);  // -0.5 -> -1
  EXPECT_EQ(fw::rounding_divide_by_pot(1, 31), 0);
  EXPECT_EQ(fw::rounding_divide_by_pot(-1, 31), 0);
}

TEST(RoundingDivideByPot, Extremes) {
  for (int e = 1; e <= 31; ++e) {
    SCOPED_TRACE(e);
    const int32_t q = static_cast<int32_t>(int64_t{1} << (31 - e));
    // -2^31 / 2^e = -2^(31-e), exact.
    EXPECT_EQ(fw::rounding_divide_by_pot(kMin, e), -q);
    // (2^31 - 1) / 2^e = 2^(31-e) - 2^-e -> 2^(31-e) (a tie at e = 1, away from zero).
    EXPECT_EQ(fw::rounding_divide_by_pot(kMax, e), q);
    EXPECT_EQ(fw::rounding_divide_by_pot(kMin + 1, e), -q);
  }
  // e = 31, x = -2^30: -0.5 -> -1; x = 2^30 - 1 -> 0.4999.. -> 0.
  EXPECT_EQ(fw::rounding_divide_by_pot(-kHalf, 31), -1);
  EXPECT_EQ(fw::rounding_divide_by_pot(kHalf - 1, 31), 0);
  EXPECT_EQ(fw::rounding_divide_by_pot(-(kHalf - 1), 31), 0);
}

TEST(RoundingDivideByPot, RandomSweepMatchesReference) {
  std::mt19937_64 rng(7);
  for (int n = 0; n < 2000000; ++n) {
    const int32_t x = random_int32(rng);
    const int e = static_cast<int>(rng() % 32);
    ASSERT_EQ(fw::rounding_divide_by_pot(x, e), ref_rdbpot(x, e)) << "x=" << x << " e=" << e;
  }
}

// ---------------------------------------------------------------------------
// multiply_by_quantized_multiplier: x * M * 2^(shift - 31)

TEST(MultiplyByQuantizedMultiplier, EveryShiftWithPowersOfTwo) {
  // M = 2^30 (0.5), so the result is x * 2^(shift - 1); x = +-2^j.
  for (int shift = -31; shift <= 30; ++shift) {
    SCOPED_TRACE(shift);
    EXPECT_EQ(fw::multiply_by_quantized_multiplier(0, kHalf, shift), 0);
    if (shift >= 1) {
      // No right shift: +-2^(j + shift - 1) exactly, for x * 2^shift within int32.
      for (int j = 0; j + shift <= 31; ++j) {
        const int64_t expect = int64_t{1} << (j + shift - 1);
        if (j + shift <= 30) {
          EXPECT_EQ(fw::multiply_by_quantized_multiplier(static_cast<int32_t>(int64_t{1} << j), kHalf, shift), expect);
        }
        EXPECT_EQ(fw::multiply_by_quantized_multiplier(static_cast<int32_t>(-(int64_t{1} << j)), kHalf, shift), -expect);
      }
      EXPECT_EQ(fw::multiply_by_quantized_multiplier(3, kHalf, std::min(shift, 29)),
                3 * (int64_t{1} << (std::min(shift, 29) - 1)));
    } else {
      // Divide by 2^k, k = 1 - shift in [1, 32].
      const int k = 1 - shift;
      for (int j = 1; j <= 31; ++j) {
        SCOPED_TRACE(j);
        const int32_t neg = static_cast<int32_t>(-(int64_t{1} << j));
        if (j >= k) {  // exact: +-2^(j-k)
          const int32_t expect = static_cast<int32_t>(int64_t{1} << (j - k));
          if (j <= 30) {
            EXPECT_EQ(fw::multiply_by_quantized_multiplier(-neg, kHalf, shift), expect);
          }
          EXPECT_EQ(fw::multiply_by_quantized_multiplier(neg, kHalf, shift), -expect);
        } else if (j == k - 1) {
          // +0.5: double rounding: SRDHM gives 2^(j-1) exactly, then a positive
          // tie -> 1; single: floor(0.5 + 0.5) = 1.
          if (j <= 30) {
            EXPECT_EQ(fw::multiply_by_quantized_multiplier(-neg, kHalf, shift), 1);
          }
          // -0.5: double: -2^(j-1) exactly, then a tie away from zero -> -1;
          // single: floor(-0.5 + 0.5) = 0.
          EXPECT_EQ(fw::multiply_by_quantized_multiplier(neg, kHalf, shift), kSingleRounding ? 0 : -1);
        } else {  // |x * 2^-k| <= 1/4 -> 0 in both modes
          if (j <= 30) {
            EXPECT_EQ(fw::multiply_by_quantized_multiplier(-neg, kHalf, shift), 0);
          }
          EXPECT_EQ(fw::multiply_by_quantized_multiplier(neg, kHalf, shift), 0);
        }
      }
    }
  }
}

struct MbqmCase {
  int32_t x, m;
  int shift;
  int32_t expect_double, expect_single;
};

TEST(MultiplyByQuantizedMultiplier, HandCheckedValues) {
  const int32_t inv_sqrt2 = 1518500250;  // round(2^31 / sqrt 2): 0.70710678
  const MbqmCase cases[] = {
      {1000, inv_sqrt2, 0, 707, 707},         // 707.107
      {1000, inv_sqrt2, -3, 88, 88},          // 88.388
      {1000, inv_sqrt2, 5, 22627, 22627},     // 22627.417
      {-1000, inv_sqrt2, 0, -707, -707},      // -707.107
      {-1000, inv_sqrt2, -3, -88, -88},       // -88.388
      {123456, kHalf, -10, 60, 60},           // 60.28
      {-123456, kHalf, -10, -60, -60},        // -60.28
      {7, kHalf, 0, 4, 4},                    // 3.5: a tie at SRDHM, up
      {-7, kHalf, 0, -3, -3},                 // -3.5: SRDHM's tie goes up, to -3
      {kMax, kMax, 0, kMax - 1, kMax - 1},    // (2^31-1)^2 / 2^31 = 2^31 - 2 + 2^-31
      {kMin, kMax, 0, -kMax, -kMax},          // exact
      {100, 0, 5, 0, 0},                      // multiplier 0
      // Where the two rounding rules part (the "1 LSB in a few percent" of outputs):
      {5, kHalf, -1, 2, 1},        // 1.25: SRDHM 2.5 -> 3, then 3 / 2 = 1.5 -> 2; single 1
      {1, kHalf, -1, 1, 0},        // 0.25: SRDHM 0.5 -> 1, then 1 / 2 = 0.5 -> 1; single 0
      {-2, kHalf, -1, -1, 0},      // -0.5: SRDHM -1 exact, then -0.5 -> -1; single floor(0) = 0
      {kMax, kHalf, -31, 1, 0},    // 0.49999999977: SRDHM 2^30 - 0.5 -> 2^30, then 0.5 -> 1
      {kMin, kHalf, -31, -1, 0},   // -0.5
  };
  for (const MbqmCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "x=" << c.x << " M=" << c.m << " shift=" << c.shift);
    EXPECT_EQ(fw::multiply_by_quantized_multiplier(c.x, c.m, c.shift), kSingleRounding ? c.expect_single : c.expect_double);
    // The references agree with the hand values too.
    EXPECT_EQ(ref_mbqm_double(c.x, c.m, c.shift), c.expect_double);
    EXPECT_EQ(ref_mbqm_single(c.x, c.m, c.shift), c.expect_single);
  }
}

TEST(MultiplyByQuantizedMultiplier, LeftShiftOverflowIsWellDefined) {
#ifndef TINYWALK_SINGLE_ROUNDING
  // TFLite's x * 2^shift is an int32 multiply; here it wraps like the hardware
  // would: 2^29 * 4 = 2^31 -> -2^31, so 2^29 * 0.5 * 4 comes out as -2^30.
  EXPECT_EQ(fw::multiply_by_quantized_multiplier(1 << 29, kHalf, 2), -kHalf);
  EXPECT_EQ(fw::multiply_by_quantized_multiplier(kMin, kHalf, 1), 0);  // -2^32 wraps to 0
#else
  // Single rounding computes in 64 bits: exact, then saturated.
  EXPECT_EQ(fw::multiply_by_quantized_multiplier(1 << 29, kHalf, 2), kHalf);
  EXPECT_EQ(fw::multiply_by_quantized_multiplier(kMin, kHalf, 1), kMin);
  EXPECT_EQ(fw::multiply_by_quantized_multiplier(kMax, kMax, 30), kMax);
#endif
}

TEST(MultiplyByQuantizedMultiplier, RandomSweepMatchesReferences) {
  std::mt19937_64 rng(99);
  int differ = 0, total = 0;
  for (int n = 0; n < 1000000; ++n) {
    const int32_t m = static_cast<int32_t>(kHalf + static_cast<int64_t>(rng() % (uint64_t{1} << 30)));  // [2^30, 2^31)
    int shift = static_cast<int>(rng() % 62) - 31;                                                      // [-31, 30]
    int32_t x = random_int32(rng);
    if (shift > 0) x = static_cast<int32_t>(x / (int64_t{1} << shift));  // keep |x| * 2^shift < 2^31: no wrap
    const int32_t got = fw::multiply_by_quantized_multiplier(x, m, shift);
    ASSERT_EQ(got, ref_mbqm(x, m, shift)) << "x=" << x << " M=" << m << " shift=" << shift;
    // Both rules stay close to the exact product: single rounding within 1/2,
    // double within 1/2 + 1/2 (SRDHM's error, then the division's).
    const int32_t d = ref_mbqm_double(x, m, shift), s = ref_mbqm_single(x, m, shift);
    const long double exact = exact_product(x, m, shift);
    ASSERT_LE(std::fabs(s - exact), 0.5L);
    ASSERT_LE(std::fabs(d - exact), 1.0L);
    ASSERT_LE(std::abs(static_cast<int64_t>(d) - s), 1);
    // Count disagreements where rounding matters (outputs of a typical layer: |result| < 1000).
    if (std::fabs(exact) < 1000 && shift < 0) {
      ++total;
      differ += d != s;
    }
  }
  // A few percent of requantized values differ by 1 LSB between the two rules.
  const double frac = static_cast<double>(differ) / total;
  EXPECT_GT(frac, 0.001);
  EXPECT_LT(frac, 0.2);
}

// ---------------------------------------------------------------------------
// fully_connected_int8

// Runs the kernel into an output buffer with guard bytes after it.
std::vector<int8_t> run_fc(const fw::FullyConnectedParams& p, int in_dim, int out_dim, const std::vector<int8_t>& input,
                           const std::vector<int8_t>& weights, const int32_t* bias, const std::vector<int32_t>& mult,
                           const std::vector<int32_t>& shift) {
  std::vector<int8_t> out(static_cast<size_t>(out_dim) + 4, 0x5a);
  fw::fully_connected_int8(p, in_dim, out_dim, input.data(), weights.data(), bias, mult.data(), shift.data(), out.data());
  for (int g = 0; g < 4; ++g) EXPECT_EQ(out[static_cast<size_t>(out_dim + g)], 0x5a) << "wrote past out_dim";
  out.resize(static_cast<size_t>(out_dim));
  return out;
}

// The 3-input, 2-output layer used by the hand-computed cases.
//   input {10, -20, 5}, input zero point 3 -> x - zp = {7, -23, 2}
//   row 0 { 2, -1,  4}:  14 + 23 + 8  =   45
//   row 1 {-5,  3, -7}: -35 - 69 - 14 = -118
const std::vector<int8_t> kInput = {10, -20, 5};
const std::vector<int8_t> kWeights = {2, -1, 4, -5, 3, -7};
constexpr int32_t kThreeQuarters = 3 << 29;  // 0.75

fw::FullyConnectedParams params(int32_t input_zp, int32_t output_zp, int32_t act_min = -128, int32_t act_max = 127) {
  return fw::FullyConnectedParams{-input_zp, output_zp, act_min, act_max};
}

TEST(FullyConnectedInt8, HandComputedPerChannel) {
  // bias {100, -10}: acc = {145, -128}.
  // o0: M 0.5, shift -2: 145 / 8 = 18.125 -> 18 (double: SRDHM 72.5 -> 73, 73 / 4 = 18.25 -> 18).
  // o1: M 0.75, shift -1: -128 * 0.375 = -48, exact.
  // Output zero point -5: {13, -53}.
  const int32_t bias[] = {100, -10};
  const auto out = run_fc(params(3, -5), 3, 2, kInput, kWeights, bias, {kHalf, kThreeQuarters}, {-2, -1});
  EXPECT_EQ(out, (std::vector<int8_t>{13, -53}));
}

TEST(FullyConnectedInt8, NullBiasIsZero) {
  // acc = {45, -118}.
  // o0: 45 / 8 = 5.625 -> 6 (double: SRDHM 22.5 -> 23, 23 / 4 = 5.75 -> 6).
  // o1: -118 * 0.375 = -44.25 -> -44 (double: SRDHM -88.5 -> -88, -88 / 2 = -44).
  // + (-5): {1, -49}.
  const auto out = run_fc(params(3, -5), 3, 2, kInput, kWeights, nullptr, {kHalf, kThreeQuarters}, {-2, -1});
  EXPECT_EQ(out, (std::vector<int8_t>{1, -49}));
}

TEST(FullyConnectedInt8, SaturatesAt127AndMinus128) {
  // The 3x2 layer with a large multiplier: 145 * 8 - 5 = 1155 -> 127; -128 * 8 - 5 -> -128.
  const int32_t bias[] = {100, -10};
  EXPECT_EQ(run_fc(params(3, -5), 3, 2, kInput, kWeights, bias, {kHalf, kHalf}, {4, 4}),
            (std::vector<int8_t>{127, -128}));
  // The edges exactly: one input x = 1 (zero point 0), multiplier 1.0 (2^30, shift 1),
  // weights 100 / -100 and biases moving the sum to 126, 127, 128, 129 and -127 .. -130.
  const std::vector<int8_t> w = {100, 100, 100, 100, -100, -100, -100, -100};
  const int32_t b[] = {26, 27, 28, 29, -27, -28, -29, -30};
  const std::vector<int32_t> m(8, kHalf), s(8, 1);
  EXPECT_EQ(run_fc(params(0, 0), 1, 8, {1}, w, b, m, s), (std::vector<int8_t>{126, 127, 127, 127, -127, -128, -128, -128}));
  // The output zero point is added before the clamp: 100 + 20 + 10 = 130 -> 127;
  // -100 - 30 + 10 = -120 (would have clamped to -128 without the zero point).
  const int32_t b2[] = {20, -30};
  EXPECT_EQ(run_fc(params(0, 10), 1, 2, {1}, {100, -100}, b2, {kHalf, kHalf}, {1, 1}),
            (std::vector<int8_t>{127, -120}));
}

TEST(FullyConnectedInt8, FusedReluClampsAtOutputZeroPoint) {
  // x = 1, multiplier 1.0, weights {5, -5, 0, 40}, output zero point -20:
  // raw {5, -5, 0, 40} + (-20) = {-15, -25, -20, 20}.
  const std::vector<int8_t> w = {5, -5, 0, 40};
  const std::vector<int32_t> m(4, kHalf), s(4, 1);
  EXPECT_EQ(run_fc(params(0, -20), 1, 4, {1}, w, nullptr, m, s), (std::vector<int8_t>{-15, -25, -20, 20}));
  // ReLU: activation_min = max(-128, zp) = -20 (real 0); RELU6-style max at 10.
  EXPECT_EQ(run_fc(params(0, -20, -20), 1, 4, {1}, w, nullptr, m, s), (std::vector<int8_t>{-15, -20, -20, 20}));
  EXPECT_EQ(run_fc(params(0, -20, -20, 10), 1, 4, {1}, w, nullptr, m, s), (std::vector<int8_t>{-15, -20, -20, 10}));
}

TEST(FullyConnectedInt8, InputAtExtremesOfZeroPointRange) {
  // x - zp spans the full +-255: x = 127, zp = -128 -> 255; x = -128, zp = 127 -> -255.
  // weights -128 and 127; multiplier 2^-8 (M 2^30, shift -7); no bias.
  //  (-128) * 255 = -32640 -> -127.5, a negative tie: double rounding (SRDHM
  //  -16320 exact, / 128 = -127.5 -> away from zero) gives -128; single
  //  rounding floor(-127.5 + 0.5) gives -127.
  //  127 * 255 = 32385 -> 126.50390625 -> 127
  EXPECT_EQ(run_fc(params(-128, 0), 1, 2, {127}, {-128, 127}, nullptr, {kHalf, kHalf}, {-7, -7}),
            (std::vector<int8_t>{kSingleRounding ? int8_t{-127} : int8_t{-128}, 127}));
  // 127 * (-255) = -32385 -> -126.50390625 -> -127
  EXPECT_EQ(run_fc(params(127, 0), 1, 1, {-128}, {127}, nullptr, {kHalf}, {-7}), (std::vector<int8_t>{-127}));
}

TEST(FullyConnectedInt8, DoubleVersusSingleRoundingThroughALayer) {
  // acc 5, multiplier 0.25 (M 2^30, shift -1): exact 1.25; double rounding gives 2, single 1.
  // acc -2: exact -0.5; double -1, single 0.
  const auto out = run_fc(params(0, 0), 1, 2, {1}, {5, -2}, nullptr, {kHalf, kHalf}, {-1, -1});
  EXPECT_EQ(out, kSingleRounding ? (std::vector<int8_t>{1, 0}) : (std::vector<int8_t>{2, -1}));
}

// Test-local frexp-based multiplier (independent of tinywalk::quant): d = M * 2^(shift - 31).
void to_fixed(double d, int32_t* m, int* shift) {
  int e = 0;
  const double q = std::frexp(d, &e);
  int64_t mm = std::llround(std::ldexp(q, 31));
  if (mm == (int64_t{1} << 31)) {
    mm /= 2;
    ++e;
  }
  *m = static_cast<int32_t>(mm);
  *shift = e;
}

TEST(FullyConnectedInt8, RandomLayersMatchRealValuedComputation) {
  std::mt19937_64 rng(4242);
  std::uniform_int_distribution<int> i8(-128, 127), w8(-127, 127), zp_dist(-128, 127);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  long long checked = 0, exact_rounding = 0, in_range = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int in_dim = 1 + static_cast<int>(rng() % 300), out_dim = 1 + static_cast<int>(rng() % 40);
    const double in_scale = std::exp(-6 + 6 * unit(rng));  // ~0.0025 .. 1
    const int32_t in_zp = zp_dist(rng), out_zp = zp_dist(rng);
    const bool relu = rng() % 2 == 0;
    const fw::FullyConnectedParams p = params(in_zp, out_zp, relu ? std::max(-128, out_zp) : -128, 127);
    std::vector<int8_t> x(static_cast<size_t>(in_dim)), w(static_cast<size_t>(in_dim) * out_dim);
    for (auto& v : x) v = static_cast<int8_t>(i8(rng));
    for (auto& v : w) v = static_cast<int8_t>(w8(rng));
    std::vector<double> w_scale(static_cast<size_t>(out_dim));
    std::vector<int32_t> bias(static_cast<size_t>(out_dim)), m(static_cast<size_t>(out_dim)), sh(static_cast<size_t>(out_dim));
    const double out_scale = std::exp(-5 + 5 * unit(rng));
    for (int o = 0; o < out_dim; ++o) {
      // The accumulator's spread is about 8000 * sqrt(in_dim); aim the layer
      // multiplier so the outputs spread over roughly +-100 LSB (some saturate).
      const double d_target = 0.0125 / std::sqrt(static_cast<double>(in_dim)) * std::exp(-1.2 + 2.4 * unit(rng));
      w_scale[static_cast<size_t>(o)] = d_target * out_scale / in_scale;  // per channel
      bias[static_cast<size_t>(o)] = static_cast<int32_t>(rng() % 4001) - 2000;
      int s = 0;
      to_fixed(in_scale * w_scale[static_cast<size_t>(o)] / out_scale, &m[static_cast<size_t>(o)], &s);
      sh[static_cast<size_t>(o)] = s;
    }
    const std::vector<int8_t> out = run_fc(p, in_dim, out_dim, x, w, bias.data(), m, sh);
    for (int o = 0; o < out_dim; ++o) {
      // Real-valued layer on the dequantized tensors, in long double.
      long double y = static_cast<long double>(in_scale) * w_scale[static_cast<size_t>(o)] * bias[static_cast<size_t>(o)];
      for (int i = 0; i < in_dim; ++i) {
        const long double xr = static_cast<long double>(in_scale) * (x[static_cast<size_t>(i)] - in_zp);
        const long double wr = static_cast<long double>(w_scale[static_cast<size_t>(o)]) * w[static_cast<size_t>(o) * in_dim + i];
        y += xr * wr;
      }
      const long double q = y / out_scale + out_zp;  // the ideal output, in output LSBs
      const long double want = std::min<long double>(std::max<long double>(q, p.activation_min), p.activation_max);
      const int got = out[static_cast<size_t>(o)];
      // Within 1 LSB; in fact within 3/4 (double rounding's worst case, shift < 0)
      // plus the multiplier's relative error of 2^-31.
      ASSERT_LE(std::fabs(got - want), 0.75L + 1e-6L) << "trial " << trial << " o " << o << " q " << static_cast<double>(q);
      ++checked;
      in_range += q > p.activation_min && q < p.activation_max;
      exact_rounding += std::fabs(got - want) <= 0.5L;
      // Bit-exact against the reference loop built on the test's own MBQM.
      int64_t acc = bias[static_cast<size_t>(o)];
      for (int i = 0; i < in_dim; ++i) acc += int64_t{w[static_cast<size_t>(o) * in_dim + i]} * (x[static_cast<size_t>(i)] - in_zp);
      int64_t r = int64_t{ref_mbqm(static_cast<int32_t>(acc), m[static_cast<size_t>(o)], sh[static_cast<size_t>(o)])} + out_zp;
      r = std::min<int64_t>(std::max<int64_t>(r, p.activation_min), p.activation_max);
      ASSERT_EQ(got, r);
    }
  }
  EXPECT_GT(checked, 4000);
  EXPECT_GT(static_cast<double>(in_range) / checked, 0.5) << "most outputs should not be clamped";
  // Most outputs are the correctly rounded value; the rest are the 1-LSB double-rounding cases.
  EXPECT_GT(static_cast<double>(exact_rounding) / checked, 0.9);
}

}  // namespace

// ---- The optimised kernel (robot_fw/int8_kernels_fast.h, the AVR build's): bit-exact with the reference ----

namespace tinywalk::fw {
namespace {

TEST(FastKernel, RequantizationHelpersMatchTheReference) {
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

TEST(FastKernel, FastFullyConnectedMatchesTheReference) {
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
