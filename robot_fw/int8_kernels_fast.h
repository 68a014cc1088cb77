// A faster int8 fully-connected layer for 8-bit MCUs, bit-exact with the reference
// (fully_connected_int8_mem, robot_fw/int8_kernels.h): the same integer result by algebra,
//   sum_i w[i] * (x[i] + off)  ==  sum_i w[i] * x[i]  +  off * sum_i w[i],
// so the inner loop is an int8 x int8 -> int16 multiply (one MULS on AVR) and int8 sums, instead
// of a 32 x 32-bit multiply per MAC. No overflow: |sum w x| <= in * 2^14, |sum w| <= in * 128,
// |off| <= 255, in <= kMaxWidth. Bias, requantization (multiply_by_quantized_multiplier), the
// output offset and the clamp in the same order; the requantization's 64-bit high multiply takes
// the result bits from the 32-bit halves (srdhm_fast) instead of a 64-bit shift.
// Tested against the reference on random layers (tests/fw/test_int8_kernels.cpp, the reference kernel's own test file) and on the
// golden vectors on the chip.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "robot_fw/int8_kernels.h"
#include "robot_fw/network.h"

namespace tinywalk {
namespace fw {

// saturating_rounding_doubling_high_mul without 64-bit shifts: floor((a*b + 2^30) / 2^31) is
// bits 31..62 of the two's-complement sum, taken from its two 32-bit halves (constant shifts by
// 1 and 31 only; on AVR a 64-bit shift by 31 is a libgcc loop).
inline int32_t srdhm_fast(int32_t a, int32_t b) {
  if (a == -2147483647L - 1 && b == -2147483647L - 1) return 2147483647L;
  const uint64_t ab = static_cast<uint64_t>(static_cast<int64_t>(a) * b);  // two's complement bits
  uint32_t w[2];
  __builtin_memcpy(w, &ab, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  const uint32_t lo = w[1], hi = w[0];
#else
  const uint32_t lo = w[0], hi = w[1];
#endif
  const uint32_t lo2 = lo + 0x40000000UL;
  const uint32_t hi2 = hi + (lo2 < lo ? 1UL : 0UL);
  const uint32_t r = (hi2 << 1) | ((lo2 & 0x80000000UL) ? 1UL : 0UL);
  return r <= 0x7fffffffUL ? static_cast<int32_t>(r) : -static_cast<int32_t>(~r) - 1;
}

// multiply_by_quantized_multiplier (default double rounding) with srdhm_fast.
inline int32_t mbqm_fast(int32_t x, int32_t multiplier, int shift) {
#ifdef TINYWALK_SINGLE_ROUNDING
  return multiply_by_quantized_multiplier(x, multiplier, shift);
#else
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  const uint32_t u = static_cast<uint32_t>(x) << left_shift;
  const int32_t shifted = u <= 0x7fffffffUL ? static_cast<int32_t>(u) : -static_cast<int32_t>(~u) - 1;
  return rounding_divide_by_pot(srdhm_fast(shifted, multiplier), right_shift);
#endif
}

// a + b saturated to int32, in 32-bit arithmetic (saturating_add_int32 goes through int64).
inline int32_t sat_add_fast(int32_t a, int32_t b) {
  const uint32_t r = static_cast<uint32_t>(a) + static_cast<uint32_t>(b);
  if ((a >= 0) == (b >= 0) && ((r & 0x80000000UL) != 0) != (a < 0)) return a < 0 ? -2147483647L - 1 : 2147483647L;
  return r <= 0x7fffffffUL ? static_cast<int32_t>(r) : -static_cast<int32_t>(~r) - 1;
}

// int8 x int8 -> int16: one MULS on AVR (the compiler otherwise calls a 16 x 16 -> 32 helper).
inline int16_t mul8x8(int8_t a, int8_t b) {
#if defined(__AVR__)
  int16_t r;
  __asm__("muls %1, %2\n\tmovw %0, r0\n\tclr r1" : "=r"(r) : "d"(a), "d"(b) : "r0");
  return r;
#else
  return static_cast<int16_t>(static_cast<int16_t>(a) * static_cast<int16_t>(b));
#endif
}

template <class Mem>
void fully_connected_int8_fast(const FullyConnectedParams& p, int in_dim, int out_dim, const int8_t* input, const int8_t* weights,
                               const int32_t* bias, const int32_t* multiplier, const int32_t* shift, int8_t* output) {
  const int8_t* row = weights;
  for (int o = 0; o < out_dim; ++o) {
    int32_t dot = 0;
    int16_t wsum = 0;
    const int8_t* x = input;
    for (int i = 0; i < in_dim; ++i) {
      const int8_t w = Mem::i8(row++);
      dot += mul8x8(w, *x++);
      wsum += w;
    }
    int32_t acc = dot + static_cast<int32_t>(wsum) * p.input_offset;
    if (bias != nullptr) acc = sat_add_fast(acc, Mem::i32(bias + o));
    acc = mbqm_fast(acc, Mem::i32(multiplier + o), static_cast<int>(Mem::i32(shift + o)));
    acc = sat_add_fast(acc, p.output_offset);
    if (acc < p.activation_min) acc = p.activation_min;
    if (acc > p.activation_max) acc = p.activation_max;
    output[o] = static_cast<int8_t>(acc);
  }
}

// network_run_mem with the fast layer.
template <class Mem>
struct FastLayer {
  static void run(const FullyConnectedParams& p, int in, int out, const int8_t* x, const int8_t* w, const int32_t* b, const int32_t* m,
                  const int32_t* s, int8_t* y) {
    fully_connected_int8_fast<Mem>(p, in, out, x, w, b, m, s, y);
  }
};
template <class Mem>
void network_run_fast(const NetworkView& net, const int8_t* input, int8_t* output, int8_t* scratch, int max_width) {
  network_run_layers<FastLayer<Mem>>(net, input, output, scratch, max_width);
}

}  // namespace fw
}  // namespace tinywalk
