// Post-training quantization: the TFLite int8 rules, float vs int8 agreement,
// file round trips, and the float32 export.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "common/random.h"
#include "quantize/ptq.h"

using namespace tinywalk;
using namespace tinywalk::quant;

namespace {
// A small trained-looking policy: random weights, identity normalisation.
policy::PolicyModel toy_policy(uint64_t seed, std::vector<int> hidden = {16, 16}) {
  policy::PolicyModel m;
  m.robot = "toy";
  m.joints = {"a", "b", "c"};
  policy::ObservationSpec spec;
  spec.signals = {"imu_rpy", "gait_clock"};
  spec.history = {2, 1};
  m.observation = policy::resolve_observation(spec, "test");
  policy::MlpSpec s;
  s.inputs = policy::feature_dim(m.observation, 3);
  s.hidden = hidden;
  s.outputs = 3;
  m.mlp = policy::Mlp(s);
  m.mlp.init(seed);
  m.normalizer.mean = Eigen::VectorXd::Zero(s.inputs);
  m.normalizer.std = Eigen::VectorXd::Ones(s.inputs);
  m.action = {{0.5, 0.5, 0.5}, {0.8, 0.8, 0.8}};
  return m;
}

Eigen::MatrixXd normal_features(int rows, int cols, uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd X(rows, cols);
  for (int c = 0; c < cols; ++c)
    for (int r = 0; r < rows; ++r) X(r, c) = rng.normal();
  return X;
}
}  // namespace

TEST(Ptq, FollowsTheTfliteInt8Rules) {
  const policy::PolicyModel p = toy_policy(1);
  const TfliteModel q = quantize(p, normal_features(p.mlp.sizes()[0], 400, 2), CalibrationParams{}, metadata_for(p));
  ASSERT_TRUE(q.int8);
  ASSERT_EQ(q.layers.size(), 3u);
  for (size_t l = 0; l < q.layers.size(); ++l) {
    const FcLayer& L = q.layers[l];
    const auto W = p.mlp.weight(static_cast<int>(l));
    for (int o = 0; o < L.out; ++o) {
      // Symmetric per channel: the largest weight maps to +-127.
      EXPECT_FLOAT_EQ(L.weight_scale[o], static_cast<float>(W.row(o).cwiseAbs().maxCoeff() / 127.0));
      int maxq = 0;
      for (int i = 0; i < L.in; ++i) maxq = std::max(maxq, std::abs(static_cast<int>(L.weights_q[o * L.in + i])));
      EXPECT_EQ(maxq, 127);
      // Bias at input_scale * weight_scale.
      const double bs = static_cast<double>(L.input_scale) * L.weight_scale[o];
      EXPECT_NEAR(L.bias_q[o] * bs, p.mlp.bias(static_cast<int>(l))[o], 0.5 * bs + 1e-12);
    }
    if (l > 0) {
      EXPECT_EQ(L.input_scale, q.layers[l - 1].output_scale);
      EXPECT_EQ(L.input_zero_point, q.layers[l - 1].output_zero_point);
    }
    if (L.relu) {
      EXPECT_EQ(L.output_zero_point, -128);  // ReLU outputs start at 0
    }
  }
  // The output covers exactly the action clamp range [-1, 1].
  EXPECT_FLOAT_EQ(q.layers.back().output_scale, static_cast<float>(2.0 / 255.0));
}

TEST(Ptq, Int8TracksTheFloatNetworkWithinAFewOutputSteps) {
  const policy::PolicyModel p = toy_policy(3);
  const Eigen::MatrixXd cal = normal_features(p.mlp.sizes()[0], 500, 4), test = normal_features(p.mlp.sizes()[0], 500, 5);
  const TfliteModel q = quantize(p, cal, CalibrationParams{}, metadata_for(p));
  const ErrorReport e = compare(p, q, test);
  EXPECT_EQ(e.samples, 500);
  // One output step is 0.8 rad * 2/255 = 0.36 deg; the whole chain stays within a few.
  EXPECT_LT(e.p99_deg_all, 4 * 0.36);
  EXPECT_GT(e.max_deg_all, 0.0);  // it is quantized, not a copy
}

TEST(Ptq, WriteReadRunIsBitIdentical) {
  const policy::PolicyModel p = toy_policy(6);
  const TfliteModel q = quantize(p, normal_features(p.mlp.sizes()[0], 300, 7), CalibrationParams{}, metadata_for(p));
  const TfliteModel back = read_tflite(write_tflite(q), "memory");
  TfliteActor a(q), b(back);
  const Eigen::MatrixXd X = normal_features(p.mlp.sizes()[0], 200, 8);
  std::vector<double> ya(3), yb(3);
  for (Eigen::Index c = 0; c < X.cols(); ++c) {
    const Eigen::VectorXd x = X.col(c);
    a.network(x.data(), ya.data());
    b.network(x.data(), yb.data());
    for (int j = 0; j < 3; ++j) ASSERT_EQ(ya[j], yb[j]);
  }
}

TEST(Ptq, Float32TfliteMatchesTheFloatMlp) {
  const policy::PolicyModel p = toy_policy(9);
  const TfliteModel f = read_tflite(write_tflite(float_model(p, metadata_for(p))), "memory");
  EXPECT_FALSE(f.int8);
  TfliteActor a(f);
  const Eigen::MatrixXd X = normal_features(p.mlp.sizes()[0], 200, 10);
  std::vector<double> y(3), yf(3), ws(p.mlp.workspace_size());
  double worst = 0;
  for (Eigen::Index c = 0; c < X.cols(); ++c) {
    const Eigen::VectorXd x = X.col(c);
    a.network(x.data(), y.data());
    p.mlp.forward(x.data(), yf.data(), ws.data());
    for (int j = 0; j < 3; ++j) worst = std::max(worst, std::fabs(y[j] - yf[j]));
  }
  EXPECT_LT(worst, 1e-6);
}

TEST(Ptq, PercentileCalibrationIgnoresRareOutliers) {
  const policy::PolicyModel p = toy_policy(11);
  Eigen::MatrixXd cal = normal_features(p.mlp.sizes()[0], 2000, 12);
  cal(0, 5) = 80;  // one wild sample
  CalibrationParams mm, pc;
  pc.method = "percentile";
  pc.percentile = 99.9;
  const TfliteModel a = quantize(p, cal, mm, metadata_for(p)), b = quantize(p, cal, pc, metadata_for(p));
  EXPECT_LT(b.layers[0].input_scale, 0.5 * a.layers[0].input_scale);
}

TEST(Ptq, TanhLayersAreRefusedForExport) {
  policy::PolicyModel p = toy_policy(13);
  policy::MlpSpec s = p.mlp.spec();
  s.hidden_activation = "tanh";
  p.mlp = policy::Mlp(s);
  EXPECT_THROW(float_model(p, metadata_for(p)), InputError);
}
