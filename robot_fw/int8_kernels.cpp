// The int8 reference kernels (TensorFlow Lite Micro's reference semantics).
//
// Freestanding and integer-only: <stdint.h> and nothing else. Every operation
// is defined behaviour in C++17 on any target, including avr-gcc where `int`
// is 16 bits: constants are built as int32_t / int64_t, right shifts of
// negative numbers go through floor_shift_right (no implementation-defined
// arithmetic shift), and the places where TFLite's own code can overflow a
// signed int are done in unsigned or 64-bit arithmetic with the result TFLite
// gets on two's-complement hardware (documented at each place).
//
// Rounding, precisely (the header's one-line summaries are approximate):
//   saturating_rounding_doubling_high_mul: round(a*b / 2^31), ties toward
//     +infinity (so -0.5 -> 0, +0.5 -> 1), exactly gemmlowp/TFLite's
//     "add 2^30 or 1 - 2^30, then divide truncating" and ARM's VQRDMULH.
//   rounding_divide_by_pot: round(x / 2^e), ties away from zero.
//   multiply_by_quantized_multiplier (default): the two roundings in sequence
//     ("double rounding"); with TINYWALK_SINGLE_ROUNDING one rounding of the
//     exact product, ties toward +infinity.
#include "robot_fw/int8_kernels.h"

#include <stdint.h>

namespace tinywalk {
namespace fw {

namespace {

// <stdint.h>'s INT32_MIN/MAX need __STDC_LIMIT_MACROS in C++ with avr-libc.
constexpr int32_t kInt32Max = 0x7fffffff;
constexpr int32_t kInt32Min = -kInt32Max - 1;

// floor(x / 2^e) for e in [0, 31], without right-shifting a negative number.
inline int32_t floor_shift_right(int32_t x, int e) {
  return x >= 0 ? (x >> e) : ~(~x >> e);  // ~x = -x - 1 >= 0
}

// floor(x / 2^e) for e in [0, 63].
inline int64_t floor_shift_right(int64_t x, int e) {
  return x >= 0 ? (x >> e) : ~(~x >> e);
}

// The int32 with the same two's-complement bit pattern as u (portable form of
// the cast, which is implementation-defined before C++20).
inline int32_t from_bits(uint32_t u) {
  return u <= static_cast<uint32_t>(kInt32Max) ? static_cast<int32_t>(u) : -static_cast<int32_t>(~u) - 1;
}

inline int32_t saturate_to_int32(int64_t x) {
  if (x > kInt32Max) return kInt32Max;
  if (x < kInt32Min) return kInt32Min;
  return static_cast<int32_t>(x);
}

// a + b, saturated: equal to a + b whenever that does not overflow.
inline int32_t saturating_add(int32_t a, int32_t b) {
  return saturate_to_int32(static_cast<int64_t>(a) + b);
}

}  // namespace

int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  // The one product that does not fit: (-2^31)^2 / 2^31 = 2^31.
  if (a == kInt32Min && b == kInt32Min) return kInt32Max;
  // TFLite: (ab + (ab >= 0 ? 2^30 : 1 - 2^30)) / 2^31 truncating toward zero.
  // For ab < 0 that is ceil((ab + 1 - 2^30) / 2^31) = floor((ab + 2^30) / 2^31),
  // so both signs are floor((ab + 2^30) / 2^31): a shift, not a 64-bit division.
  const int64_t ab = static_cast<int64_t>(a) * b;  // |ab| <= 2^62
  return static_cast<int32_t>(floor_shift_right(ab + (static_cast<int64_t>(1) << 30), 31));
}

int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  // TFLite: mask = 2^e - 1, remainder = x & mask, threshold = mask/2 (+1 if
  // x < 0), result = (x >> e) + (remainder > threshold).
  const uint32_t mask = (static_cast<uint32_t>(1) << exponent) - 1u;
  const uint32_t remainder = static_cast<uint32_t>(x) & mask;  // x mod 2^e, in [0, 2^e)
  const uint32_t threshold = (mask >> 1) + (x < 0 ? 1u : 0u);
  // Cannot overflow: floor(x / 2^e) == INT32_MAX only if e == 0, where remainder == 0.
  return floor_shift_right(x, exponent) + (remainder > threshold ? 1 : 0);
}

#ifndef TINYWALK_SINGLE_ROUNDING

int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  // TFLite computes x * (1 << left_shift) in int32, which overflows (undefined)
  // once |x| * 2^left_shift >= 2^31. Here the product is taken modulo 2^32 and
  // read back as two's complement: the value TFLite produces on real hardware,
  // without the undefined behaviour; in-range products are unaffected. A
  // wrapped product is of course not x * 2^shift, so a meaningful result needs
  // |x| * 2^shift < 2^31. Layer multipliers are below 1 in practice (shift <= 0),
  // where there is no left shift at all.
  const int32_t shifted = from_bits(static_cast<uint32_t>(x) << left_shift);
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right_shift);
}

#else  // TINYWALK_SINGLE_ROUNDING

int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  // Desktop TFLite: (x * M + 2^(30 - shift)) >> (31 - shift) in 64 bits, i.e.
  // floor(x * M / 2^(31 - shift) + 1/2): one rounding, ties toward +infinity.
  const int total_shift = 31 - shift;  // [1, 62] for shift in [-31, 30]
  const int64_t round = static_cast<int64_t>(1) << (total_shift - 1);
  // |x * M| <= 2^62 and round <= 2^61: the sum fits in int64.
  const int64_t result = floor_shift_right(static_cast<int64_t>(x) * multiplier + round, total_shift);
  // TFLite only DCHECKs the range; saturating keeps large shifts well defined.
  return saturate_to_int32(result);
}

#endif  // TINYWALK_SINGLE_ROUNDING

int32_t saturating_add_int32(int32_t a, int32_t b) { return saturating_add(a, b); }

void fully_connected_int8(const FullyConnectedParams& p, int in_dim, int out_dim, const int8_t* input, const int8_t* weights,
                          const int32_t* bias, const int32_t* multiplier, const int32_t* shift, int8_t* output) {
  fully_connected_int8_mem<RamLoader>(p, in_dim, out_dim, input, weights, bias, multiplier, shift, output);
}

}  // namespace fw
}  // namespace tinywalk
