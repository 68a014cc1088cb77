// .tflite writer and verifying reader (see tflite.h).
//
// The graph written for an MLP of L layers:
//
//   tensors: 0 input [1, in0]
//            for layer k: 1 + 3k weights [out, in], 2 + 3k bias [out],
//                         3 + 3k output [1, out] (the next layer's input)
//   buffers: 0 the empty sentinel; 1 + 2k weights of layer k, 2 + 2k its
//            bias; 1 + 2L the "tinywalk" metadata (a FlatBuffer of its own)
//   operator_codes: one FULLY_CONNECTED, version 1 for float32 models and 4
//            for int8 ones (the version TFLite's converter gives an int8
//            input / int8 weights / int8 output fully connected op: TFLite
//            and TFLite Micro register FULLY_CONNECTED for versions >= 4)
//   operators: one FULLY_CONNECTED per layer with inputs {input, weights,
//            bias}, outputs {output}, FullyConnectedOptions with fused RELU
//            or NONE
//   subgraph 0 "main": inputs {0}, outputs {3L}
//
// Int8: activations per tensor (1 scale, 1 zero point), weights per output
// channel (quantized_dimension 0, zero points all 0), bias int32 with scale
// input_scale * weight_scale[o] and zero points 0. Float32: no quantization.
// Raw data is little-endian, weights [out][in] row-major.
//
// Writing is a faithful serialization of the TfliteModel (it does not
// validate: the reader does), deterministic (FlatBufferBuilder output is a
// function of the calls made, and we make them in a fixed order).
#include "quantize/tflite.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "common/atomic_file.h"
#include "common/error.h"
#include "quantize/tflite_subset_generated.h"
#include "quantize/tinywalk_metadata_generated.h"

namespace tinywalk::quant {

namespace fbt = ::tinywalk::tflite;
namespace fbm = ::tinywalk::meta;

namespace {

constexpr uint32_t kSchemaVersion = 3;
constexpr int32_t kFcVersionFloat = 1;
constexpr int32_t kFcVersionInt8 = 4;
constexpr const char* kMetadataName = "tinywalk";
constexpr const char* kFirmwareMetadataName = "tinywalk_fw";
// BuiltinOperator values beyond what our schema subset declares.
constexpr int32_t kBuiltinCustom = 32;

static_assert(fbt::BuiltinOptions_FullyConnectedOptions == 8, "schema subset: FullyConnectedOptions must be union member 8");
static_assert(fbt::TensorType_INT8 == 9 && fbt::TensorType_INT32 == 2 && fbt::TensorType_FLOAT32 == 0,
              "schema subset: TensorType numbering");
static_assert(fbt::BuiltinOperator_FULLY_CONNECTED == 9, "schema subset: BuiltinOperator numbering");

// ---------------------------------------------------------------- little-endian raw data

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<uint8_t>(v >> (8 * b)));
}
uint32_t get_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Element i of a vector of 8-byte scalars. The FlatBuffers verifier only
// guarantees 4-byte alignment of vector contents, so no direct 8-byte load.
template <class T>
T element8(const flatbuffers::Vector<T>* v, flatbuffers::uoffset_t i) {
  static_assert(sizeof(T) == 8, "8-byte scalars only");
  T x;
  std::memcpy(&x, v->Data() + 8 * static_cast<size_t>(i), 8);
  return flatbuffers::EndianScalar(x);
}
template <class T>
std::vector<T> vector8(const flatbuffers::Vector<T>* v) {
  std::vector<T> out;
  if (v)
    for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) out.push_back(element8(v, i));
  return out;
}

std::vector<uint8_t> raw_floats(const std::vector<float>& v) {
  std::vector<uint8_t> out;
  out.reserve(4 * v.size());
  for (float f : v) put_u32(out, float_bits(f));
  return out;
}
std::vector<uint8_t> raw_int32(const std::vector<int32_t>& v) {
  std::vector<uint8_t> out;
  out.reserve(4 * v.size());
  for (int32_t x : v) put_u32(out, static_cast<uint32_t>(x));
  return out;
}
std::vector<uint8_t> raw_int8(const std::vector<int8_t>& v) {
  std::vector<uint8_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<uint8_t>(v[i]);
  return out;
}

// ---------------------------------------------------------------- writer

std::vector<uint8_t> write_metadata(const DeployMetadata& d) {
  flatbuffers::FlatBufferBuilder b(1024);
  std::vector<flatbuffers::Offset<flatbuffers::String>> joints;
  for (const std::string& j : d.joints) joints.push_back(b.CreateString(j));
  const auto root = fbm::CreateDeployMetadata(
      b, d.version, b.CreateString(d.robot), b.CreateVector(joints), b.CreateString(d.observation_yaml),
      b.CreateVector(d.feature_mean), b.CreateVector(d.feature_std), b.CreateVector(d.action_offset),
      b.CreateVector(d.action_scale), b.CreateVector(d.standing_pose), b.CreateVector(d.firmware_index),
      b.CreateVector(d.firmware_direction), b.CreateString(d.postprocess_yaml), b.CreateString(d.dataset_hash),
      b.CreateString(d.config_hash), b.CreateString(d.project_version));
  fbm::FinishDeployMetadataBuffer(b, root);
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

flatbuffers::Offset<fbt::QuantizationParameters> per_tensor(flatbuffers::FlatBufferBuilder& b, float scale,
                                                            int32_t zero_point) {
  const std::vector<float> s{scale};
  const std::vector<int64_t> z{zero_point};
  return fbt::CreateQuantizationParametersDirect(b, nullptr, nullptr, &s, &z);
}

flatbuffers::Offset<fbt::QuantizationParameters> per_channel(flatbuffers::FlatBufferBuilder& b,
                                                             const std::vector<float>& scales) {
  const std::vector<int64_t> z(scales.size(), 0);
  return fbt::CreateQuantizationParametersDirect(b, nullptr, nullptr, &scales, &z, fbt::QuantizationDetails_NONE,
                                                 0, /*quantized_dimension=*/0);
}

}  // namespace

