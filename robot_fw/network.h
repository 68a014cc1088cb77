// The int8 policy network as the firmware sees it: a chain of fully-connected
// layers whose constant data (weights, biases, per-channel multipliers and
// shifts) is referenced in place, never copied.
//
// Two ways to get one:
//   - compiled in: `tinywalk export` writes the arrays as C++ sources (in flash,
//     PROGMEM on AVR) and a NetworkView initialiser;
//   - loaded in place from .tflite bytes (host and 32-bit targets):
//     tflite_load() walks the FlatBuffer with bounds checks and points the view
//     at the weight and bias buffers inside the caller's bytes. Per-channel
//     multipliers and shifts are not in the TFLite format (runtimes derive them
//     from float scales at load time); tinywalk precomputes them offline and
//     stores them, with the rest of the controller configuration, in the
//     metadata entry "tinywalk_fw" (robot_fw/controller_config.h), so the
//     firmware never does float arithmetic.
//
// Freestanding C++: no heap, no exceptions, no RTTI; <stdint.h>/<stddef.h> only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "robot_fw/int8_kernels.h"

namespace tinywalk {
namespace fw {

#ifndef TINYWALK_FW_MAX_LAYERS
#define TINYWALK_FW_MAX_LAYERS 6
#endif
#ifndef TINYWALK_FW_MAX_WIDTH
#define TINYWALK_FW_MAX_WIDTH 256
#endif
constexpr int kMaxLayers = TINYWALK_FW_MAX_LAYERS;
constexpr int kMaxWidth = TINYWALK_FW_MAX_WIDTH;  // widest tensor the firmware accepts

struct LayerView {
  int16_t in, out;
  FullyConnectedParams params;
  const int8_t* weights;      // [out][in] row-major
  const int32_t* bias;        // [out] or null
  const int32_t* multiplier;  // [out]
  const int32_t* shift;       // [out]
};

// Const model: the network. Data lives wherever the pointers say (flash, the .tflite bytes).
struct NetworkView {
  int num_layers;
  LayerView layers[kMaxLayers];
  int inputs() const { return num_layers > 0 ? layers[0].in : 0; }
  int outputs() const { return num_layers > 0 ? layers[num_layers - 1].out : 0; }
  int max_width() const;  // widest layer output (scratch per buffer)
};

enum class NetStatus : uint8_t {
  kOk = 0,
  kNullPointer,
  kBadShape,         // no layers, too many, a layer wider than kMaxWidth, or in != previous out
  kArenaTooSmall,    // scratch smaller than network_scratch_bytes()
  // tflite_load:
  kTruncated,        // an offset or length points outside the bytes
  kBadIdentifier,    // not "TFL3"
  kBadVersion,       // schema version other than 3
  kUnsupportedOp,    // an operator other than FULLY_CONNECTED
  kBadTensor,        // wrong type (int8 weights / int32 bias), shape, or missing quantization
  kBadMetadata,      // no "tinywalk_fw" entry, or its layer data does not match the graph
  kMisaligned,       // an int32 buffer not 4-byte aligned in memory
};
const char* net_status_name(NetStatus s);

NetStatus network_validate(const NetworkView& net);
// Scratch for network_run: two ping-pong buffers of max_width() bytes.
size_t network_scratch_bytes(const NetworkView& net);
// input [inputs()], output [outputs()]; scratch as above, caller-owned. Integer only.
NetStatus network_run(const NetworkView& net, const int8_t* input, int8_t* output, int8_t* scratch, size_t scratch_bytes);

// The layer chain with Layer::run(params, in, out, x, weights, bias, multiplier, shift, y) per
// layer, ping-ponging between the two scratch buffers; the last layer writes `output`.
template <class Layer>
void network_run_layers(const NetworkView& net, const int8_t* input, int8_t* output, int8_t* scratch, int max_width) {
  int8_t* a = scratch;
  int8_t* b = scratch + max_width;
  const int8_t* x = input;
  for (int l = 0; l < net.num_layers; ++l) {
    const LayerView& L = net.layers[l];
    int8_t* y = l == net.num_layers - 1 ? output : (x == a ? b : a);
    Layer::run(L.params, L.in, L.out, x, L.weights, L.bias, L.multiplier, L.shift, y);
    x = y;
  }
}

// The reference layer with the constant data read through Mem (see fully_connected_int8_mem).
template <class Mem>
struct ReferenceLayer {
  static void run(const FullyConnectedParams& p, int in, int out, const int8_t* x, const int8_t* w, const int32_t* b, const int32_t* m,
                  const int32_t* s, int8_t* y) {
    fully_connected_int8_mem<Mem>(p, in, out, x, w, b, m, s, y);
  }
};
template <class Mem>
void network_run_mem(const NetworkView& net, const int8_t* input, int8_t* output, int8_t* scratch, int max_width) {
  network_run_layers<ReferenceLayer<Mem>>(net, input, output, scratch, max_width);
}

// Where the "tinywalk_fw" metadata blob sits in the .tflite bytes.
struct TfliteBlob {
  const uint8_t* data;
  size_t size;
};

// Reads a .tflite model in place: `bytes` must stay alive and unchanged while `net` is used,
// and be 4-byte aligned (buffers are 16-byte aligned within the file). Fills `net` (weights and
// biases point into `bytes`; multipliers and shifts point into the "tinywalk_fw" blob) and
// `blob` (for controller_config_read). Every offset is bounds-checked; any byte sequence
// gives a status, never a crash.
NetStatus tflite_load(const uint8_t* bytes, size_t size, NetworkView& net, TfliteBlob& blob);

}  // namespace fw
}  // namespace tinywalk
