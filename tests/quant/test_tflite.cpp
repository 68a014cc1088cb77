// .tflite writer and reader: exact round trips, deterministic bytes, the
// published TFLite layout (restated here as raw field ids, independently of
// our schema subset), and a corpus of damaged and hand-made bad files that
// must all end in InputError (tests/data/tflite/ holds the hand-made ones).
#include "quantize/tflite.h"

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/random.h"
#include "quantize/tflite_subset_generated.h"
#include "quantize/tinywalk_metadata_generated.h"
#include "tests/test_util.h"

// The numbers other runtimes depend on, as the generated code has them.
static_assert(tinywalk::tflite::BuiltinOptions_FullyConnectedOptions == 8, "FullyConnectedOptions is union member 8");
static_assert(tinywalk::tflite::TensorType_FLOAT32 == 0, "TensorType FLOAT32");
static_assert(tinywalk::tflite::TensorType_INT32 == 2, "TensorType INT32");
static_assert(tinywalk::tflite::TensorType_INT8 == 9, "TensorType INT8");
static_assert(tinywalk::tflite::BuiltinOperator_FULLY_CONNECTED == 9, "BuiltinOperator FULLY_CONNECTED");
static_assert(tinywalk::tflite::ActivationFunctionType_RELU == 1, "ActivationFunctionType RELU");
static_assert(tinywalk::tflite::QuantizationDetails_CustomQuantization == 1, "QuantizationDetails");
static_assert(sizeof(tinywalk::tflite::BuiltinOperator) == 4, "BuiltinOperator is int32");
static_assert(sizeof(tinywalk::tflite::TensorType) == 1, "TensorType is a byte");