std::string write_tflite(const TfliteModel& m) {
  flatbuffers::FlatBufferBuilder b(4096);
  const int L = static_cast<int>(m.layers.size());

  // Buffers: sentinel, per layer weights and bias, metadata.
  std::vector<flatbuffers::Offset<fbt::Buffer>> buffers;
  buffers.push_back(fbt::CreateBuffer(b));
  for (const FcLayer& l : m.layers) {
    const std::vector<uint8_t> w = m.int8 ? raw_int8(l.weights_q) : raw_floats(l.weights_f);
    const std::vector<uint8_t> bias = m.int8 ? raw_int32(l.bias_q) : raw_floats(l.bias_f);
    buffers.push_back(fbt::CreateBufferDirect(b, &w));
    buffers.push_back(fbt::CreateBufferDirect(b, &bias));
  }
  const std::vector<uint8_t> meta = write_metadata(m.meta);
  const uint32_t meta_buffer = static_cast<uint32_t>(buffers.size());
  buffers.push_back(fbt::CreateBufferDirect(b, &meta));
  const uint32_t fw_buffer = static_cast<uint32_t>(buffers.size());
  if (!m.meta.firmware_blob.empty()) {
    const std::vector<uint8_t> fw(m.meta.firmware_blob.begin(), m.meta.firmware_blob.end());
    b.ForceVectorAlignment(fw.size(), 1, 16);  // 16-byte aligned data, as TFLite aligns buffers
    buffers.push_back(fbt::CreateBuffer(b, b.CreateVector(fw)));
  }

  // Tensors.
  const fbt::TensorType act_type = m.int8 ? fbt::TensorType_INT8 : fbt::TensorType_FLOAT32;
  const fbt::TensorType bias_type = m.int8 ? fbt::TensorType_INT32 : fbt::TensorType_FLOAT32;
  std::vector<flatbuffers::Offset<fbt::Tensor>> tensors;
  {
    const int in0 = L ? m.layers[0].in : 0;
    const std::vector<int32_t> shape{1, in0};
    const auto q = m.int8 && L ? per_tensor(b, m.layers[0].input_scale, m.layers[0].input_zero_point) : 0;
    tensors.push_back(fbt::CreateTensorDirect(b, &shape, act_type, 0, "input", q));
  }
  std::vector<flatbuffers::Offset<fbt::Operator>> operators;
  for (int k = 0; k < L; ++k) {
    const FcLayer& l = m.layers[k];
    const std::string prefix = "fc" + std::to_string(k);
    const std::vector<int32_t> wshape{l.out, l.in}, bshape{l.out}, oshape{1, l.out};
    const int32_t t_in = 3 * k, t_w = 1 + 3 * k, t_b = 2 + 3 * k, t_out = 3 + 3 * k;
    flatbuffers::Offset<fbt::QuantizationParameters> qw = 0, qb = 0, qo = 0;
    if (m.int8) {
      std::vector<float> bias_scale(l.weight_scale.size());
      for (size_t o = 0; o < bias_scale.size(); ++o) bias_scale[o] = l.input_scale * l.weight_scale[o];
      qw = per_channel(b, l.weight_scale);
      qb = per_channel(b, bias_scale);
      qo = per_tensor(b, l.output_scale, l.output_zero_point);
    }
    const std::string wname = prefix + "/weights", bname = prefix + "/bias";
    const std::string oname = k + 1 == L ? "output" : prefix + "/output";
    tensors.push_back(fbt::CreateTensorDirect(b, &wshape, m.int8 ? fbt::TensorType_INT8 : fbt::TensorType_FLOAT32,
                                              static_cast<uint32_t>(1 + 2 * k), wname.c_str(), qw));
    tensors.push_back(
        fbt::CreateTensorDirect(b, &bshape, bias_type, static_cast<uint32_t>(2 + 2 * k), bname.c_str(), qb));
    tensors.push_back(fbt::CreateTensorDirect(b, &oshape, act_type, 0, oname.c_str(), qo));

    const auto options = fbt::CreateFullyConnectedOptions(
        b, l.relu ? fbt::ActivationFunctionType_RELU : fbt::ActivationFunctionType_NONE);
    const std::vector<int32_t> ins{t_in, t_w, t_b}, outs{t_out};
    operators.push_back(fbt::CreateOperatorDirect(b, 0, &ins, &outs, fbt::BuiltinOptions_FullyConnectedOptions,
                                                  options.Union()));
  }
  const std::vector<int32_t> sg_in{0}, sg_out{3 * L};
  const auto subgraph = fbt::CreateSubGraphDirect(b, &tensors, &sg_in, &sg_out, &operators, "main");
  const std::vector<flatbuffers::Offset<fbt::SubGraph>> subgraphs{subgraph};

  const std::vector<flatbuffers::Offset<fbt::OperatorCode>> codes{fbt::CreateOperatorCode(
      b, static_cast<int8_t>(fbt::BuiltinOperator_FULLY_CONNECTED), 0, m.int8 ? kFcVersionInt8 : kFcVersionFloat,
      fbt::BuiltinOperator_FULLY_CONNECTED)};
  std::vector<flatbuffers::Offset<fbt::Metadata>> metadata{fbt::CreateMetadataDirect(b, kMetadataName, meta_buffer)};
  if (!m.meta.firmware_blob.empty()) metadata.push_back(fbt::CreateMetadataDirect(b, kFirmwareMetadataName, fw_buffer));

  const auto model = fbt::CreateModelDirect(b, kSchemaVersion, &codes, &subgraphs, "tinywalk MLP policy", &buffers,
                                            nullptr, &metadata);
  fbt::FinishModelBuffer(b, model);
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

void save_tflite(const std::string& path, const TfliteModel& m) { write_file_atomic(path, write_tflite(m)); }

// ---------------------------------------------------------------- reader

namespace {

const char* tensor_type_name(int t) {
  static const char* const names[] = {"FLOAT32", "FLOAT16", "INT32",      "UINT8",   "INT64",   "STRING",
                                      "BOOL",    "INT16",   "COMPLEX64",  "INT8",    "FLOAT64", "COMPLEX128",
                                      "UINT64",  "RESOURCE", "VARIANT",   "UINT32",  "UINT16",  "INT4"};
  return t >= 0 && t < static_cast<int>(sizeof names / sizeof names[0]) ? names[t] : nullptr;
}

std::string type_str(int t) {
  const char* n = tensor_type_name(t);
  return n ? n : "type " + std::to_string(t);
}

std::string operator_name(int32_t code) {
  static const char* const names[] = {
      "ADD",         "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D",
      "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP",
      "FLOOR",       "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION",
      "L2_POOL_2D",  "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION",
      "LSTM",        "MAX_POOL_2D",     "MUL",           "RELU",
      "RELU_N1_TO_1", "RELU6",          "RESHAPE",       "RESIZE_BILINEAR",
      "RNN",         "SOFTMAX",         "SPACE_TO_DEPTH", "SVDF",
      "TANH",        "CONCAT_EMBEDDINGS", "SKIP_GRAM",   "CALL",
      "CUSTOM"};
  if (code >= 0 && code < static_cast<int32_t>(sizeof names / sizeof names[0])) return names[code];
  if (code == 114) return "QUANTIZE";
  return "builtin operator " + std::to_string(code);
}

std::string activation_name(int a) {
  static const char* const names[] = {"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"};
  return a >= 0 && a < 6 ? names[a] : "activation " + std::to_string(a);
}

std::string shape_str(const flatbuffers::Vector<int32_t>* s) {
  std::string out = "[";
  if (s)
    for (flatbuffers::uoffset_t i = 0; i < s->size(); ++i) out += (i ? ", " : "") + std::to_string(s->Get(i));
  return out + "]";
}

std::string float_str(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// The bytes of a FlatBuffer, copied to 8-byte aligned storage so that the
// accessors' scalar loads are aligned whatever the caller's string holds.
class AlignedBytes {
 public:
  AlignedBytes(const void* p, size_t n) : words_((n + 7) / 8), size_(n) {
    if (n) std::memcpy(words_.data(), p, n);
  }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(words_.data()); }
  size_t size() const { return size_; }

 private:
  std::vector<uint64_t> words_;
  size_t size_;
};

std::string identifier_found(const uint8_t* p, size_t n) {
  if (n < 8) return "the file is only " + std::to_string(n) + " bytes";
  std::string s = "found \"";
  for (int i = 4; i < 8; ++i) {
    const unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      s += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    }
  }
  return s + "\"";
}

// Verifier limits: far above what an MLP file needs, low enough that a
// hostile file cannot make verification slow.
flatbuffers::Verifier make_verifier(const AlignedBytes& a) {
  return flatbuffers::Verifier(a.data(), a.size(), /*max_depth=*/64, /*max_tables=*/1000000,
                               /*check_alignment=*/true);
}

class Reader {
 public:
  Reader(const fbt::Model* model, std::string source) : model_(model), source_(std::move(source)) {}
  TfliteModel read();

 private:
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw InputError(source_, where, what);
  }
  std::string tensor_where(int32_t t) const { return "subgraphs[0].tensors[" + std::to_string(t) + "]"; }
  std::string op_where(size_t j) const { return "subgraphs[0].operators[" + std::to_string(j) + "]"; }
  std::string tensor_label(int32_t t) const {
    const fbt::Tensor* x = tensors_->Get(static_cast<flatbuffers::uoffset_t>(t));
    return "tensor '" + std::string(x->name() ? x->name()->str() : "") + "'";
  }

  const fbt::Tensor* tensor(int32_t t, const std::string& where) const;
  const flatbuffers::Vector<uint8_t>* buffer_of(int32_t t) const;
  void check_no_data(int32_t t) const;
  const uint8_t* data_of(int32_t t, int64_t elements, int elem_size, const char* role) const;
  void check_type(int32_t t, fbt::TensorType want, const char* role) const;
  void check_details(int32_t t, const fbt::QuantizationParameters* q) const;
  void activation_quant(int32_t t, float& scale, int32_t& zero_point) const;
  std::vector<float> channel_scales(int32_t t, int out, const char* role) const;
  void check_opcodes() const;
  FcLayer read_layer(size_t j, int32_t in_tensor, int32_t& out_tensor);
  DeployMetadata read_metadata(const TfliteModel& m) const;

  const fbt::Model* model_;
  std::string source_;
  const flatbuffers::Vector<flatbuffers::Offset<fbt::Buffer>>* buffers_ = nullptr;
  const fbt::SubGraph* sg_ = nullptr;
  const flatbuffers::Vector<flatbuffers::Offset<fbt::Tensor>>* tensors_ = nullptr;
  const flatbuffers::Vector<flatbuffers::Offset<fbt::Operator>>* ops_ = nullptr;
  bool int8_ = false;
};

