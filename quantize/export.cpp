#include "quantize/export.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "quantize/ptq.h"
#include "robot_fw/controller_config.h"
#include "robot_fw/network.h"

namespace tinywalk::quant {

namespace {
template <class T>
std::string array(const std::string& type, const std::string& name, const std::vector<T>& v) {
  std::ostringstream s;
  s << "const " << type << " " << name << "[" << v.size() << "] TW_MODEL_FLASH = {";
  for (size_t i = 0; i < v.size(); ++i) s << (i % 16 ? " " : "\n    ") << static_cast<long long>(v[i]) << ",";
  s << "\n};\n";
  return s.str();
}

// "{a, b, c}" of the first n entries of an integer array.
template <class T>
std::string list(const T* v, int n) {
  std::ostringstream s;
  s << "{";
  for (int i = 0; i < n; ++i) s << (i ? ", " : "") << static_cast<long long>(v[i]);
  s << "}";
  return s.str();
}

// The firmware's own view of the model: the .tflite bytes as written, loaded in place by
// fw::tflite_load (what the host and Cortex-M firmware run), and the controller configuration
// from its "tinywalk_fw" blob. Empty optional-like result when the model has no blob.
struct FirmwareView {
  bool present = false;
  std::vector<uint32_t> storage;  // the .tflite bytes, 4-byte aligned
  fw::NetworkView net{};
  fw::ControllerConfig cfg{};
};

FirmwareView firmware_view(const TfliteModel& model) {
  FirmwareView v;
  if (model.meta.firmware_blob.empty()) return v;
  const std::string bytes = write_tflite(model);
  v.storage.assign((bytes.size() + 3) / 4, 0u);
  std::memcpy(v.storage.data(), bytes.data(), bytes.size());
  const uint8_t* p = reinterpret_cast<const uint8_t*>(v.storage.data());
  fw::TfliteBlob blob{};
  const fw::NetStatus ns = fw::tflite_load(p, bytes.size(), v.net, blob);
  if (ns != fw::NetStatus::kOk)
    throw InputError("", "--model", std::string("the firmware's .tflite reader rejects this model: ") + fw::net_status_name(ns));
  const fw::BlobStatus bs = fw::controller_config_read(blob.data, blob.size, v.cfg);
  if (bs != fw::BlobStatus::kOk || fw::controller_config_check(v.cfg, v.net) != fw::BlobStatus::kOk)
    throw InputError("", "--model", "the \"tinywalk_fw\" metadata does not hold a valid controller configuration for this network");
  v.present = true;
  return v;
}

// The prepared arrays must be exactly what the firmware loads from the file (one model, one truth).
void check_same(const PreparedInt8& p, const fw::NetworkView& net) {
  bool same = net.num_layers == static_cast<int>(p.layers.size());
  for (size_t l = 0; same && l < p.layers.size(); ++l) {
    const PreparedLayer& L = p.layers[l];
    const fw::LayerView& V = net.layers[l];
    same = V.in == L.in && V.out == L.out && V.params.input_offset == L.params.input_offset &&
           V.params.output_offset == L.params.output_offset && V.params.activation_min == L.params.activation_min &&
           V.params.activation_max == L.params.activation_max &&
           std::memcmp(V.weights, L.weights.data(), L.weights.size()) == 0 &&
           (L.bias.empty() ? V.bias == nullptr : V.bias && std::memcmp(V.bias, L.bias.data(), 4 * L.bias.size()) == 0) &&
           std::memcmp(V.multiplier, L.multiplier.data(), 4 * L.multiplier.size()) == 0 &&
           std::memcmp(V.shift, L.shift.data(), 4 * L.shift.size()) == 0;
  }
  if (!same)
    throw InputError("", "--model", "the multipliers/shifts in the \"tinywalk_fw\" metadata differ from the ones the float scales give");
}

// fw::ControllerConfig as a C++ aggregate initialiser, in the struct's declaration order
// (robot_fw/controller.h, observation.h, postprocess.h); arrays list only the used entries.
std::string config_initialiser(const fw::ControllerConfig& c) {
  std::ostringstream s;
  const fw::ObservationConfig& o = c.obs;
  s << "    " << c.control_period_us << "u,  // control_period_us\n";
  s << "    {  // obs\n        " << o.num_signals << ",\n        {";
  for (int i = 0; i < o.num_signals; ++i) s << (i ? ", " : "") << "static_cast<tinywalk::fw::Signal>(" << static_cast<int>(o.signal[i]) << ")";
  s << "},  // signal\n        " << list(o.history, o.num_signals) << ",  // history\n        " << o.num_joints << ", " << o.num_features
    << ",  // num_joints, num_features\n        {  // feature: mul, add, shift\n";
  for (int f = 0; f < o.num_features; ++f)
    s << "            {" << o.feature[f].mul << ", " << o.feature[f].add << ", " << static_cast<int>(o.feature[f].shift) << "},\n";
  s << "        },\n        " << o.phase_step << "u,  // phase_step\n    },\n";
  const fw::PostprocessConfig& p = c.post;
  const int n = p.num_joints;
  s << "    {  // post\n        " << n << ", " << p.zero_point << ", " << p.scale_shift << ",  // num_joints, zero_point, scale_shift\n"
    << "        " << list(p.scale_num, n) << ",  // scale_num\n"
    << "        " << list(p.offset_cdeg, n) << ",  // offset_cdeg\n"
    << "        " << p.dead_zone_cdeg << ", " << p.ma_window << ", " << (p.lowpass_enabled ? "true" : "false")
    << ",  // dead_zone_cdeg, ma_window, lowpass_enabled\n"
    << "        " << p.b0 << ", " << p.b1 << ", " << p.b2 << ", " << p.a1 << ", " << p.a2 << ",  // b0, b1, b2, a1, a2 (Q14)\n"
    << "        " << p.rate_limit_cdeg << ",  // rate_limit_cdeg\n"
    << "        " << list(p.min_cdeg, n) << ",  // min_cdeg\n"
    << "        " << list(p.max_cdeg, n) << ",  // max_cdeg\n"
    << "        " << list(p.direction, n) << ",  // direction\n"
    << "        " << list(p.calib_cdeg, n) << ",  // calib_cdeg\n"
    << "        " << list(p.index_map, n) << ",  // index_map\n    },\n";
  const fw::SafetyConfig& f = c.safety;
  s << "    {  // safety\n        " << f.fall_roll << ", " << f.fall_pitch << ", " << f.lift_pitch_min << ", " << f.lift_pitch_max
    << ",  // fall_roll, fall_pitch, lift_pitch_min, lift_pitch_max (1e-4 rad)\n"
    << "        " << f.lift_steps << ", " << f.fault_limit << ", " << f.deadline_limit << ",  // lift_steps, fault_limit, deadline_limit\n"
    << "        " << f.max_imu_age_us << "u, " << f.deadline_slack_us << "u,  // max_imu_age_us, deadline_slack_us\n"
    << "        " << list(f.safe_pose_deg, fw::kOpenCatJointCount) << ",  // safe_pose_deg\n    },\n"
    << "    " << static_cast<int>(c.history_source) << ",  // history_source (0: the sent command, 1: the policy's target)\n";
  return s.str();
}
}  // namespace

ExportReport export_firmware(const TfliteModel& model, const std::string& target, const std::string& out_dir) {
  if (target != "host" && target != "cortex-m" && target != "avr")
    throw InputError("", "--target", "expected host, cortex-m or avr, got '" + target + "'");
  if (!model.int8) throw InputError("", "--model", "firmware export needs an int8 model (run tinywalk quantize first)");
  if (::mkdir(out_dir.c_str(), 0755) != 0 && errno != EEXIST) throw InputError(out_dir, "", "cannot create the output directory");
  const PreparedInt8 p = prepare_int8(model);
  const FirmwareView fv = firmware_view(model);
  if (fv.present) check_same(p, fv.net);
  ExportReport r;
  std::ostringstream h, c;
  h << "// GENERATED by `tinywalk export --target " << target << "`: the int8 policy for robot '" << model.meta.robot
    << "'.\n// Run it with tinywalk::fw::fully_connected_int8 layer by layer (robot_fw/int8_kernels.h)"
    << (fv.present ? ",\n// or whole: kNetwork and kControllerConfig form a tinywalk::fw::ControllerModel (robot_fw/controller.h)" : "")
    << ".\n#pragma once\n\n"
    << "#include <stdint.h>\n\n#include \"robot_fw/int8_kernels.h\"\n" << (fv.present ? "#include \"robot_fw/controller.h\"\n" : "") << "\n"
    << (target == "avr" ? "#include <avr/pgmspace.h>\n// AVR keeps data in RAM unless told: PROGMEM puts it in flash (read it with pgm_read_*).\n#define TW_MODEL_FLASH PROGMEM\n\n"
        : target == "cortex-m" ? "// Cortex-M: const data is placed in flash (.rodata) by the linker.\n#define TW_MODEL_FLASH\n\n"
                               : "#define TW_MODEL_FLASH\n\n")
    << "namespace tinywalk_model {\n\n"
    << "constexpr int kLayers = " << p.layers.size() << ";\nconstexpr int kInputs = " << model.inputs() << ";\nconstexpr int kOutputs = "
    << model.outputs() << ";\nconstexpr int kMaxWidth = " << p.max_width << ";  // scratch: 2 x kMaxWidth bytes\n\n"
    << "struct Layer {\n  int in, out;\n  tinywalk::fw::FullyConnectedParams params;\n  const int8_t* weights;  // [out][in]\n"
    << "  const int32_t* bias;\n  const int32_t* multiplier;\n  const int32_t* shift;\n};\n"
    << "extern const Layer kModel[kLayers];\n";
  if (fv.present)
    h << "\n// The whole compiled-in model for tinywalk::fw::controller_*: the network (its pointers address\n"
      << "// TW_MODEL_FLASH arrays: on AVR read them with a pgm_read loader, network_run_mem) and the\n"
      << "// controller configuration from the model's \"tinywalk_fw\" metadata (in RAM: the firmware reads it directly).\n"
      << "extern const tinywalk::fw::NetworkView kNetwork;\nextern const tinywalk::fw::ControllerConfig kControllerConfig;\n"
      << "constexpr int kFeatures = " << fv.cfg.obs.num_features << ";\nconstexpr int kJoints = " << fv.cfg.post.num_joints << ";\n";
  h << "\n}  // namespace tinywalk_model\n";
  c << "// GENERATED by `tinywalk export --target " << target << "`.\n#include \"tinywalk_model.h\"\n\nnamespace tinywalk_model {\n\n";
  for (size_t l = 0; l < p.layers.size(); ++l) {
    const PreparedLayer& L = p.layers[l];
    const std::string n = "layer" + std::to_string(l);
    c << array("int8_t", n + "_weights", L.weights) << array("int32_t", n + "_bias", L.bias)
      << array("int32_t", n + "_multiplier", L.multiplier) << array("int32_t", n + "_shift", L.shift) << "\n";
    r.weight_bytes += L.weights.size();
    r.flash_bytes += L.weights.size() + 4 * (L.bias.size() + L.multiplier.size() + L.shift.size());
  }
  c << "const Layer kModel[kLayers] = {\n";
  for (size_t l = 0; l < p.layers.size(); ++l) {
    const PreparedLayer& L = p.layers[l];
    const std::string n = "layer" + std::to_string(l);
    c << "    {" << L.in << ", " << L.out << ", {" << L.params.input_offset << ", " << L.params.output_offset << ", "
      << L.params.activation_min << ", " << L.params.activation_max << "}, " << n << "_weights, " << n << "_bias, " << n << "_multiplier, "
      << n << "_shift},\n";
    r.flash_bytes += 8 + sizeof(fw::FullyConnectedParams) + 4 * sizeof(void*);
  }
  c << "};\n";
  if (fv.present) {
    c << "\nstatic_assert(kLayers <= tinywalk::fw::kMaxLayers && kMaxWidth <= tinywalk::fw::kMaxWidth, \"network beyond the firmware's "
         "capacity: raise TINYWALK_FW_MAX_LAYERS / TINYWALK_FW_MAX_WIDTH\");\n"
      << "static_assert(" << fv.cfg.obs.num_features << " <= tinywalk::fw::kMaxFeatures && " << fv.cfg.post.num_joints
      << " <= tinywalk::fw::kMaxJoints && " << fv.cfg.post.ma_window
      << " <= tinywalk::fw::kMaxMovingAverage, \"controller configuration beyond the firmware's capacity: raise TINYWALK_FW_MAX_FEATURES / "
         "_JOINTS / _MOVING_AVERAGE\");\n";
    int max_history = 1;
    for (int s = 0; s < fv.cfg.obs.num_signals; ++s) max_history = fv.cfg.obs.history[s] > max_history ? fv.cfg.obs.history[s] : max_history;
    c << "static_assert(" << max_history << " <= tinywalk::fw::kMaxHistory, \"observation history beyond the firmware's capacity: raise "
         "TINYWALK_FW_MAX_HISTORY\");\n\n";
    c << "const tinywalk::fw::NetworkView kNetwork = {\n    kLayers,\n    {\n";
    for (size_t l = 0; l < p.layers.size(); ++l) {
      const std::string n = "layer" + std::to_string(l);
      c << "        {" << p.layers[l].in << ", " << p.layers[l].out << ", {" << p.layers[l].params.input_offset << ", "
        << p.layers[l].params.output_offset << ", " << p.layers[l].params.activation_min << ", " << p.layers[l].params.activation_max << "}, "
        << n << "_weights, " << (p.layers[l].bias.empty() ? "nullptr" : n + "_bias") << ", " << n << "_multiplier, " << n << "_shift},\n";
    }
    c << "    },\n};\n\n// From the model's \"tinywalk_fw\" metadata (fw::controller_config_read).\nconst tinywalk::fw::ControllerConfig kControllerConfig = {\n"
      << config_initialiser(fv.cfg) << "};\n";
  }
  c << "\n}  // namespace tinywalk_model\n";
  r.arena_bytes = static_cast<size_t>(model.inputs() + model.outputs() + 2 * p.max_width);
  r.header = out_dir + "/tinywalk_model.h";
  r.source = out_dir + "/tinywalk_model.cpp";
  write_file_atomic(r.header, h.str());
  write_file_atomic(r.source, c.str());
  return r;
}

}  // namespace tinywalk::quant