namespace tinywalk::quant {
namespace {

namespace fbt = ::tinywalk::tflite;
using test::error_of;

// ---------------------------------------------------------------- models

DeployMetadata sample_meta(int inputs, int outputs) {
  DeployMetadata d;
  d.version = kMetadataVersion;
  d.robot = "bittle";
  for (int j = 0; j < outputs; ++j) d.joints.push_back("joint_" + std::to_string(j));
  d.observation_yaml = "features:\n  - joint_pos\n  - imu_gyro\n";
  for (int i = 0; i < inputs; ++i) {
    d.feature_mean.push_back(0.125 * i - 0.3);
    d.feature_std.push_back(0.5 + 0.01 * i);
  }
  for (int j = 0; j < outputs; ++j) {
    d.action_offset.push_back(0.1 * j);
    d.action_scale.push_back(0.8);
    d.standing_pose.push_back(-0.2 * j);
    d.firmware_index.push_back(8 + j);
    d.firmware_direction.push_back(j % 2 ? -1 : 1);
  }
  d.postprocess_yaml = "moving_average: 4\n";
  d.dataset_hash = "00112233aabbccdd";
  d.config_hash = "ffeeddccbbaa9988";
  d.project_version = "0.1.0";
  return d;
}

const int kSizes[] = {6, 5, 4, 3};  // 6 -> 5 (relu) -> 4 (relu) -> 3

TfliteModel sample_int8() {
  Rng rng(42);
  TfliteModel m;
  m.int8 = true;
  float in_scale = 0.031f;
  int32_t in_zp = -3;
  for (int k = 0; k < 3; ++k) {
    FcLayer l;
    l.in = kSizes[k];
    l.out = kSizes[k + 1];
    l.relu = k < 2;
    for (int i = 0; i < l.in * l.out; ++i) l.weights_q.push_back(static_cast<int8_t>(static_cast<int>(rng.next() % 255) - 127));
    for (int o = 0; o < l.out; ++o) {
      l.bias_q.push_back(static_cast<int32_t>(rng.next() % 20001) - 10000);
      l.weight_scale.push_back(static_cast<float>(rng.uniform(0.001, 0.02)));
    }
    l.input_scale = in_scale;
    l.input_zero_point = in_zp;
    l.output_scale = k < 2 ? 0.02f + 0.005f * k : static_cast<float>(2.0 / 255.0);
    l.output_zero_point = k < 2 ? -128 : 0;
    in_scale = l.output_scale;
    in_zp = l.output_zero_point;
    m.layers.push_back(l);
  }
  m.meta = sample_meta(kSizes[0], kSizes[3]);
  return m;
}

TfliteModel sample_float() {
  Rng rng(7);
  TfliteModel m;
  m.int8 = false;
  for (int k = 0; k < 3; ++k) {
    FcLayer l;
    l.in = kSizes[k];
    l.out = kSizes[k + 1];
    l.relu = k < 2;
    for (int i = 0; i < l.in * l.out; ++i) l.weights_f.push_back(static_cast<float>(rng.normal()));
    for (int o = 0; o < l.out; ++o) l.bias_f.push_back(static_cast<float>(0.1 * rng.normal()));
    m.layers.push_back(l);
  }
  m.meta = sample_meta(kSizes[0], kSizes[3]);
  return m;
}

void expect_same(const TfliteModel& a, const TfliteModel& b) {
  EXPECT_EQ(a.int8, b.int8);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t k = 0; k < a.layers.size(); ++k) {
    SCOPED_TRACE("layer " + std::to_string(k));
    const FcLayer &x = a.layers[k], &y = b.layers[k];
    EXPECT_EQ(x.in, y.in);
    EXPECT_EQ(x.out, y.out);
    EXPECT_EQ(x.relu, y.relu);
    EXPECT_EQ(x.weights_f, y.weights_f);
    EXPECT_EQ(x.bias_f, y.bias_f);
    EXPECT_EQ(x.weights_q, y.weights_q);
    EXPECT_EQ(x.bias_q, y.bias_q);
    EXPECT_EQ(x.weight_scale, y.weight_scale);
    EXPECT_EQ(x.input_scale, y.input_scale);
    EXPECT_EQ(x.output_scale, y.output_scale);
    EXPECT_EQ(x.input_zero_point, y.input_zero_point);
    EXPECT_EQ(x.output_zero_point, y.output_zero_point);
  }
  const DeployMetadata &p = a.meta, &q = b.meta;
  EXPECT_EQ(p.version, q.version);
  EXPECT_EQ(p.robot, q.robot);
  EXPECT_EQ(p.joints, q.joints);
  EXPECT_EQ(p.observation_yaml, q.observation_yaml);
  EXPECT_EQ(p.feature_mean, q.feature_mean);
  EXPECT_EQ(p.feature_std, q.feature_std);
  EXPECT_EQ(p.action_offset, q.action_offset);
  EXPECT_EQ(p.action_scale, q.action_scale);
  EXPECT_EQ(p.standing_pose, q.standing_pose);
  EXPECT_EQ(p.firmware_index, q.firmware_index);
  EXPECT_EQ(p.firmware_direction, q.firmware_direction);
  EXPECT_EQ(p.postprocess_yaml, q.postprocess_yaml);
  EXPECT_EQ(p.dataset_hash, q.dataset_hash);
  EXPECT_EQ(p.config_hash, q.config_hash);
  EXPECT_EQ(p.project_version, q.project_version);
}

// What every model read_tflite returns must satisfy.
void expect_consistent(const TfliteModel& m) {
  ASSERT_FALSE(m.layers.empty());
  for (size_t k = 0; k < m.layers.size(); ++k) {
    const FcLayer& l = m.layers[k];
    ASSERT_GE(l.in, 1);
    ASSERT_GE(l.out, 1);
    if (k > 0) {
      ASSERT_EQ(l.in, m.layers[k - 1].out);
    }
    const size_t n = static_cast<size_t>(l.in) * static_cast<size_t>(l.out);
    if (m.int8) {
      ASSERT_EQ(l.weights_q.size(), n);
      ASSERT_EQ(l.bias_q.size(), static_cast<size_t>(l.out));
      ASSERT_EQ(l.weight_scale.size(), static_cast<size_t>(l.out));
      ASSERT_TRUE(std::isfinite(l.input_scale) && l.input_scale > 0);
      ASSERT_TRUE(std::isfinite(l.output_scale) && l.output_scale > 0);
      ASSERT_TRUE(l.input_zero_point >= -128 && l.input_zero_point <= 127);
      ASSERT_TRUE(l.output_zero_point >= -128 && l.output_zero_point <= 127);
      for (float s : l.weight_scale) ASSERT_TRUE(std::isfinite(s) && s > 0);
      for (int8_t w : l.weights_q) ASSERT_NE(w, -128);
    } else {
      ASSERT_EQ(l.weights_f.size(), n);
      ASSERT_EQ(l.bias_f.size(), static_cast<size_t>(l.out));
    }
  }
  ASSERT_LE(m.meta.version, kMetadataVersion);
}

// ---------------------------------------------------------------- raw access with the published field ids

// The vtable slot of field `id` (FlatBuffers: 4 + 2 * id).
flatbuffers::voffset_t slot(int id) { return static_cast<flatbuffers::voffset_t>(4 + 2 * id); }

const flatbuffers::Table* raw(const void* table) { return reinterpret_cast<const flatbuffers::Table*>(table); }

template <class T>
const flatbuffers::Vector<flatbuffers::Offset<T>>* tables(const flatbuffers::Table* t, int id) {
  return t->GetPointer<const flatbuffers::Vector<flatbuffers::Offset<T>>*>(slot(id));
}
const flatbuffers::Table* table_at(const flatbuffers::Table* t, int id, flatbuffers::uoffset_t k) {
  const auto* v = tables<flatbuffers::Table>(t, id);
  return v ? v->Get(k) : nullptr;
}

// Byte position in `bytes` of field `id` of `table` (which points into bytes).
size_t field_pos(const std::string& bytes, const void* table, int id) {
  const uint8_t* a = raw(table)->GetAddressOf(slot(id));
  if (!a) {
    ADD_FAILURE() << "field " << id << " not present";
    return 0;
  }
  return static_cast<size_t>(a - reinterpret_cast<const uint8_t*>(bytes.data()));
}
// Byte position of element k of the vector in field `id`.
size_t element_pos(const std::string& bytes, const void* table, int id, size_t k, size_t elem_size) {
  const size_t p = field_pos(bytes, table, id);
  uint32_t off;
  std::memcpy(&off, bytes.data() + p, 4);
  return p + off + 4 + k * elem_size;
}
template <class T>
void put(std::string& bytes, size_t pos, T v) {
  ASSERT_LE(pos + sizeof(T), bytes.size());
  std::memcpy(&bytes[pos], &v, sizeof(T));
}

const fbt::Model* model_of(const std::string& bytes) { return fbt::GetModel(bytes.data()); }
const fbt::Tensor* tensor_of(const std::string& bytes, int t) {
  return model_of(bytes)->subgraphs()->Get(0)->tensors()->Get(static_cast<flatbuffers::uoffset_t>(t));
}
const fbt::Operator* operator_of(const std::string& bytes, int j) {
  return model_of(bytes)->subgraphs()->Get(0)->operators()->Get(static_cast<flatbuffers::uoffset_t>(j));
}

// ---------------------------------------------------------------- tests: round trips and layout

TEST(Tflite, Int8RoundTripIsExact) {
  const TfliteModel m = sample_int8();
  const TfliteModel back = read_tflite(write_tflite(m), "memory");
  EXPECT_TRUE(back.int8);
  EXPECT_EQ(back.inputs(), 6);
  EXPECT_EQ(back.outputs(), 3);
  expect_same(m, back);
}

TEST(Tflite, FloatRoundTripIsExact) {
  const TfliteModel m = sample_float();
  const TfliteModel back = read_tflite(write_tflite(m), "memory");
  EXPECT_FALSE(back.int8);
  expect_same(m, back);
}

TEST(Tflite, EmptyMetadataFieldsRoundTrip) {
  TfliteModel m = sample_int8();
  const uint32_t v = m.meta.version;
  m.meta = DeployMetadata{};
  m.meta.version = v;
  expect_same(m, read_tflite(write_tflite(m), "memory"));
}

TEST(Tflite, PerTensorWeightScaleIsBroadcast) {
  // One scale for the whole weights tensor is valid TFLite; we read it as that scale per channel.
  TfliteModel m = sample_int8();
  m.layers[1].weight_scale.assign(1, 0.01f);
  const TfliteModel back = read_tflite(write_tflite(m), "memory");
  EXPECT_EQ(back.layers[1].weight_scale, std::vector<float>(4, 0.01f));
}

TEST(Tflite, WritingIsDeterministic) {
  for (const TfliteModel& m : {sample_int8(), sample_float()}) {
    const std::string a = write_tflite(m), b = write_tflite(m);
    EXPECT_EQ(a, b);
    // And a read model writes back to the same bytes.
    EXPECT_EQ(write_tflite(read_tflite(a, "memory")), a);
  }
  EXPECT_NE(write_tflite(sample_int8()), write_tflite(sample_float()));
}

TEST(Tflite, IdentifierSentinelAndAlignment) {
  for (const TfliteModel& m : {sample_int8(), sample_float()}) {
    const std::string bytes = write_tflite(m);
    ASSERT_GE(bytes.size(), 8u);
    EXPECT_EQ(bytes.substr(4, 4), "TFL3");
    const auto* root = flatbuffers::GetRoot<flatbuffers::Table>(bytes.data());
    const auto* buffers = tables<flatbuffers::Table>(root, 4);  // Model.buffers
    ASSERT_TRUE(buffers);
    // Sentinel, weights and bias per layer, metadata.
    ASSERT_EQ(buffers->size(), 1u + 2 * m.layers.size() + 1);
    const auto* d0 = buffers->Get(0)->GetPointer<const flatbuffers::Vector<uint8_t>*>(slot(0));
    EXPECT_TRUE(!d0 || d0->size() == 0) << "buffers[0] must be empty";
    for (flatbuffers::uoffset_t k = 1; k < buffers->size(); ++k) {
      const auto* d = buffers->Get(k)->GetPointer<const flatbuffers::Vector<uint8_t>*>(slot(0));  // Buffer.data
      ASSERT_TRUE(d && d->size() > 0) << "buffer " << k;
      const size_t pos = static_cast<size_t>(d->data() - reinterpret_cast<const uint8_t*>(bytes.data()));
      EXPECT_EQ(pos % 16, 0u) << "buffer " << k << " data at byte " << pos;
    }
  }
}

// The layout TFLite, TFLite Micro and Netron read, with the published field
// ids written out here, so a reordered field in tflite_subset.fbs fails.
TEST(Tflite, PublishedFieldIds) {
  const TfliteModel m = sample_int8();
  const std::string bytes = write_tflite(m);
  const auto* model = flatbuffers::GetRoot<flatbuffers::Table>(bytes.data());
  EXPECT_EQ(model->GetField<uint32_t>(slot(0), 0), 3u);  // Model.version
  const auto* desc = model->GetPointer<const flatbuffers::String*>(slot(3));  // Model.description
  ASSERT_TRUE(desc);

  // Model.operator_codes: {deprecated_builtin_code 0, custom_code 1, version 2, builtin_code 3}
  const auto* code = table_at(model, 1, 0);
  ASSERT_TRUE(code);
  EXPECT_EQ(code->GetField<int8_t>(slot(0), 0), 9);
  EXPECT_EQ(code->GetField<int32_t>(slot(2), 1), 4);  // int8 fully connected
  EXPECT_EQ(code->GetField<int32_t>(slot(3), 0), 9);
  EXPECT_EQ(tables<flatbuffers::Table>(model, 1)->size(), 1u);

  // Model.subgraphs[0]: {tensors 0, inputs 1, outputs 2, operators 3, name 4}
  const auto* sg = table_at(model, 2, 0);
  ASSERT_TRUE(sg);
  const auto* tensors = tables<flatbuffers::Table>(sg, 0);
  ASSERT_TRUE(tensors);
  ASSERT_EQ(tensors->size(), 10u);
  const auto* ins = sg->GetPointer<const flatbuffers::Vector<int32_t>*>(slot(1));
  const auto* outs = sg->GetPointer<const flatbuffers::Vector<int32_t>*>(slot(2));
  ASSERT_TRUE(ins && outs);
  EXPECT_EQ(std::vector<int32_t>(ins->begin(), ins->end()), std::vector<int32_t>{0});
  EXPECT_EQ(std::vector<int32_t>(outs->begin(), outs->end()), std::vector<int32_t>{9});
  EXPECT_EQ(sg->GetPointer<const flatbuffers::String*>(slot(4))->str(), "main");

  // Tensor: {shape 0, type 1, buffer 2, name 3, quantization 4}
  // QuantizationParameters: {min 0, max 1, scale 2, zero_point 3, details_type 4, details 5, quantized_dimension 6}
  const auto* input = tensors->Get(0);
  EXPECT_EQ(input->GetField<int8_t>(slot(1), 0), 9);   // INT8
  EXPECT_EQ(input->GetField<uint32_t>(slot(2), 0), 0u);  // no data
  EXPECT_EQ(input->GetPointer<const flatbuffers::String*>(slot(3))->str(), "input");
  const auto* iq = input->GetPointer<const flatbuffers::Table*>(slot(4));
  ASSERT_TRUE(iq);
  const auto* iscale = iq->GetPointer<const flatbuffers::Vector<float>*>(slot(2));
  const auto* izp = iq->GetPointer<const flatbuffers::Vector<int64_t>*>(slot(3));
  ASSERT_TRUE(iscale && izp);
  ASSERT_EQ(iscale->size(), 1u);
  EXPECT_EQ(iscale->Get(0), m.layers[0].input_scale);
  EXPECT_EQ(izp->Get(0), m.layers[0].input_zero_point);

  const auto* w = tensors->Get(1);
  const auto* wshape = w->GetPointer<const flatbuffers::Vector<int32_t>*>(slot(0));
  ASSERT_TRUE(wshape);
  EXPECT_EQ(std::vector<int32_t>(wshape->begin(), wshape->end()), (std::vector<int32_t>{5, 6}));
  EXPECT_EQ(w->GetField<int8_t>(slot(1), 0), 9);
  EXPECT_EQ(w->GetField<uint32_t>(slot(2), 0), 1u);
  const auto* wq = w->GetPointer<const flatbuffers::Table*>(slot(4));
  ASSERT_TRUE(wq);
  EXPECT_EQ(wq->GetPointer<const flatbuffers::Vector<float>*>(slot(2))->size(), 5u);
  EXPECT_EQ(wq->GetPointer<const flatbuffers::Vector<int64_t>*>(slot(3))->size(), 5u);
  EXPECT_EQ(wq->GetField<uint8_t>(slot(4), 0), 0);  // no QuantizationDetails
  EXPECT_EQ(wq->GetField<int32_t>(slot(6), 0), 0);  // quantized_dimension 0 (the default)

  const auto* b = tensors->Get(2);
  EXPECT_EQ(b->GetField<int8_t>(slot(1), 0), 2);  // INT32
  const auto* bq = b->GetPointer<const flatbuffers::Table*>(slot(4));
  ASSERT_TRUE(bq);
  EXPECT_FLOAT_EQ(bq->GetPointer<const flatbuffers::Vector<float>*>(slot(2))->Get(3),
                  m.layers[0].input_scale * m.layers[0].weight_scale[3]);

  // Operator: {opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4}
  const auto* ops = tables<flatbuffers::Table>(sg, 3);
  ASSERT_TRUE(ops);
  ASSERT_EQ(ops->size(), 3u);
  for (flatbuffers::uoffset_t j = 0; j < 3; ++j) {
    const auto* op = ops->Get(j);
    EXPECT_EQ(op->GetField<uint32_t>(slot(0), 0), 0u);  // opcode_index 0 (the default)
    const auto* oi = op->GetPointer<const flatbuffers::Vector<int32_t>*>(slot(1));
    ASSERT_TRUE(oi);
    const int32_t in = j == 0 ? 0 : static_cast<int32_t>(3 * j);
    EXPECT_EQ(std::vector<int32_t>(oi->begin(), oi->end()),
              (std::vector<int32_t>{in, static_cast<int32_t>(1 + 3 * j), static_cast<int32_t>(2 + 3 * j)}));
    EXPECT_EQ(op->GetField<uint8_t>(slot(3), 0), 8);  // FullyConnectedOptions
    // FullyConnectedOptions: {fused_activation_function 0, ...}
    const auto* opt = op->GetPointer<const flatbuffers::Table*>(slot(4));
    ASSERT_TRUE(opt);
    EXPECT_EQ(opt->GetField<int8_t>(slot(0), 0), j < 2 ? 1 : 0);  // RELU, RELU, NONE
  }

  // Model.metadata: [{name 0, buffer 1}]
  const auto* md = table_at(model, 6, 0);
  ASSERT_TRUE(md);
  EXPECT_EQ(md->GetPointer<const flatbuffers::String*>(slot(0))->str(), "tinywalk");
  const uint32_t mb = md->GetField<uint32_t>(slot(1), 0);
  EXPECT_EQ(mb, 7u);
  const auto* mdata = table_at(model, 4, mb)->GetPointer<const flatbuffers::Vector<uint8_t>*>(slot(0));
  ASSERT_TRUE(mdata && mdata->size() > 8);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(mdata->data()) + 4, 4), "TWMD");
}