const fbt::Tensor* Reader::tensor(int32_t t, const std::string& where) const {
  if (t < 0 || static_cast<uint32_t>(t) >= tensors_->size())
    fail(where, "tensor index " + std::to_string(t) + " out of range (" + std::to_string(tensors_->size()) +
                    " tensors)");
  return tensors_->Get(static_cast<flatbuffers::uoffset_t>(t));
}

const flatbuffers::Vector<uint8_t>* Reader::buffer_of(int32_t t) const {
  const uint32_t idx = tensors_->Get(static_cast<flatbuffers::uoffset_t>(t))->buffer();
  if (idx >= buffers_->size())
    fail(tensor_where(t) + ".buffer", tensor_label(t) + ": buffer index " + std::to_string(idx) + " out of range (" +
                                          std::to_string(buffers_->size()) + " buffers)");
  return buffers_->Get(idx)->data();
}

void Reader::check_no_data(int32_t t) const {
  const auto* d = buffer_of(t);
  if (d && d->size() > 0)
    fail(tensor_where(t), tensor_label(t) + " is an activation but has " + std::to_string(d->size()) +
                              " bytes of constant data");
}

const uint8_t* Reader::data_of(int32_t t, int64_t elements, int elem_size, const char* role) const {
  const auto* d = buffer_of(t);
  const uint32_t idx = tensors_->Get(static_cast<flatbuffers::uoffset_t>(t))->buffer();
  if (!d || d->size() == 0)
    fail(tensor_where(t), std::string(role) + " " + tensor_label(t) + " has no data (buffer " + std::to_string(idx) +
                              " is empty): constant data is required");
  const int64_t want = elements * elem_size;
  if (static_cast<int64_t>(d->size()) != want)
    fail(tensor_where(t), std::string(role) + " " + tensor_label(t) + " has " + std::to_string(d->size()) +
                              " bytes of data in buffer " + std::to_string(idx) + ", expected " +
                              std::to_string(want) + " for its shape " +
                              shape_str(tensors_->Get(static_cast<flatbuffers::uoffset_t>(t))->shape()));
  return d->data();
}

