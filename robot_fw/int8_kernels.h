// The int8 reference kernels: the specification every optimised kernel must
// match bit for bit (TensorFlow Lite Micro's reference semantics, with its
// default "double rounding" requantization; define TINYWALK_SINGLE_ROUNDING
// to match desktop TFLite's single rounding instead).
//
// Freestanding C++: no heap, no exceptions, no RTTI, no standard library
// beyond <stdint.h>. Integer-only.
#pragma once

#include <stdint.h>

namespace tinywalk {
namespace fw {

// round(a * b / 2^31) with ties rounded towards +infinity (as TFLite); the only overflow case,
// INT32_MIN * INT32_MIN, saturates to INT32_MAX.
int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b);
// x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31].
int32_t rounding_divide_by_pot(int32_t x, int exponent);
// About x * multiplier * 2^shift / 2^31 (multiplier in [2^30, 2^31) or 0; shift in [-31, 30]); the
// default double rounding can be 1 LSB off round-to-nearest, exactly as TFLite Micro.
int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift);

struct FullyConnectedParams {
  int32_t input_offset;    // -(input zero point)
  int32_t output_offset;   // output zero point
  int32_t activation_min;  // int8 clamp after requantization (fused ReLU: max(-128, zp))
  int32_t activation_max;
};

// out[o] = clamp(MBQM(sum_i w[o][i] * (in[i] + input_offset) + bias[o], M[o], shift[o]) + output_offset)
// weights [out_dim][in_dim] row-major; bias may be null (0); per output channel multiplier/shift.
void fully_connected_int8(const FullyConnectedParams& p, int in_dim, int out_dim, const int8_t* input, const int8_t* weights,
                          const int32_t* bias, const int32_t* multiplier, const int32_t* shift, int8_t* output);

// a + b saturated to int32 (equal to a + b whenever that does not overflow).
int32_t saturating_add_int32(int32_t a, int32_t b);

// The same loop with the constant model data (weights, bias, multiplier, shift) read through
// `Mem`, for targets where constants live in another address space (AVR flash, read with
// LPM). Mem provides static int8_t i8(const int8_t*) and int32_t i32(const int32_t*).
// fully_connected_int8 is this template with plain loads; an instantiation with any other
// loader that returns the same values is bit-exact with it by construction.
struct RamLoader {
  static int8_t i8(const int8_t* p) { return *p; }
  static int32_t i32(const int32_t* p) { return *p; }
};
template <class Mem>
void fully_connected_int8_mem(const FullyConnectedParams& p, int in_dim, int out_dim, const int8_t* input, const int8_t* weights,
                              const int32_t* bias, const int32_t* multiplier, const int32_t* shift, int8_t* output) {
  const int8_t* row = weights;  // weights[o][0..in_dim)
  for (int o = 0; o < out_dim; ++o, row += in_dim) {
    // Dot product in int32: |w| <= 128, |x - zp| <= 255, so no overflow for in_dim <= 65793.
    int32_t acc = 0;
    for (int i = 0; i < in_dim; ++i) acc += static_cast<int32_t>(Mem::i8(row + i)) * (static_cast<int32_t>(input[i]) + p.input_offset);
    // Bias after the sum, as TFLite; saturating only where TFLite's int32 add would overflow.
    if (bias != nullptr) acc = saturating_add_int32(acc, Mem::i32(bias + o));
    // Requantize to the output scale, move to the output zero point, clamp.
    acc = multiply_by_quantized_multiplier(acc, Mem::i32(multiplier + o), static_cast<int>(Mem::i32(shift + o)));
    acc = saturating_add_int32(acc, p.output_offset);
    if (acc < p.activation_min) acc = p.activation_min;
    if (acc > p.activation_max) acc = p.activation_max;
    output[o] = static_cast<int8_t>(acc);
  }
}

}  // namespace fw
}  // namespace tinywalk
