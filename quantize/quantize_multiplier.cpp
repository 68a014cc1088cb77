// TFLite's QuantizeMultiplier: a real multiplier d >= 0 as an int32 multiplier
// M in [2^30, 2^31) (or 0) and a shift in [-31, 30], d ~= M * 2^(shift - 31).
#include "quantize/quantize_multiplier.h"

#include <cmath>
#include <limits>
#include <string>

#include "common/error.h"

namespace tinywalk::quant {

void quantize_multiplier(double d, int32_t* multiplier, int* shift) {
  // Bad input: the multiplier comes from scales read out of user files.
  if (std::isnan(d) || std::isinf(d) || d < 0.0) {
    throw InputError("", "multiplier",
                     "expected a finite, non-negative real multiplier (input_scale * weight_scale / output_scale), got " +
                         std::to_string(d));
  }
  if (d == 0.0) {
    *multiplier = 0;
    *shift = 0;
    return;
  }
  // d = q * 2^exponent with q in [0.5, 1); M = round(q * 2^31), ties away from zero.
  int exponent = 0;
  const double q = std::frexp(d, &exponent);
  int64_t q_fixed = static_cast<int64_t>(std::round(q * static_cast<double>(int64_t{1} << 31)));
  // q close enough to 1 rounds up to 2^31, which does not fit: use 2^30 * 2^(exponent + 1).
  if (q_fixed == (int64_t{1} << 31)) {
    q_fixed /= 2;
    ++exponent;
  }
  // Below 2^-32 every product x * d (|x| < 2^31) rounds to 0 anyway: TFLite
  // encodes that as multiplier 0 rather than a right shift of more than 31.
  if (exponent < -31) {
    *multiplier = 0;
    *shift = 0;
    return;
  }
  // The kernels take shift <= 30; TFLite clamps a d >= 2^30 to the largest
  // representable value, INT32_MAX * 2^-1 ~= 2^30. Such a layer multiplier only
  // arises from degenerate scales (output scale 2^30 times smaller than the
  // product of the input and weight scales).
  if (exponent > 30) {
    *multiplier = std::numeric_limits<int32_t>::max();
    *shift = 30;
    return;
  }
  *multiplier = static_cast<int32_t>(q_fixed);
  *shift = exponent;
}

}  // namespace tinywalk::quant