void Reader::check_type(int32_t t, fbt::TensorType want, const char* role) const {
  const int got = tensors_->Get(static_cast<flatbuffers::uoffset_t>(t))->type();
  if (got != want)
    fail(tensor_where(t), std::string(role) + " " + tensor_label(t) + " has type " + type_str(got) + ", expected " +
                              type_str(want) +
                              (int8_ ? " (an int8 model has int8 activations and weights and int32 biases)"
                                     : " (a float model is float32 throughout)"));
}

void Reader::check_details(int32_t t, const fbt::QuantizationParameters* q) const {
  if (q->details_type() != fbt::QuantizationDetails_NONE)
    fail(tensor_where(t) + ".quantization", tensor_label(t) + " uses custom quantization details, not supported");
}

void Reader::activation_quant(int32_t t, float& scale, int32_t& zero_point) const {
  const std::string where = tensor_where(t) + ".quantization";
  const fbt::QuantizationParameters* q = tensors_->Get(static_cast<flatbuffers::uoffset_t>(t))->quantization();
  if (!q || !q->scale() || !q->zero_point())
    fail(where, tensor_label(t) + " has no quantization parameters (an int8 activation needs a scale and a zero point)");
  check_details(t, q);
  if (q->scale()->size() != 1 || q->zero_point()->size() != 1)
    fail(where, tensor_label(t) + " has " + std::to_string(q->scale()->size()) + " scales and " +
                    std::to_string(q->zero_point()->size()) +
                    " zero points, expected per-tensor quantization (1 and 1)");
  scale = q->scale()->Get(0);
  if (!(std::isfinite(scale) && scale > 0))
    fail(where + ".scale", tensor_label(t) + " has scale " + float_str(scale) + ", expected a positive finite number");
  const int64_t zp = element8(q->zero_point(), 0);
  if (zp < -128 || zp > 127)
    fail(where + ".zero_point", tensor_label(t) + " has zero point " + std::to_string(zp) +
                                    ", outside the int8 range [-128, 127]");
  zero_point = static_cast<int32_t>(zp);
}

