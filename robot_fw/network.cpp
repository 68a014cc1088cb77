// The int8 network: validation, inference, and an in-place, bounds-checked
// .tflite reader (the FlatBuffers wire format read by hand: no generated code,
// no heap, any byte sequence gives a status). Little-endian targets only.
#include "robot_fw/network.h"

#include <stddef.h>
#include <stdint.h>

namespace tinywalk {
namespace fw {

const char* net_status_name(NetStatus s) {
  switch (s) {
    case NetStatus::kOk: return "ok";
    case NetStatus::kNullPointer: return "null pointer";
    case NetStatus::kBadShape: return "bad network shape";
    case NetStatus::kArenaTooSmall: return "arena too small";
    case NetStatus::kTruncated: return "truncated or out-of-range offset";
    case NetStatus::kBadIdentifier: return "not a .tflite file (identifier TFL3)";
    case NetStatus::kBadVersion: return "unsupported schema version";
    case NetStatus::kUnsupportedOp: return "unsupported operator";
    case NetStatus::kBadTensor: return "bad tensor type, shape or quantization";
    case NetStatus::kBadMetadata: return "missing or inconsistent tinywalk_fw metadata";
    case NetStatus::kMisaligned: return "misaligned buffer";
  }
  return "unknown";
}

int NetworkView::max_width() const {
  int w = 0;
  for (int l = 0; l < num_layers; ++l) w = layers[l].out > w ? layers[l].out : w;
  return w;
}

NetStatus network_validate(const NetworkView& net) {
  if (net.num_layers < 1 || net.num_layers > kMaxLayers) return NetStatus::kBadShape;
  for (int l = 0; l < net.num_layers; ++l) {
    const LayerView& L = net.layers[l];
    if (L.in < 1 || L.out < 1 || L.in > kMaxWidth || L.out > kMaxWidth) return NetStatus::kBadShape;
    if (l > 0 && L.in != net.layers[l - 1].out) return NetStatus::kBadShape;
    if (!L.weights || !L.multiplier || !L.shift) return NetStatus::kNullPointer;
  }
  return NetStatus::kOk;
}

size_t network_scratch_bytes(const NetworkView& net) { return 2 * static_cast<size_t>(net.max_width()); }

NetStatus network_run(const NetworkView& net, const int8_t* input, int8_t* output, int8_t* scratch, size_t scratch_bytes) {
  if (!input || !output || !scratch) return NetStatus::kNullPointer;
  const NetStatus st = network_validate(net);
  if (st != NetStatus::kOk) return st;
  if (scratch_bytes < network_scratch_bytes(net)) return NetStatus::kArenaTooSmall;
  network_run_mem<RamLoader>(net, input, output, scratch, net.max_width());
  return NetStatus::kOk;
}

namespace {

// ---- A bounds-checked FlatBuffers cursor over [base, base + size) ----
struct Fb {
  const uint8_t* base;
  uint32_t size;
  bool ok;