TEST(Tflite, FloatModelUsesFloat32AndOpVersion1) {
  const std::string bytes = write_tflite(sample_float());
  const fbt::Model* m = model_of(bytes);
  EXPECT_EQ(m->operator_codes()->Get(0)->version(), 1);
  for (const fbt::Tensor* t : *m->subgraphs()->Get(0)->tensors()) {
    EXPECT_EQ(t->type(), fbt::TensorType_FLOAT32);
    EXPECT_EQ(t->quantization(), nullptr);
  }
}

TEST(Tflite, SaveAndLoad) {
  const std::string path = ::testing::TempDir() + "/tw_model_" + std::to_string(::getpid()) + ".tflite";
  const TfliteModel m = sample_int8();
  save_tflite(path, m);
  expect_same(m, load_tflite(path));
  EXPECT_EQ(read_file(path), write_tflite(m));
  std::filesystem::remove(path);
  EXPECT_HAS(error_of([&] { load_tflite(path); }), path);
}

// ---------------------------------------------------------------- bad files

struct BadCase {
  std::string name;   // file name stem in tests/data/tflite/
  std::string bytes;
  std::string expect;  // part of the InputError message
};

std::string with_model(const std::function<void(TfliteModel&)>& change) {
  TfliteModel m = sample_int8();
  change(m);
  return write_tflite(m);
}
std::string with_bytes(const std::function<void(std::string&)>& change) {
  std::string b = write_tflite(sample_int8());
  change(b);
  return b;
}