// Per-channel (out scales) or per-tensor (1 scale, used for every channel)
// symmetric scales of a weights or bias tensor; zero points must be 0.
std::vector<float> Reader::channel_scales(int32_t t, int out, const char* role) const {
  const std::string where = tensor_where(t) + ".quantization";
  const fbt::QuantizationParameters* q = tensors_->Get(static_cast<flatbuffers::uoffset_t>(t))->quantization();
  if (!q || !q->scale() || q->scale()->size() == 0)
    fail(where, std::string(role) + " " + tensor_label(t) + " has no quantization scales");
  check_details(t, q);
  const uint32_t n = q->scale()->size();
  if (n != 1 && n != static_cast<uint32_t>(out))
    fail(where + ".scale", std::string(role) + " " + tensor_label(t) + " has " + std::to_string(n) +
                               " scales, expected one per output channel (" + std::to_string(out) +
                               ") or one per tensor");
  if (n > 1 && q->quantized_dimension() != 0)
    fail(where + ".quantized_dimension", std::string(role) + " " + tensor_label(t) + " is quantized along dimension " +
                                             std::to_string(q->quantized_dimension()) +
                                             ", expected 0 (the output channel)");
  const uint32_t nz = q->zero_point() ? q->zero_point()->size() : 0;
  if (nz != n)
    fail(where + ".zero_point", std::string(role) + " " + tensor_label(t) + " has " + std::to_string(nz) +
                                    " zero points for " + std::to_string(n) + " scales");
  std::vector<float> s(static_cast<size_t>(out));
  for (int o = 0; o < out; ++o) {
    const uint32_t c = n == 1 ? 0 : static_cast<uint32_t>(o);
    const float v = q->scale()->Get(c);
    if (!(std::isfinite(v) && v > 0))
      fail(where + ".scale[" + std::to_string(c) + "]", std::string(role) + " " + tensor_label(t) + " has scale " +
                                                            float_str(v) + ", expected a positive finite number");
    const int64_t z = element8(q->zero_point(), c);
    if (z != 0)
      fail(where + ".zero_point[" + std::to_string(c) + "]",
           std::string(role) + " " + tensor_label(t) + " has zero point " + std::to_string(z) +
               ", expected 0 (symmetric quantization)");
    s[static_cast<size_t>(o)] = v;
  }
  return s;
}

void Reader::check_opcodes() const {
  const auto* codes = model_->operator_codes();
  const uint32_t ncodes = codes ? codes->size() : 0;
  for (flatbuffers::uoffset_t j = 0; j < ops_->size(); ++j) {
    const uint32_t idx = ops_->Get(j)->opcode_index();
    if (idx >= ncodes)
      fail(op_where(j) + ".opcode_index", "operator code index " + std::to_string(idx) + " out of range (" +
                                              std::to_string(ncodes) + " operator codes)");
    const fbt::OperatorCode* c = codes->Get(idx);
    // As TFLite reads it: the larger of the old byte field and the new one.
    const int32_t code = std::max<int32_t>(c->deprecated_builtin_code(), c->builtin_code());
    if (code == kBuiltinCustom || (c->custom_code() && code != fbt::BuiltinOperator_FULLY_CONNECTED))
      fail(op_where(j), "custom operator '" + std::string(c->custom_code() ? c->custom_code()->str() : "") +
                            "' is not supported: tinywalk reads FULLY_CONNECTED operators only");
    if (code != fbt::BuiltinOperator_FULLY_CONNECTED)
      fail(op_where(j), "operator " + operator_name(code) +
                            " is not supported: tinywalk reads MLPs made of FULLY_CONNECTED operators only");
  }
}