  uint32_t u32(uint32_t at) {
    if (!ok || at > size || size - at < 4) return ok = false, 0u;
    const uint8_t* p = base + at;
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
           static_cast<uint32_t>(p[3]) << 24;
  }
  uint16_t u16(uint32_t at) {
    if (!ok || at > size || size - at < 2) return ok = false, 0u;
    return static_cast<uint16_t>(base[at] | base[at + 1] << 8);
  }
  uint8_t u8(uint32_t at) {
    if (!ok || at >= size) return ok = false, 0u;
    return base[at];
  }
  // Follows a uoffset stored at `at`.
  uint32_t deref(uint32_t at) {
    const uint32_t off = u32(at);
    if (!ok || off > size - at) return ok = false, 0u;
    return at + off;
  }
  // Byte position of field `id` of the table at `table`, or 0 if absent.
  uint32_t field(uint32_t table, int id) {
    const uint32_t so = u32(table);
    if (!ok) return 0;
    const int64_t vt = static_cast<int64_t>(table) - static_cast<int32_t>(so);
    if (vt < 0 || vt + 4 > static_cast<int64_t>(size)) return ok = false, 0u;
    const uint32_t vtable = static_cast<uint32_t>(vt);
    const uint16_t vsize = u16(vtable), tsize = u16(vtable + 2);
    if (!ok || vsize < 4 || (vsize & 1) || static_cast<uint32_t>(tsize) > size - table) return ok = false, 0u;
    const uint32_t slot = 4u + 2u * static_cast<uint32_t>(id);
    if (slot + 2 > vsize) return 0;
    const uint16_t fo = u16(vtable + slot);
    if (!ok || fo == 0) return 0;
    if (fo >= tsize) return ok = false, 0u;
    return table + fo;
  }
  uint32_t field_u32(uint32_t table, int id, uint32_t def) {
    const uint32_t at = field(table, id);
    return at ? u32(at) : def;
  }
  uint8_t field_u8(uint32_t table, int id, uint8_t def) {
    const uint32_t at = field(table, id);
    return at ? u8(at) : def;
  }
  // A vector field: position of element 0 and its length (elem bytes each); false if absent.
  bool vec(uint32_t table, int id, uint32_t elem, uint32_t* start, uint32_t* len) {
    const uint32_t at = field(table, id);
    if (!ok || !at) return false;
    const uint32_t v = deref(at);
    const uint32_t n = u32(v);
    if (!ok || (elem && n > (size - v - 4) / elem)) return ok = false, false;
    *start = v + 4;
    *len = n;
    return true;
  }
  // Element k of a vector of tables.
  uint32_t table_at(uint32_t start, uint32_t k) { return deref(start + 4 * k); }
  bool str_eq(uint32_t table, int id, const char* s) {
    uint32_t p = 0, n = 0;
    if (!vec(table, id, 1, &p, &n)) return false;
    uint32_t k = 0;
    for (; k < n && s[k]; ++k)
      if (base[p + k] != static_cast<uint8_t>(s[k])) return false;
    return k == n && s[k] == 0;
  }
};

// TFLite schema field ids (schema version 3).
enum : int { kModelVersion = 0, kModelOpcodes = 1, kModelSubgraphs = 2, kModelBuffers = 4, kModelMetadata = 6 };
enum : int { kCodeDeprecated = 0, kCodeBuiltin = 3 };
enum : int { kSgTensors = 0, kSgInputs = 1, kSgOutputs = 2, kSgOperators = 3 };
enum : int { kTensorShape = 0, kTensorType = 1, kTensorBuffer = 2, kTensorQuant = 4 };
enum : int { kQuantZeroPoint = 3 };
enum : int { kOpOpcode = 0, kOpInputs = 1, kOpOutputs = 2, kOpOptionsType = 3, kOpOptions = 4 };
enum : int { kBufferData = 0 };
enum : int { kMetaName = 0, kMetaBuffer = 1 };
constexpr uint8_t kInt8 = 9, kInt32 = 2;
constexpr int32_t kFullyConnected = 9;
constexpr uint8_t kFcOptionsUnion = 8;  // BuiltinOptions_FullyConnectedOptions

struct Tensor {
  uint8_t type;
  uint32_t buffer;
  int32_t zero_point;
  int32_t dims[2];
  uint32_t rank;
};

bool read_tensor(Fb& fb, uint32_t tensors, uint32_t ntensors, int32_t index, Tensor& t) {
  if (index < 0 || static_cast<uint32_t>(index) >= ntensors) return false;
  const uint32_t tt = fb.table_at(tensors, static_cast<uint32_t>(index));
  t.type = fb.field_u8(tt, kTensorType, 0);
  t.buffer = fb.field_u32(tt, kTensorBuffer, 0);
  uint32_t sp = 0, sn = 0;
  t.rank = 0;
  if (fb.vec(tt, kTensorShape, 4, &sp, &sn)) {
    t.rank = sn;
    for (uint32_t k = 0; k < sn && k < 2; ++k) t.dims[k] = static_cast<int32_t>(fb.u32(sp + 4 * k));
  }
  t.zero_point = 0;
  const uint32_t qa = fb.field(tt, kTensorQuant);
  if (qa) {
    const uint32_t q = fb.deref(qa);
    uint32_t zp = 0, zn = 0;
    if (fb.vec(q, kQuantZeroPoint, 8, &zp, &zn) && zn >= 1) {
      const uint32_t lo = fb.u32(zp), hi = fb.u32(zp + 4);
      // The int64 is an int32 iff its high word is the sign extension of the low word.
      const bool neg = (lo & 0x80000000u) != 0;
      if (hi != (neg ? 0xffffffffu : 0u)) return false;
      t.zero_point = neg ? -static_cast<int32_t>(~lo) - 1 : static_cast<int32_t>(lo);  // ~lo <= INT32_MAX here
    }
  }
  return fb.ok;
}

// Data of buffer `index`: position and length.
bool buffer_data(Fb& fb, uint32_t buffers, uint32_t nbuffers, uint32_t index, uint32_t* pos, uint32_t* len) {
  if (index == 0 || index >= nbuffers) return false;
  const uint32_t b = fb.table_at(buffers, index);
  return fb.vec(b, kBufferData, 1, pos, len) && fb.ok;
}

}  // namespace

NetStatus tflite_load(const uint8_t* bytes, size_t size, NetworkView& net, TfliteBlob& blob) {
  if (!bytes) return NetStatus::kNullPointer;
  if ((reinterpret_cast<uintptr_t>(bytes) & 3u) != 0) return NetStatus::kMisaligned;
  if (size < 8 || size > 0x7fffffffu) return NetStatus::kTruncated;
  if (bytes[4] != 'T' || bytes[5] != 'F' || bytes[6] != 'L' || bytes[7] != '3') return NetStatus::kBadIdentifier;
  Fb fb{bytes, static_cast<uint32_t>(size), true};
  const uint32_t model = fb.deref(0);
  if (!fb.ok) return NetStatus::kTruncated;
  if (fb.field_u32(model, kModelVersion, 0) != 3) return fb.ok ? NetStatus::kBadVersion : NetStatus::kTruncated;
  // Operator codes: every one must be FULLY_CONNECTED.
  uint32_t codes = 0, ncodes = 0, sgs = 0, nsgs = 0, bufs = 0, nbufs = 0, metas = 0, nmetas = 0;
  if (!fb.vec(model, kModelOpcodes, 4, &codes, &ncodes) || ncodes == 0) return fb.ok ? NetStatus::kUnsupportedOp : NetStatus::kTruncated;
  for (uint32_t k = 0; k < ncodes; ++k) {
    const uint32_t c = fb.table_at(codes, k);
    const int32_t builtin = static_cast<int32_t>(fb.field_u32(c, kCodeBuiltin, 0));
    const int32_t deprecated = static_cast<int8_t>(fb.field_u8(c, kCodeDeprecated, 0));
    if (!fb.ok) return NetStatus::kTruncated;
    if ((builtin > deprecated ? builtin : deprecated) != kFullyConnected) return NetStatus::kUnsupportedOp;
  }
  if (!fb.vec(model, kModelSubgraphs, 4, &sgs, &nsgs) || nsgs == 0) return fb.ok ? NetStatus::kBadShape : NetStatus::kTruncated;
  if (!fb.vec(model, kModelBuffers, 4, &bufs, &nbufs)) return fb.ok ? NetStatus::kBadTensor : NetStatus::kTruncated;
  const uint32_t sg = fb.table_at(sgs, 0);
  uint32_t tensors = 0, ntensors = 0, ops = 0, nops = 0;
  if (!fb.vec(sg, kSgTensors, 4, &tensors, &ntensors) || !fb.vec(sg, kSgOperators, 4, &ops, &nops))
    return fb.ok ? NetStatus::kBadShape : NetStatus::kTruncated;
  if (nops < 1 || nops > static_cast<uint32_t>(kMaxLayers)) return NetStatus::kBadShape;

  // The "tinywalk_fw" blob: multipliers and shifts per layer, then the controller config.
  blob.data = nullptr;
  blob.size = 0;
  if (fb.vec(model, kModelMetadata, 4, &metas, &nmetas))
    for (uint32_t k = 0; k < nmetas && fb.ok; ++k) {
      const uint32_t e = fb.table_at(metas, k);
      if (!fb.str_eq(e, kMetaName, "tinywalk_fw")) continue;
      uint32_t pos = 0, len = 0;
      if (!buffer_data(fb, bufs, nbufs, fb.field_u32(e, kMetaBuffer, 0), &pos, &len)) return NetStatus::kBadMetadata;
      blob.data = bytes + pos;
      blob.size = len;
    }
  if (!fb.ok) return NetStatus::kTruncated;
  if (!blob.data || blob.size < 12 || blob.data[0] != 'T' || blob.data[1] != 'W' || blob.data[2] != 'F' || blob.data[3] != 'W')
    return NetStatus::kBadMetadata;
  if ((reinterpret_cast<uintptr_t>(blob.data) & 3u) != 0) return NetStatus::kMisaligned;
  Fb bb{blob.data, static_cast<uint32_t>(blob.size), true};
  if (bb.u32(4) != 1 || bb.u32(8) != nops) return NetStatus::kBadMetadata;
  uint32_t at = 12;

  // Operators in order: input -> FC -> ... -> output (the chain tinywalk writes).
  net.num_layers = static_cast<int>(nops);
  // The chain: operator 0 reads the graph's input, each next one the previous one's output,
  // the last one writes the graph's output (any other order is refused, not misread).
  uint32_t gin = 0, gin_n = 0, gout = 0, gout_n = 0;
  if (!fb.vec(sg, kSgInputs, 4, &gin, &gin_n) || !fb.vec(sg, kSgOutputs, 4, &gout, &gout_n) || gin_n != 1 || gout_n != 1)
    return fb.ok ? NetStatus::kBadShape : NetStatus::kTruncated;
  int32_t expect_in = static_cast<int32_t>(fb.u32(gin));
  const int32_t graph_out = static_cast<int32_t>(fb.u32(gout));
  for (uint32_t k = 0; k < nops; ++k) {
    const uint32_t op = fb.table_at(ops, k);
    uint32_t ip = 0, in_n = 0, outp = 0, out_n = 0;
    if (!fb.vec(op, kOpInputs, 4, &ip, &in_n) || !fb.vec(op, kOpOutputs, 4, &outp, &out_n) || in_n < 2 || out_n != 1)
      return fb.ok ? NetStatus::kBadShape : NetStatus::kTruncated;
    if (fb.field_u32(op, kOpOpcode, 0) >= ncodes) return NetStatus::kUnsupportedOp;
    Tensor tin{}, tw{}, tb{}, tout{};
    const int32_t i_in = static_cast<int32_t>(fb.u32(ip)), i_w = static_cast<int32_t>(fb.u32(ip + 4));
    const int32_t i_b = in_n >= 3 ? static_cast<int32_t>(fb.u32(ip + 8)) : -1;
    const int32_t i_out = static_cast<int32_t>(fb.u32(outp));
    if (i_in != expect_in || (k + 1 == nops && i_out != graph_out)) return NetStatus::kBadShape;
    expect_in = i_out;
    if (!read_tensor(fb, tensors, ntensors, i_in, tin) || !read_tensor(fb, tensors, ntensors, i_w, tw) ||
        !read_tensor(fb, tensors, ntensors, i_out, tout))
      return fb.ok ? NetStatus::kBadTensor : NetStatus::kTruncated;
    if (tin.type != kInt8 || tw.type != kInt8 || tout.type != kInt8 || tw.rank != 2) return NetStatus::kBadTensor;
    if (tin.zero_point < -128 || tin.zero_point > 127 || tout.zero_point < -128 || tout.zero_point > 127) return NetStatus::kBadTensor;
    const int32_t out = tw.dims[0], in = tw.dims[1];
    if (out < 1 || in < 1 || out > kMaxWidth || in > kMaxWidth) return NetStatus::kBadShape;
    LayerView& L = net.layers[k];
    L.in = static_cast<int16_t>(in);
    L.out = static_cast<int16_t>(out);
    uint32_t wp = 0, wn = 0;
    if (!buffer_data(fb, bufs, nbufs, tw.buffer, &wp, &wn) || wn != static_cast<uint32_t>(in * out)) return NetStatus::kBadTensor;
    L.weights = reinterpret_cast<const int8_t*>(bytes + wp);
    L.bias = nullptr;
    if (i_b >= 0) {
      if (!read_tensor(fb, tensors, ntensors, i_b, tb) || tb.type != kInt32) return NetStatus::kBadTensor;
      uint32_t bp = 0, bn = 0;
      if (!buffer_data(fb, bufs, nbufs, tb.buffer, &bp, &bn) || bn != 4u * static_cast<uint32_t>(out)) return NetStatus::kBadTensor;
      if ((bp & 3u) != 0) return NetStatus::kMisaligned;
      L.bias = reinterpret_cast<const int32_t*>(bytes + bp);
    }
    // Fused activation clamps in the int8 domain: RELU -> [max(-128, zp), 127].
    uint8_t act = 0;
    if (fb.field_u8(op, kOpOptionsType, 0) == kFcOptionsUnion) {
      const uint32_t oa = fb.field(op, kOpOptions);
      if (oa) act = fb.field_u8(fb.deref(oa), 0, 0);
    }
    if (!fb.ok) return NetStatus::kTruncated;
    if (act != 0 && act != 1) return NetStatus::kUnsupportedOp;
    L.params.input_offset = -tin.zero_point;
    L.params.output_offset = tout.zero_point;
    L.params.activation_min = act == 1 ? (tout.zero_point > -128 ? tout.zero_point : -128) : -128;
    L.params.activation_max = 127;
    // Multipliers and shifts from the blob.
    if (bb.u32(at) != static_cast<uint32_t>(out)) return bb.ok ? NetStatus::kBadMetadata : NetStatus::kTruncated;
    at += 4;
    if (blob.size - at < 8u * static_cast<uint32_t>(out)) return NetStatus::kBadMetadata;
    L.multiplier = reinterpret_cast<const int32_t*>(blob.data + at);
    L.shift = reinterpret_cast<const int32_t*>(blob.data + at + 4u * static_cast<uint32_t>(out));
    at += 8u * static_cast<uint32_t>(out);
    for (int o = 0; o < out; ++o)
      if (L.shift[o] < -31 || L.shift[o] > 30 || L.multiplier[o] < 0) return NetStatus::kBadMetadata;
  }
  return network_validate(net);
}

}  // namespace fw
}  // namespace tinywalk