std::vector<BadCase> bad_cases() {
  std::vector<BadCase> c;
  c.push_back({"bad_identifier", with_bytes([](std::string& b) { b[7] = '2'; }),
               "not a .tflite file: expected identifier TFL3 at byte 4, found \"TFL2\""});
  c.push_back({"too_small", "TFL3", "not a .tflite file: expected identifier TFL3 at byte 4"});
  c.push_back({"truncated", with_bytes([](std::string& b) { b.resize(b.size() / 2); }),
               "corrupt or truncated FlatBuffer"});
  c.push_back({"schema_version", with_bytes([](std::string& b) { put<uint32_t>(b, field_pos(b, model_of(b), 0), 2); }),
               "schema version 2, expected 3"});
  c.push_back({"no_subgraph",
               [] {
                 flatbuffers::FlatBufferBuilder fb;
                 const std::vector<flatbuffers::Offset<fbt::Buffer>> bufs{fbt::CreateBuffer(fb)};
                 fbt::FinishModelBuffer(fb, fbt::CreateModelDirect(fb, 3, nullptr, nullptr, nullptr, &bufs));
                 return std::string(reinterpret_cast<const char*>(fb.GetBufferPointer()), fb.GetSize());
               }(),
               "no subgraph"});
  c.push_back({"operator_add",
               with_bytes([](std::string& b) {
                 const auto* code = model_of(b)->operator_codes()->Get(0);
                 put<int8_t>(b, field_pos(b, code, 0), 0);   // deprecated_builtin_code
                 put<int32_t>(b, field_pos(b, code, 3), 0);  // builtin_code
               }),
               "operator ADD is not supported"});
  c.push_back({"scale_zero", with_model([](TfliteModel& m) { m.layers[0].input_scale = 0; }),
               "tensor 'input' has scale 0, expected a positive finite number"});
  c.push_back({"scale_nan",
               with_model([](TfliteModel& m) { m.layers[1].weight_scale[2] = std::numeric_limits<float>::quiet_NaN(); }),
               "weights tensor 'fc1/weights' has scale nan, expected a positive finite number"});
  c.push_back({"scale_inf",
               with_model([](TfliteModel& m) { m.layers[2].output_scale = std::numeric_limits<float>::infinity(); }),
               "tensor 'output' has scale inf, expected a positive finite number"});
  c.push_back({"buffer_out_of_range",
               with_bytes([](std::string& b) { put<uint32_t>(b, field_pos(b, tensor_of(b, 4), 2), 99); }),
               "tensor 'fc1/weights': buffer index 99 out of range (8 buffers)"});
  c.push_back({"tensor_out_of_range",
               with_bytes([](std::string& b) { put<int32_t>(b, element_pos(b, operator_of(b, 1), 1, 1, 4), 1000); }),
               "tensor index 1000 out of range (10 tensors)"});
  c.push_back({"no_metadata",
               with_bytes([](std::string& b) {
                 const char* name = model_of(b)->metadata()->Get(0)->name()->c_str();
                 b[static_cast<size_t>(name - b.data()) + 4] = 'X';  // "tinyXalk"
               }),
               "no \"tinywalk\" metadata entry"});
  c.push_back({"metadata_newer", with_model([](TfliteModel& m) { m.meta.version = kMetadataVersion + 1; }),
               "written by a newer tinywalk: metadata version 2, this build reads up to version 1"});
  c.push_back({"metadata_not_twmd",
               with_bytes([](std::string& b) {
                 const auto* md = model_of(b)->buffers()->Get(model_of(b)->metadata()->Get(0)->buffer())->data();
                 b[static_cast<size_t>(md->data() - reinterpret_cast<const uint8_t*>(b.data())) + 7] = 'X';
               }),
               "not tinywalk metadata: expected identifier TWMD"});
  c.push_back({"metadata_lengths", with_model([](TfliteModel& m) { m.meta.feature_mean.pop_back(); }),
               "feature_mean: 5 values, expected 6 (the model's inputs)"});
  c.push_back({"shape_mismatch",
               with_model([](TfliteModel& m) {
                 m.layers[1].in = 7;
                 m.layers[1].weights_q.assign(static_cast<size_t>(7 * m.layers[1].out), 1);
               }),
               "have shape [4, 7], which does not match the input width 5"});
  c.push_back({"bias_shape", with_bytes([](std::string& b) { put<int32_t>(b, element_pos(b, tensor_of(b, 2), 0, 0, 4), 4); }),
               "bias tensor 'fc0/bias' has shape [4], expected [5]"});
  c.push_back({"weights_zero_point",
               with_bytes([](std::string& b) {
                 put<int64_t>(b, element_pos(b, tensor_of(b, 1)->quantization(), 3, 2, 8), 5);
               }),
               "has zero point 5, expected 0 (symmetric quantization)"});
  c.push_back({"zero_point_range", with_model([](TfliteModel& m) { m.layers[0].output_zero_point = 200; }),
               "zero point 200, outside the int8 range [-128, 127]"});
  c.push_back({"channel_count", with_model([](TfliteModel& m) { m.layers[0].weight_scale.resize(3); }),
               "has 3 scales, expected one per output channel (5) or one per tensor"});
  c.push_back({"bias_scale",
               with_bytes([](std::string& b) {
                 put<float>(b, element_pos(b, tensor_of(b, 2)->quantization(), 2, 1, 4), 1.0f);
               }),
               "expected input scale x weight scale"});
  c.push_back({"activation_relu6",
               with_bytes([](std::string& b) {
                 put<int8_t>(b, field_pos(b, operator_of(b, 0)->builtin_options(), 0), 3);
               }),
               "fused activation RELU6 is not supported (NONE or RELU)"});
  c.push_back({"bias_type_int8",
               with_bytes([](std::string& b) { put<int8_t>(b, field_pos(b, tensor_of(b, 5), 1), 9); }),
               "bias tensor 'fc1/bias' has type INT8, expected INT32"});
  c.push_back({"weights_type_float",
               with_bytes([](std::string& b) { put<int8_t>(b, field_pos(b, tensor_of(b, 7), 1), 0); }),
               "weights tensor 'fc2/weights' has type FLOAT32, expected INT8"});
  c.push_back({"input_type_float16",
               with_bytes([](std::string& b) { put<int8_t>(b, field_pos(b, tensor_of(b, 0), 1), 1); }),
               "graph input tensor 'input' has type FLOAT16"});
  c.push_back({"no_bias", with_bytes([](std::string& b) { put<int32_t>(b, element_pos(b, operator_of(b, 0), 1, 2, 4), -1); }),
               "FULLY_CONNECTED without a bias is not supported"});
  c.push_back({"weights_missing", with_model([](TfliteModel& m) { m.layers[0].weights_q.clear(); }),
               "weights tensor 'fc0/weights' has no data"});
  c.push_back({"bias_size", with_model([](TfliteModel& m) { m.layers[2].bias_q.push_back(1); }),
               "bias tensor 'fc2/bias' has 16 bytes of data in buffer 6, expected 12"});
  c.push_back({"weights_minus_128", with_model([](TfliteModel& m) { m.layers[0].weights_q[7] = -128; }),
               "hold -128 at [1][1]: int8 weights must be in [-127, 127]"});
  c.push_back({"broken_chain",
               with_bytes([](std::string& b) { put<int32_t>(b, element_pos(b, operator_of(b, 2), 1, 0, 4), 0); }),
               "feeds two operators (0 and 2)"});
  c.push_back({"float_nan_weight",
               [] {
                 TfliteModel m = sample_float();
                 m.layers[0].weights_f[1] = std::numeric_limits<float>::quiet_NaN();
                 return write_tflite(m);
               }(),
               "weights tensor 'fc0/weights' hold nan at [0][1]"});
  return c;
}