FcLayer Reader::read_layer(size_t j, int32_t t_in, int32_t& t_out) {
  const fbt::Operator* op = ops_->Get(static_cast<flatbuffers::uoffset_t>(j));
  const std::string where = op_where(j);
  const auto* ins = op->inputs();
  const auto* outs = op->outputs();
  if (!ins || ins->size() != 3)
    fail(where + ".inputs", "FULLY_CONNECTED has " + std::to_string(ins ? ins->size() : 0) +
                                " inputs, expected 3 (input, weights, bias)");
  if (!outs || outs->size() != 1)
    fail(where + ".outputs",
         "FULLY_CONNECTED has " + std::to_string(outs ? outs->size() : 0) + " outputs, expected 1");
  if (ins->Get(2) == -1) fail(where + ".inputs[2]", "FULLY_CONNECTED without a bias is not supported");
  const int32_t t_w = ins->Get(1), t_b = ins->Get(2);
  t_out = outs->Get(0);
  tensor(t_w, where + ".inputs[1]");
  tensor(t_b, where + ".inputs[2]");
  tensor(t_out, where + ".outputs[0]");
  if (t_w == t_in || t_b == t_in || t_out == t_in || t_w == t_b || t_w == t_out || t_b == t_out)
    fail(where, "FULLY_CONNECTED input, weights, bias and output must be four different tensors");

  FcLayer l;
  // Options: absent means the defaults (no fused activation).
  if (op->builtin_options_type() != fbt::BuiltinOptions_NONE) {
    const fbt::FullyConnectedOptions* o = op->builtin_options_as_FullyConnectedOptions();
    if (!o)
      fail(where + ".builtin_options", "options of union type " + std::to_string(op->builtin_options_type()) +
                                           ", expected FullyConnectedOptions (8)");
    const int act = o->fused_activation_function();
    if (act != fbt::ActivationFunctionType_NONE && act != fbt::ActivationFunctionType_RELU)
      fail(where + ".builtin_options.fused_activation_function",
           "fused activation " + activation_name(act) + " is not supported (NONE or RELU)");
    l.relu = act == fbt::ActivationFunctionType_RELU;
    if (o->weights_format() != fbt::FullyConnectedOptionsWeightsFormat_DEFAULT)
      fail(where + ".builtin_options.weights_format",
           "weights format " + std::to_string(o->weights_format()) + " is not supported (DEFAULT only)");
  }

  // Shapes: input [1, in], weights [out, in], bias [out], output [1, out].
  const auto* is = tensors_->Get(static_cast<flatbuffers::uoffset_t>(t_in))->shape();
  const auto* ws = tensors_->Get(static_cast<flatbuffers::uoffset_t>(t_w))->shape();
  const auto* bs = tensors_->Get(static_cast<flatbuffers::uoffset_t>(t_b))->shape();
  const auto* os = tensors_->Get(static_cast<flatbuffers::uoffset_t>(t_out))->shape();
  if (!is || is->size() != 2 || is->Get(0) != 1 || is->Get(1) < 1)
    fail(tensor_where(t_in) + ".shape",
         "input " + tensor_label(t_in) + " has shape " + shape_str(is) + ", expected [1, n] with n >= 1");
  l.in = is->Get(1);
  if (!ws || ws->size() != 2 || ws->Get(0) < 1 || ws->Get(1) < 1)
    fail(tensor_where(t_w) + ".shape",
         "weights " + tensor_label(t_w) + " have shape " + shape_str(ws) + ", expected [out, in]");
  if (ws->Get(1) != l.in)
    fail(tensor_where(t_w) + ".shape", "weights " + tensor_label(t_w) + " have shape " + shape_str(ws) +
                                           ", which does not match the input width " + std::to_string(l.in) +
                                           " (" + tensor_label(t_in) + " has shape " + shape_str(is) + ")");
  l.out = ws->Get(0);
  if (!bs || bs->size() != 1 || bs->Get(0) != l.out)
    fail(tensor_where(t_b) + ".shape", "bias " + tensor_label(t_b) + " has shape " + shape_str(bs) + ", expected [" +
                                           std::to_string(l.out) + "] (the weights have shape " + shape_str(ws) +
                                           ")");
  if (!os || os->size() != 2 || os->Get(0) != 1 || os->Get(1) != l.out)
    fail(tensor_where(t_out) + ".shape", "output " + tensor_label(t_out) + " has shape " + shape_str(os) +
                                             ", expected [1, " + std::to_string(l.out) + "] (the weights have shape " +
                                             shape_str(ws) + ")");

  // Types.
  const fbt::TensorType act = int8_ ? fbt::TensorType_INT8 : fbt::TensorType_FLOAT32;
  check_type(t_in, act, "input");
  check_type(t_w, act, "weights");
  check_type(t_b, int8_ ? fbt::TensorType_INT32 : fbt::TensorType_FLOAT32, "bias");
  check_type(t_out, act, "output");

  // Data.
  check_no_data(t_in);
  check_no_data(t_out);
  const int64_t nw = static_cast<int64_t>(l.out) * l.in;
  const uint8_t* wd = data_of(t_w, nw, int8_ ? 1 : 4, "weights");
  const uint8_t* bd = data_of(t_b, l.out, 4, "bias");
  if (int8_) {
    activation_quant(t_in, l.input_scale, l.input_zero_point);
    activation_quant(t_out, l.output_scale, l.output_zero_point);
    l.weight_scale = channel_scales(t_w, l.out, "weights");
    const std::vector<float> bias_scale = channel_scales(t_b, l.out, "bias");
    for (int o = 0; o < l.out; ++o) {
      const double want = static_cast<double>(l.input_scale) * l.weight_scale[static_cast<size_t>(o)];
      const double got = bias_scale[static_cast<size_t>(o)];
      if (!(std::fabs(got - want) <= 1e-5 * want))
        fail(tensor_where(t_b) + ".quantization.scale[" + std::to_string(o) + "]",
             "bias " + tensor_label(t_b) + " has scale " + float_str(got) +
                 ", expected input scale x weight scale = " + float_str(want));
    }
    l.weights_q.resize(static_cast<size_t>(nw));
    for (int64_t i = 0; i < nw; ++i) {
      const int8_t v = static_cast<int8_t>(wd[i]);
      if (v == -128)
        fail(tensor_where(t_w), "weights " + tensor_label(t_w) + " hold -128 at [" + std::to_string(i / l.in) + "][" +
                                    std::to_string(i % l.in) + "]: int8 weights must be in [-127, 127]");
      l.weights_q[static_cast<size_t>(i)] = v;
    }
    l.bias_q.resize(static_cast<size_t>(l.out));
    for (int o = 0; o < l.out; ++o) l.bias_q[static_cast<size_t>(o)] = static_cast<int32_t>(get_u32(bd + 4 * o));
  } else {
    l.weights_f.resize(static_cast<size_t>(nw));
    for (int64_t i = 0; i < nw; ++i) {
      const float v = bits_float(get_u32(wd + 4 * i));
      if (!std::isfinite(v))
        fail(tensor_where(t_w), "weights " + tensor_label(t_w) + " hold " + float_str(v) + " at [" +
                                    std::to_string(i / l.in) + "][" + std::to_string(i % l.in) + "]");
      l.weights_f[static_cast<size_t>(i)] = v;
    }
    l.bias_f.resize(static_cast<size_t>(l.out));
    for (int o = 0; o < l.out; ++o) {
      const float v = bits_float(get_u32(bd + 4 * o));
      if (!std::isfinite(v))
        fail(tensor_where(t_b), "bias " + tensor_label(t_b) + " holds " + float_str(v) + " at [" + std::to_string(o) +
                                    "]");
      l.bias_f[static_cast<size_t>(o)] = v;
    }
  }
  return l;
}

