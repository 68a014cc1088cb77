#include "quantize/ptq.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "common/error.h"
#include "quantize/quantize_multiplier.h"

#ifndef TINYWALK_VERSION
#define TINYWALK_VERSION "unknown"
#endif

namespace tinywalk::quant {

namespace {

constexpr double kRadToDeg = 180.0 / M_PI;

struct Range {
  double lo = 0, hi = 0;
};

// Asymmetric int8 parameters of a real range (widened to include 0).
void asymmetric(Range r, float* scale, int32_t* zero_point) {
  const double lo = std::min(0.0, r.lo), hi = std::max(0.0, r.hi);
  double s = (hi - lo) / 255.0;
  if (!(s > 0)) s = 1.0 / 255.0;  // a constant-zero tensor: any positive scale works
  *scale = static_cast<float>(s);
  const double zp = std::round(-128.0 - lo / static_cast<double>(*scale));
  *zero_point = static_cast<int32_t>(std::clamp(zp, -128.0, 127.0));
}

// Range of each row's values: min/max, or the given percentile of each tail.
Range range_of(std::vector<double> v, const CalibrationParams& p) {
  if (v.empty()) return {};
  if (p.method == "minmax") return {*std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
  std::sort(v.begin(), v.end());
  const double q = p.percentile / 100.0;
  const size_t hi = std::min(v.size() - 1, static_cast<size_t>(std::ceil(q * (v.size() - 1))));
  const size_t lo = v.size() - 1 - hi;
  return {v[lo], v[hi]};
}

bool relu_layer(const policy::Mlp& mlp, int l) {
  const policy::Activation a = mlp.activation(l);
  if (a == policy::Activation::Tanh)
    throw InputError("", "model", std::string("layer ") + std::to_string(l) +
                                      " uses tanh; .tflite export supports fused NONE or RELU (use relu / linear activations)");
  return a == policy::Activation::ReLU;
}

double activate(double z, bool relu) { return relu ? std::max(0.0, z) : z; }

// A layer's shape and fused activation, without its numbers.
FcLayer layer_shape(const policy::Mlp& mlp, int l) {
  FcLayer L;
  L.in = static_cast<int>(mlp.weight(l).cols());
  L.out = static_cast<int>(mlp.weight(l).rows());
  L.relu = relu_layer(mlp, l);
  return L;
}

}  // namespace

std::string fnv1a_hex(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

DeployMetadata metadata_for(const policy::PolicyModel& model) {
  DeployMetadata m;
  m.version = kMetadataVersion;
  m.robot = model.robot;
  m.joints = model.joints;
  m.observation_yaml = config::to_yaml(model.observation);
  m.feature_mean.assign(model.normalizer.mean.data(), model.normalizer.mean.data() + model.normalizer.mean.size());
  m.feature_std.assign(model.normalizer.std.data(), model.normalizer.std.data() + model.normalizer.std.size());
  m.action_offset = model.action.offset;
  m.action_scale = model.action.scale;
  m.standing_pose = model.action.offset;
  // The paper's post-processing chain, as defaults for the firmware.
  m.postprocess_yaml =
      "dead_zone_deg: 1\nmoving_average: 4\nlowpass_cutoff_hz: 0\nrate_limit_deg_per_step: 0\nclamp_to_firmware_limits: true\n";
  m.project_version = TINYWALK_VERSION;
  return m;
}

TfliteModel float_model(const policy::PolicyModel& model, const DeployMetadata& meta) {
  TfliteModel t;
  t.int8 = false;
  t.meta = meta;
  const policy::Mlp& mlp = model.mlp;
  for (int l = 0; l < mlp.num_layers(); ++l) {
    FcLayer L = layer_shape(mlp, l);
    const auto W = mlp.weight(l);
    const auto b = mlp.bias(l);
    for (int o = 0; o < L.out; ++o) {
      for (int i = 0; i < L.in; ++i) L.weights_f.push_back(static_cast<float>(W(o, i)));
      L.bias_f.push_back(static_cast<float>(b[o]));
    }
    t.layers.push_back(std::move(L));
  }
  return t;
}

TfliteModel quantize(const policy::PolicyModel& model, const Eigen::MatrixXd& calibration, const CalibrationParams& params,
                     const DeployMetadata& meta) {
  if (params.method != "minmax" && params.method != "percentile")
    throw InputError("", "calibration.method", "expected minmax or percentile, got '" + params.method + "'");
  const policy::Mlp& mlp = model.mlp;
  if (calibration.rows() != mlp.sizes().front() || calibration.cols() < 1)
    throw InputError("", "calibration", "expected feature vectors of size " + std::to_string(mlp.sizes().front()));
  // Activation ranges: the input, every hidden layer's output; the output is [-1, 1].
  std::vector<Range> ranges;
  auto row_range = [&](const Eigen::MatrixXd& A) {
    return range_of(std::vector<double>(A.data(), A.data() + A.size()), params);
  };
  Eigen::MatrixXd A = calibration;
  ranges.push_back(row_range(A));
  for (int l = 0; l < mlp.num_layers(); ++l) {
    const bool relu = relu_layer(mlp, l);
    Eigen::MatrixXd Z = (mlp.weight(l) * A).colwise() + mlp.bias(l);
    if (relu) Z = Z.cwiseMax(0.0);
    A = Z;
    ranges.push_back(l + 1 == mlp.num_layers() ? Range{-1.0, 1.0} : row_range(A));
  }
  // Layers: per-channel symmetric weights, int32 biases, per-tensor activations.
  TfliteModel t;
  t.int8 = true;
  t.meta = meta;
  for (int l = 0; l < mlp.num_layers(); ++l) {
    FcLayer L = layer_shape(mlp, l);
    const auto W = mlp.weight(l);
    const auto b = mlp.bias(l);
    // A layer's input tensor is the previous layer's output tensor.
    if (l == 0) {
      asymmetric(ranges[0], &L.input_scale, &L.input_zero_point);
    } else {
      L.input_scale = t.layers.back().output_scale;
      L.input_zero_point = t.layers.back().output_zero_point;
    }
    asymmetric(ranges[l + 1], &L.output_scale, &L.output_zero_point);
    for (int o = 0; o < L.out; ++o) {
      const double maxabs = W.row(o).cwiseAbs().maxCoeff();
      const float s = maxabs > 0 ? static_cast<float>(maxabs / 127.0) : 1.0f;
      L.weight_scale.push_back(s);
      for (int i = 0; i < L.in; ++i)
        L.weights_q.push_back(static_cast<int8_t>(std::clamp(std::round(W(o, i) / static_cast<double>(s)), -127.0, 127.0)));
      const double bs = static_cast<double>(L.input_scale) * static_cast<double>(s);
      const double bq = std::round(b[o] / bs);
      L.bias_q.push_back(static_cast<int32_t>(std::clamp(bq, -2147483648.0, 2147483647.0)));
    }
    t.layers.push_back(std::move(L));
  }
  return t;
}

int8_t quantize_input(double x, float scale, int32_t zero_point) {
  const double q = std::round(x / static_cast<double>(scale)) + zero_point;
  return static_cast<int8_t>(std::clamp(q, -128.0, 127.0));
}

PreparedInt8 prepare_int8(const TfliteModel& m) {
  TW_CHECK(m.int8 && !m.layers.empty(), "prepare_int8 needs an int8 model");
  PreparedInt8 p;
  p.input_scale = m.layers.front().input_scale;
  p.input_zero_point = m.layers.front().input_zero_point;
  p.output_scale = m.layers.back().output_scale;
  p.output_zero_point = m.layers.back().output_zero_point;
  for (const FcLayer& L : m.layers) {
    PreparedLayer q;
    q.in = L.in;
    q.out = L.out;
    q.params.input_offset = -L.input_zero_point;
    q.params.output_offset = L.output_zero_point;
    q.params.activation_min = L.relu ? std::max(-128, L.output_zero_point) : -128;
    q.params.activation_max = 127;
    q.weights = L.weights_q;
    q.bias = L.bias_q;
    for (int o = 0; o < L.out; ++o) {
      int32_t mult = 0;
      int shift = 0;
      quantize_multiplier(static_cast<double>(L.input_scale) * static_cast<double>(L.weight_scale[o]) / static_cast<double>(L.output_scale),
                          &mult, &shift);
      q.multiplier.push_back(mult);
      q.shift.push_back(shift);
    }
    p.max_width = std::max({p.max_width, L.in, L.out});
    p.layers.push_back(std::move(q));
  }
  return p;
}

void run_int8(const PreparedInt8& p, const int8_t* input, int8_t* output, int8_t* scratch) {
  const int8_t* in = input;
  int8_t* buf[2] = {scratch, scratch + p.max_width};
  for (size_t l = 0; l < p.layers.size(); ++l) {
    const PreparedLayer& L = p.layers[l];
    int8_t* out = l + 1 == p.layers.size() ? output : buf[l % 2];
    fw::fully_connected_int8(L.params, L.in, L.out, in, L.weights.data(), L.bias.data(), L.multiplier.data(), L.shift.data(), out);
    in = out;
  }
}

TfliteActor::TfliteActor(const TfliteModel& model) : model_(model) {
  const std::string source = "tflite metadata";
  YAML::Node n;
  try {
    n = YAML::Load(model.meta.observation_yaml);
  } catch (const YAML::Exception& e) {
    throw InputError(source, "observation_yaml", std::string("not valid YAML: ") + e.what());
  }
  config::Reader r(n, source);
  spec_.visit(r);
  r.finish();
  spec_ = policy::resolve_observation(spec_, source);
  const int J = static_cast<int>(model.meta.joints.size());
  features_ = std::make_unique<policy::FeatureBuilder>(spec_, J);
  if (features_->dim() != model.inputs() || static_cast<int>(model.meta.feature_mean.size()) != model.inputs() ||
      static_cast<int>(model.meta.feature_std.size()) != model.inputs() || model.outputs() != J ||
      static_cast<int>(model.meta.action_offset.size()) != J || static_cast<int>(model.meta.action_scale.size()) != J)
    throw InputError(source, "", "the metadata's observation spec, normalisation or action mapping does not match the network");
  action_ = {model.meta.action_offset, model.meta.action_scale};
  x_.resize(model.inputs());
  y_.resize(J);
  if (model.int8) {
    prepared_ = prepare_int8(model);
    qin_.resize(model.inputs());
    qout_.resize(J);
    scratch_.resize(2 * prepared_.max_width);
  }
}

void TfliteActor::reset() { features_->reset(); }

void TfliteActor::network(const double* x, double* y) {
  if (model_.int8) {
    for (int i = 0; i < model_.inputs(); ++i) qin_[i] = quantize_input(x[i], prepared_.input_scale, prepared_.input_zero_point);
    run_int8(prepared_, qin_.data(), qout_.data(), scratch_.data());
    for (int j = 0; j < model_.outputs(); ++j)
      y[j] = static_cast<double>(prepared_.output_scale) * (static_cast<int>(qout_[j]) - prepared_.output_zero_point);
    return;
  }
  // Float32 weights, evaluated in double.
  a_.assign(x, x + model_.inputs());
  for (const FcLayer& L : model_.layers) {
    b_.assign(L.out, 0.0);
    for (int o = 0; o < L.out; ++o) {
      double z = L.bias_f[o];
      for (int i = 0; i < L.in; ++i) z += static_cast<double>(L.weights_f[o * L.in + i]) * a_[i];
      b_[o] = activate(z, L.relu);
    }
    a_.swap(b_);
  }
  std::copy(a_.begin(), a_.end(), y);
}

void TfliteActor::act(const policy::SignalFrame& frame, double* targets) {
  features_->push(frame);
  features_->features(x_.data());
  for (int i = 0; i < model_.inputs(); ++i) x_[i] = (x_[i] - model_.meta.feature_mean[i]) / model_.meta.feature_std[i];
  network(x_.data(), y_.data());
  action_.to_targets(y_.data(), targets);
}

ErrorReport compare(const policy::PolicyModel& fp, const TfliteModel& q, const Eigen::MatrixXd& X) {
  TfliteActor actor(q);
  const int J = fp.num_joints();
  ErrorReport r;
  r.samples = static_cast<int>(X.cols());
  std::vector<std::vector<double>> err(J);
  std::vector<double> yf(J), yq(J), tf(J), tq(J), ws(fp.mlp.workspace_size());
  for (Eigen::Index c = 0; c < X.cols(); ++c) {
    const Eigen::VectorXd x = X.col(c);
    fp.mlp.forward(x.data(), yf.data(), ws.data());
    actor.network(x.data(), yq.data());
    fp.action.to_targets(yf.data(), tf.data());
    fp.action.to_targets(yq.data(), tq.data());
    for (int j = 0; j < J; ++j) err[j].push_back(std::fabs(tf[j] - tq[j]) * kRadToDeg);
  }
  std::vector<double> all;
  for (int j = 0; j < J; ++j) {
    std::vector<double>& e = err[j];
    all.insert(all.end(), e.begin(), e.end());
    std::sort(e.begin(), e.end());
    double sum = 0;
    for (double v : e) sum += v;
    r.mean_deg.push_back(e.empty() ? 0 : sum / e.size());
    r.p99_deg.push_back(e.empty() ? 0 : e[std::min(e.size() - 1, static_cast<size_t>(std::ceil(0.99 * (e.size() - 1))))]);
    r.max_deg.push_back(e.empty() ? 0 : e.back());
  }
  std::sort(all.begin(), all.end());
  double sum = 0;
  for (double v : all) sum += v;
  if (!all.empty()) {
    r.mean_deg_all = sum / all.size();
    r.p99_deg_all = all[std::min(all.size() - 1, static_cast<size_t>(std::ceil(0.99 * (all.size() - 1))))];
    r.max_deg_all = all.back();
  }
  return r;
}

}  // namespace tinywalk::quant