TEST(Tflite, HandMadeBadFilesNameTheProblem) {
  for (const BadCase& c : bad_cases()) {
    SCOPED_TRACE(c.name);
    const std::string err = error_of([&] { read_tflite(c.bytes, c.name + ".tflite"); });
    ASSERT_FALSE(err.empty()) << "accepted";
    EXPECT_HAS(err, c.name + ".tflite");  // the source
    EXPECT_HAS(err, c.expect);
  }
}

TEST(Tflite, ErrorsSayWhere) {
  std::string b;
  for (const BadCase& c : bad_cases())
    if (c.name == "buffer_out_of_range") b = c.bytes;
  try {
    read_tflite(b, "f.tflite");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "f.tflite");
    EXPECT_EQ(e.where(), "subgraphs[0].tensors[4].buffer");
  }
  try {
    read_tflite("nope, not a model", "g.tflite");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "byte 4");
  }
}

// Every truncation and every single-bit flip of a valid int8 file, and
// random multi-byte damage: InputError or a consistent model, never a crash.
TEST(Tflite, DamagedFilesNeverCrash) {
  const std::string good = write_tflite(sample_int8());
  ASSERT_NO_THROW(read_tflite(good, "good"));
  for (size_t n = 0; n < good.size(); ++n) {
    const std::string err = error_of([&] { read_tflite(good.substr(0, n), "cut"); });
    ASSERT_FALSE(err.empty()) << "truncation to " << n << " bytes accepted";
  }
  int rejected = 0, accepted = 0;
  auto try_read = [&](const std::string& bytes, const std::string& what) {
    try {
      const TfliteModel m = read_tflite(bytes, "flip");
      ++accepted;
      expect_consistent(m);
      if (::testing::Test::HasFatalFailure()) FAIL() << what;
    } catch (const InputError&) {
      ++rejected;
    }
  };
  for (size_t i = 0; i < good.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      std::string b = good;
      b[i] = static_cast<char>(b[i] ^ (1 << bit));
      try_read(b, "flip of byte " + std::to_string(i) + " bit " + std::to_string(bit));
      if (HasFatalFailure()) return;
    }
  Rng rng(3);
  for (int k = 0; k < 3000; ++k) {
    std::string b = good;
    const int n = 1 + static_cast<int>(rng.next() % 4);
    for (int j = 0; j < n; ++j) b[rng.next() % b.size()] = static_cast<char>(rng.next() & 0xff);
    try_read(b, "random damage " + std::to_string(k));
    if (HasFatalFailure()) return;
  }
  // Data bytes are free to change; structure is not.
  EXPECT_GT(accepted, 100);
  EXPECT_GT(rejected, 1000);
}