DeployMetadata Reader::read_metadata(const TfliteModel& m) const {
  const auto* entries = model_->metadata();
  const fbt::Metadata* entry = nullptr;
  std::string where;
  if (entries)
    for (flatbuffers::uoffset_t k = 0; k < entries->size() && !entry; ++k)
      if (entries->Get(k)->name() && entries->Get(k)->name()->str() == kMetadataName) {
        entry = entries->Get(k);
        where = "metadata[" + std::to_string(k) + "]";
      }
  if (!entry)
    fail("metadata", std::string("no \"") + kMetadataName +
                         "\" metadata entry: not written by tinywalk (its deployment metadata is required)");
  const uint32_t idx = entry->buffer();
  if (idx >= buffers_->size())
    fail(where + ".buffer", "buffer index " + std::to_string(idx) + " out of range (" +
                                std::to_string(buffers_->size()) + " buffers)");
  const auto* d = buffers_->Get(idx)->data();
  const std::string mwhere = "metadata \"tinywalk\" (buffer " + std::to_string(idx) + ")";
  if (!d || d->size() == 0) fail(mwhere, "the metadata buffer is empty");
  const AlignedBytes bytes(d->data(), d->size());
  if (bytes.size() < 8 || !fbm::DeployMetadataBufferHasIdentifier(bytes.data()))
    fail(mwhere, std::string("not tinywalk metadata: expected identifier ") + fbm::DeployMetadataIdentifier() +
                     " at byte 4 of the buffer, " + identifier_found(bytes.data(), bytes.size()));
  flatbuffers::Verifier v = make_verifier(bytes);
  if (!fbm::VerifyDeployMetadataBuffer(v)) fail(mwhere, "corrupt or truncated metadata FlatBuffer");
  const fbm::DeployMetadata* md = fbm::GetDeployMetadata(bytes.data());
  if (md->version() == 0) fail(mwhere + ".version", "metadata version missing (0)");
  if (md->version() > kMetadataVersion)
    fail(mwhere + ".version", "written by a newer tinywalk: metadata version " + std::to_string(md->version()) +
                                  ", this build reads up to version " + std::to_string(kMetadataVersion));

  DeployMetadata out;
  auto str = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
  auto doubles = [](const flatbuffers::Vector<double>* s) { return vector8(s); };
  auto ints = [](const flatbuffers::Vector<int32_t>* s) {
    return s ? std::vector<int32_t>(s->begin(), s->end()) : std::vector<int32_t>();
  };
  out.version = md->version();
  out.robot = str(md->robot());
  if (md->joints())
    for (const flatbuffers::String* j : *md->joints()) out.joints.push_back(str(j));
  out.observation_yaml = str(md->observation_yaml());
  out.feature_mean = doubles(md->feature_mean());
  out.feature_std = doubles(md->feature_std());
  out.action_offset = doubles(md->action_offset());
  out.action_scale = doubles(md->action_scale());
  out.standing_pose = doubles(md->standing_pose());
  out.firmware_index = ints(md->firmware_index());
  out.firmware_direction = ints(md->firmware_direction());
  out.postprocess_yaml = str(md->postprocess_yaml());
  out.dataset_hash = str(md->dataset_hash());
  out.config_hash = str(md->config_hash());
  out.project_version = str(md->project_version());

  // Lengths that must agree with the graph (empty = not given).
  auto check_len = [&](const char* field, size_t n, int want, const char* what) {
    if (n != 0 && n != static_cast<size_t>(want))
      fail(mwhere + "." + field, std::to_string(n) + " values, expected " + std::to_string(want) + " (" + what + ")");
  };
  check_len("feature_mean", out.feature_mean.size(), m.inputs(), "the model's inputs");
  check_len("feature_std", out.feature_std.size(), m.inputs(), "the model's inputs");
  check_len("action_offset", out.action_offset.size(), m.outputs(), "the model's outputs");
  check_len("action_scale", out.action_scale.size(), m.outputs(), "the model's outputs");
  // The firmware's integer configuration (optional; checked by the firmware's own loader).
  for (flatbuffers::uoffset_t k = 0; entries && k < entries->size(); ++k) {
    const auto* e = entries->Get(k);
    if (!e->name() || e->name()->str() != kFirmwareMetadataName) continue;
    if (e->buffer() >= buffers_->size())
      fail("metadata[" + std::to_string(k) + "].buffer", "buffer index " + std::to_string(e->buffer()) + " out of range");
    const auto* fd = buffers_->Get(e->buffer())->data();
    if (fd) out.firmware_blob.assign(reinterpret_cast<const char*>(fd->data()), fd->size());
  }
  return out;
}

