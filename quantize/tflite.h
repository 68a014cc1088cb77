// .tflite files (FlatBuffers, identifier "TFL3", schema version 3) for MLP
// policies: FULLY_CONNECTED operators, float32 or int8 (TFLite int8 spec:
// per-output-channel symmetric weights, per-tensor asymmetric activations,
// int32 biases), plus a metadata entry "tinywalk" with what deployment needs.
// Written from a schema subset we author (quantize/tflite_subset.fbs) with the
// published schema's field ids and layouts, so TFLite, TFLite Micro and
// Netron read the files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinywalk::quant {

struct FcLayer {
  int in = 0, out = 0;
  bool relu = false;                    // fused activation (hidden layers)
  // float32 model
  std::vector<float> weights_f;         // [out][in] row-major
  std::vector<float> bias_f;            // [out]
  // int8 model
  std::vector<int8_t> weights_q;        // [out][in], symmetric per output channel, in [-127, 127]
  std::vector<int32_t> bias_q;          // [out], scale = input_scale * weight_scale[o], zero point 0
  std::vector<float> weight_scale;      // [out]
  float input_scale = 0, output_scale = 0;
  int32_t input_zero_point = 0, output_zero_point = 0;
};

// Table "tinywalk" (quantize/tinywalk_metadata.fbs), versioned.
struct DeployMetadata {
  uint32_t version = 1;
  std::string robot;
  std::vector<std::string> joints;          // action order
  std::string observation_yaml;             // resolved observation spec
  std::vector<double> feature_mean, feature_std;   // normalisation (x - mean) / std before the input tensor
  std::vector<double> action_offset, action_scale; // target = offset + scale * clamp(y, -1, 1), rad
  std::vector<double> standing_pose;        // rad
  std::vector<int32_t> firmware_index, firmware_direction;
  std::string postprocess_yaml;             // post-processing settings for the firmware
  std::string dataset_hash, config_hash, project_version;  // provenance
  // The firmware's integer configuration (robot_fw/controller_config.h), stored as the
  // metadata entry "tinywalk_fw"; empty if the model was quantized without one.
  std::string firmware_blob;
};
constexpr uint32_t kMetadataVersion = 1;

struct TfliteModel {
  bool int8 = false;
  std::vector<FcLayer> layers;  // in order; layer k's output feeds layer k+1
  DeployMetadata meta;
  int inputs() const { return layers.empty() ? 0 : layers.front().in; }
  int outputs() const { return layers.empty() ? 0 : layers.back().out; }
};

std::string write_tflite(const TfliteModel& m);                 // the file bytes
void save_tflite(const std::string& path, const TfliteModel& m);  // atomic
// Verifies with the FlatBuffers verifier first, then checks everything this
// project can run; InputError naming `source` and the problem: wrong
// identifier, truncated file, buffer index out of range, unsupported operator
// or tensor type, inconsistent shapes, scale <= 0 or NaN, missing or
// newer-version "tinywalk" metadata.
TfliteModel read_tflite(const std::string& bytes, const std::string& source);
TfliteModel load_tflite(const std::string& path);

}  // namespace tinywalk::quant