// ---------------------------------------------------------------- tests/data/tflite

const std::string kDataDir = std::string(TINYWALK_SOURCE_DIR) + "/tests/data/tflite";

TEST(Tflite, DataDirectoryReplays) {
  std::map<std::string, std::string> expect;
  for (const BadCase& c : bad_cases()) expect[c.name + ".tflite"] = c.expect;
  std::set<std::string> seen;
  for (const auto& e : std::filesystem::directory_iterator(kDataDir)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() != ".tflite") continue;
    SCOPED_TRACE(name);
    seen.insert(name);
    const std::string bytes = read_file(e.path().string());
    if (name == "good_int8.tflite" || name == "good_float.tflite") {
      // Files written by an earlier build still read, to the same model.
      expect_same(name == "good_int8.tflite" ? sample_int8() : sample_float(), read_tflite(bytes, name));
      continue;
    }
    ASSERT_TRUE(expect.count(name)) << "no expectation for " << name;
    const std::string err = error_of([&] { read_tflite(bytes, e.path().string()); });
    ASSERT_FALSE(err.empty()) << "accepted";
    EXPECT_HAS(err, expect[name]);
  }
  EXPECT_TRUE(seen.count("good_int8.tflite"));
  EXPECT_TRUE(seen.count("good_float.tflite"));
  for (const auto& [name, _] : expect) EXPECT_TRUE(seen.count(name)) << name << " missing from " << kDataDir;
}

}  // namespace
}  // namespace tinywalk::quant