TfliteModel Reader::read() {
  if (model_->version() != kSchemaVersion)
    fail("version", "schema version " + std::to_string(model_->version()) + ", expected " +
                        std::to_string(kSchemaVersion));
  buffers_ = model_->buffers();
  if (!buffers_ || buffers_->size() == 0) fail("buffers", "no buffers (buffers[0] must be the empty sentinel)");
  if (const auto* d0 = buffers_->Get(0)->data(); d0 && d0->size() > 0)
    fail("buffers[0]", "the sentinel buffer must be empty, it has " + std::to_string(d0->size()) + " bytes");
  if (!model_->subgraphs() || model_->subgraphs()->size() == 0)
    fail("subgraphs", "no subgraph: the file holds no graph to run");
  sg_ = model_->subgraphs()->Get(0);
  tensors_ = sg_->tensors();
  ops_ = sg_->operators();
  if (!tensors_ || tensors_->size() == 0) fail("subgraphs[0].tensors", "no tensors");
  if (!ops_ || ops_->size() == 0) fail("subgraphs[0].operators", "no operators");
  if (!sg_->inputs() || sg_->inputs()->size() != 1)
    fail("subgraphs[0].inputs",
         std::to_string(sg_->inputs() ? sg_->inputs()->size() : 0) + " graph inputs, expected 1");
  if (!sg_->outputs() || sg_->outputs()->size() != 1)
    fail("subgraphs[0].outputs",
         std::to_string(sg_->outputs() ? sg_->outputs()->size() : 0) + " graph outputs, expected 1");
  const int32_t t_input = sg_->inputs()->Get(0), t_output = sg_->outputs()->Get(0);
  tensor(t_input, "subgraphs[0].inputs[0]");
  tensor(t_output, "subgraphs[0].outputs[0]");
  check_opcodes();

  TfliteModel m;
  const int in_type = tensors_->Get(static_cast<flatbuffers::uoffset_t>(t_input))->type();
  if (in_type == fbt::TensorType_INT8) {
    int8_ = true;
  } else if (in_type != fbt::TensorType_FLOAT32) {
    fail(tensor_where(t_input), "graph input " + tensor_label(t_input) + " has type " + type_str(in_type) +
                                    ": tinywalk reads float32 models and int8 models (int8 activations and "
                                    "weights, int32 biases)");
  }
  m.int8 = int8_;

  // Follow the chain input -> FC -> ... -> output; every operator on it once.
  std::vector<bool> used(ops_->size(), false);
  int32_t cur = t_input;
  while (cur != t_output || m.layers.empty()) {
    size_t next = ops_->size();
    for (flatbuffers::uoffset_t j = 0; j < ops_->size(); ++j) {
      const auto* ins = ops_->Get(j)->inputs();
      if (used[j] || !ins || ins->size() == 0 || ins->Get(0) != cur) continue;
      if (next != ops_->size())
        fail(tensor_where(cur), tensor_label(cur) + " feeds two operators (" + std::to_string(next) + " and " +
                                    std::to_string(j) + "): only a chain of FULLY_CONNECTED layers is supported");
      next = j;
    }
    if (next == ops_->size())
      fail(tensor_where(cur), tensor_label(cur) + " is not the graph output and no operator takes it as its input");
    used[next] = true;
    int32_t out = 0;
    m.layers.push_back(read_layer(next, cur, out));
    cur = out;
  }
  for (size_t j = 0; j < used.size(); ++j)
    if (!used[j]) fail(op_where(j), "operator is not on the chain from the graph input to the graph output");
  m.meta = read_metadata(m);
  return m;
}

}  // namespace

TfliteModel read_tflite(const std::string& bytes, const std::string& source) {
  const AlignedBytes a(bytes.data(), bytes.size());
  if (a.size() < 8 || !fbt::ModelBufferHasIdentifier(a.data()))
    throw InputError(source, "byte 4",
                     std::string("not a .tflite file: expected identifier ") + fbt::ModelIdentifier() +
                         " at byte 4, " + identifier_found(a.data(), a.size()));
  flatbuffers::Verifier v = make_verifier(a);
  if (!fbt::VerifyModelBuffer(v))
    throw InputError(source, "", "corrupt or truncated FlatBuffer: the FlatBuffers verifier rejected the model (" +
                                     std::to_string(a.size()) + " bytes)");
  return Reader(fbt::GetModel(a.data()), source).read();
}

TfliteModel load_tflite(const std::string& path) { return read_tflite(read_file(path), path); }

}  // namespace tinywalk::quant
