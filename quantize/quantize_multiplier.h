// Offline half of requantization: turn a real multiplier into the int32
// multiplier and shift the firmware's integer kernel uses (TFLite's
// QuantizeMultiplier): d = q * 2^shift with q in [0.5, 1); multiplier =
// round(q * 2^31); if that rounds to 2^31, halve it and add 1 to shift;
// d == 0 gives (0, 0). Shifts beyond [-31, 30] are flushed/clamped as TFLite does
// (a tiny d becomes multiplier 0).
#pragma once

#include <cstdint>

namespace tinywalk::quant {

// InputError for negative, NaN or infinite d.
void quantize_multiplier(double d, int32_t* multiplier, int* shift);

}  // namespace tinywalk::quant
