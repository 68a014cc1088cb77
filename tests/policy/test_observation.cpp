#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>

#include "common/error.h"
#include "common/yaml_config.h"
#include "policy/observation.h"
#include "tests/alloc_counter.h"
#include "tests/test_util.h"

using namespace tinywalk;
using namespace tinywalk::policy;
using tinywalk::test::error_of;



namespace {

constexpr int kJ = 8;  // Bittle

ObservationSpec preset(const std::string& name, bool deployable = true) {
  ObservationSpec s;
  s.preset = name;
  s.deployable = deployable;
  return s;
}

ObservationSpec explicit_spec(std::vector<std::string> signals, std::vector<int> history, bool deployable = true) {
  ObservationSpec s;
  s.signals = std::move(signals);
  s.history = std::move(history);
  s.deployable = deployable;
  return s;
}

// A frame whose every value encodes the signal, the step and the index.
SignalFrame frame_at(double step, int J = kJ) {
  SignalFrame f;
  f["imu_rpy"] = {step + 0.1, step + 0.2, step + 0.3};
  f["imu_gyro"] = {step + 0.4, step + 0.5, step + 0.6};
  f["imu_accel"] = {step + 0.7, step + 0.8, step + 0.9};
  f["gait_clock"] = {-step, step};
  f["last_action"].resize(J);
  for (int j = 0; j < J; ++j) f["last_action"][j] = 10 * step + j;
  return f;
}

}  // namespace

// --- specs -------------------------------------------------------------------

TEST(ObservationSpec, PresetDimsForBittle) {
  EXPECT_EQ(feature_dim(resolve_observation(preset("paper42"), "f.yaml"), kJ), 42);
  EXPECT_EQ(feature_dim(resolve_observation(preset("paper120", false), "f.yaml"), kJ), 120);
  EXPECT_EQ(feature_dim(resolve_observation(preset("mcu"), "f.yaml"), kJ), 2 * 3 + 3 + 2 * 8 + 2);
  const ObservationSpec mcu = resolve_observation(preset("mcu"), "f.yaml");
  EXPECT_EQ(mcu.signals, (std::vector<std::string>{"imu_rpy", "imu_gyro", "last_action", "gait_clock"}));
  EXPECT_EQ(mcu.history, (std::vector<int>{2, 1, 2, 1}));
  EXPECT_TRUE(mcu.preset.empty());  // resolved specs are explicit
}

TEST(ObservationSpec, SignalDimsAndPrivilege) {
  EXPECT_EQ(signal_dim("imu_rpy", kJ), 3);
  EXPECT_EQ(signal_dim("imu_roll_pitch", kJ), 2);
  EXPECT_EQ(signal_dim("imu_roll_pitch_rate", kJ), 2);
  EXPECT_EQ(signal_dim("last_action", 12), 12);
  EXPECT_EQ(signal_dim("foot_contact", kJ), 4);
  EXPECT_EQ(signal_dim("reference_future", kJ), 4 * (3 + 4 + 8));
  for (const char* s : {"q", "qd", "base_linear_velocity", "base_angular_velocity", "foot_contact", "reference_future"})
    EXPECT_TRUE(is_privileged(s)) << s;
  for (const char* s : {"imu_rpy", "imu_roll_pitch", "imu_gyro", "imu_roll_pitch_rate", "imu_accel", "last_action", "gait_clock"})
    EXPECT_FALSE(is_privileged(s)) << s;
  const std::string err = error_of([] { signal_dim("joint_torque", kJ); });
  EXPECT_HAS(err, "joint_torque");
  EXPECT_HAS(err, "imu_roll_pitch_rate");  // lists the known names
}

TEST(ObservationSpec, Paper120IsRefusedWhenDeployable) {
  const std::string err = error_of([] { resolve_observation(preset("paper120"), "train.yaml"); });
  EXPECT_HAS(err, "train.yaml");
  EXPECT_HAS(err, "observation.preset");
  EXPECT_HAS(err, "'q'");
  EXPECT_HAS(err, "encoders");
}

TEST(ObservationSpec, ExplicitSpecErrors) {
  std::string err = error_of([] { resolve_observation(explicit_spec({"imu_rpy", "qd"}, {2, 1}), "t.yaml"); });
  EXPECT_HAS(err, "t.yaml");
  EXPECT_HAS(err, "observation.signals[1]");
  EXPECT_HAS(err, "'qd' is privileged");
  EXPECT_HAS(err, "no encoders");
  for (const char* s : {"base_linear_velocity", "foot_contact", "reference_future"}) {
    err = error_of([&] { resolve_observation(explicit_spec({s}, {1}), "t.yaml"); });
    EXPECT_HAS(err, "observation.signals[0]");
    EXPECT_HAS(err, "not measurable on the robot");
  }
  // The same signals are fine when the spec is not deployable.
  EXPECT_EQ(feature_dim(resolve_observation(explicit_spec({"imu_rpy", "qd"}, {2, 1}, false), "t.yaml"), kJ), 14);

  err = error_of([] { resolve_observation(explicit_spec({"imu_rpy", "imu_yaw"}, {1, 1}), "t.yaml"); });
  EXPECT_HAS(err, "observation.signals[1]");
  EXPECT_HAS(err, "unknown signal 'imu_yaw'");
  EXPECT_HAS(err, "gait_clock");

  err = error_of([] { resolve_observation(explicit_spec({"imu_rpy", "imu_gyro"}, {1}), "t.yaml"); });
  EXPECT_HAS(err, "observation.history");
  EXPECT_HAS(err, "1 entries but signals has 2");

  err = error_of([] { resolve_observation(explicit_spec({"imu_rpy"}, {0}), "t.yaml"); });
  EXPECT_HAS(err, "observation.history[0]");

  err = error_of([] { resolve_observation(preset("paper84"), "t.yaml"); });
  EXPECT_HAS(err, "observation.preset");
  EXPECT_HAS(err, "unknown preset 'paper84'");
  EXPECT_HAS(err, "mcu");

  err = error_of([] {
    ObservationSpec s = explicit_spec({"imu_rpy"}, {1});
    s.preset = "mcu";
    resolve_observation(s, "t.yaml");
  });
  EXPECT_HAS(err, "observation.preset");
  EXPECT_HAS(err, "either a preset or an explicit list");

  err = error_of([] { resolve_observation(ObservationSpec{}, "t.yaml"); });
  EXPECT_HAS(err, "t.yaml: observation");
  EXPECT_HAS(err, "empty");
}

// A resolved spec is stored as YAML in checkpoints and resolved again on load.
TEST(ObservationSpec, ResolvedSpecRoundTripsThroughYaml) {
  for (const auto& p : {preset("paper42"), preset("paper120", false), preset("mcu")}) {
    const ObservationSpec r = resolve_observation(p, "t.yaml");
    ObservationSpec back;
    config::Reader reader(YAML::Load(config::to_yaml(r)), "stored");
    back.visit(reader);
    reader.finish();
    const ObservationSpec again = resolve_observation(back, "stored");
    EXPECT_EQ(again.signals, r.signals);
    EXPECT_EQ(again.history, r.history);
    EXPECT_EQ(again.deployable, r.deployable);
  }
}

TEST(ObservationSpec, ConfigFilesMatchPresets) {
  const std::string dir = std::string(TINYWALK_SOURCE_DIR) + "/configs/observation/";
  for (const auto& [name, deployable, dim] : {std::tuple{"paper42", true, 42}, {"paper120", false, 120}, {"mcu", true, 27}}) {
    const std::string path = dir + name + ".yaml";
    const ObservationSpec file = resolve_observation(config::read_file<ObservationSpec>(path), path);
    const ObservationSpec pre = resolve_observation(preset(name, deployable), "preset");
    EXPECT_EQ(file.signals, pre.signals) << name;
    EXPECT_EQ(file.history, pre.history) << name;
    EXPECT_EQ(file.deployable, deployable) << name;
    EXPECT_EQ(feature_dim(file, kJ), dim) << name;
  }
}

// --- FeatureBuilder ------------------------------------------------------------

TEST(FeatureBuilder, HistoryIsNewestFirstAndFirstFrameFills) {
  const int J = 2;
  FeatureBuilder fb(resolve_observation(explicit_spec({"gait_clock", "last_action"}, {3, 2}), "t"), J);
  ASSERT_EQ(fb.dim(), 2 * 3 + 2 * 2);
  std::vector<double> x(fb.dim());

  fb.push(frame_at(1, J));  // fills every slot
  fb.features(x.data());
  EXPECT_EQ(x, (std::vector<double>{-1, 1, -1, 1, -1, 1, 10, 11, 10, 11}));

  fb.push(frame_at(2, J));
  fb.features(x.data());
  EXPECT_EQ(x, (std::vector<double>{-2, 2, -1, 1, -1, 1, 20, 21, 10, 11}));

  fb.push(frame_at(3, J));
  fb.push(frame_at(4, J));
  fb.features(x.data());
  EXPECT_EQ(x, (std::vector<double>{-4, 4, -3, 3, -2, 2, 40, 41, 30, 31}));

  fb.reset();  // a new episode forgets the old frames
  fb.push(frame_at(7, J));
  fb.features(x.data());
  EXPECT_EQ(x, (std::vector<double>{-7, 7, -7, 7, -7, 7, 70, 71, 70, 71}));
}

TEST(FeatureBuilder, DerivedSignalsComeFromImu) {
  FeatureBuilder fb(resolve_observation(explicit_spec({"imu_roll_pitch", "imu_roll_pitch_rate", "imu_accel"}, {2, 1, 1}), "t"), kJ);
  ASSERT_EQ(fb.dim(), 2 * 2 + 2 + 3);
  std::vector<double> x(fb.dim());
  SignalFrame f;  // only the base signals the spec needs
  f["imu_rpy"] = {0.1, -0.2, 3.0};
  f["imu_gyro"] = {1.5, -2.5, 9.0};
  f["imu_accel"] = {0.0, 0.5, 9.8};
  fb.push(f);
  f["imu_rpy"] = {0.3, -0.4, 3.1};
  fb.push(f);
  fb.features(x.data());
  EXPECT_EQ(x, (std::vector<double>{0.3, -0.4, 0.1, -0.2, 1.5, -2.5, 0.0, 0.5, 9.8}));
}

TEST(FeatureBuilder, MissingOrWrongSizeSignalIsAnError) {
  FeatureBuilder fb(resolve_observation(preset("mcu"), "t"), kJ);
  SignalFrame f = frame_at(1);
  f.erase("imu_gyro");
  std::string err = error_of([&] { fb.push(f); });
  EXPECT_HAS(err, "imu_gyro");
  EXPECT_HAS(err, "missing");
  EXPECT_HAS(err, "3 values");

  f = frame_at(1);
  f["last_action"].resize(6);
  err = error_of([&] { fb.push(f); });
  EXPECT_HAS(err, "last_action");
  EXPECT_HAS(err, "has 6 values; expected 8");

  FeatureBuilder derived(resolve_observation(explicit_spec({"imu_roll_pitch_rate"}, {1}), "t"), kJ);
  f = frame_at(1);
  f.erase("imu_gyro");
  err = error_of([&] { derived.push(f); });
  EXPECT_HAS(err, "imu_gyro");
  EXPECT_HAS(err, "imu_roll_pitch_rate");
}

TEST(FeatureBuilder, FeaturesDoNotAllocate) {
  FeatureBuilder fb(resolve_observation(preset("mcu"), "t"), kJ);
  std::vector<double> x(fb.dim());
  const SignalFrame f1 = frame_at(1), f2 = frame_at(2);
  fb.push(f1);
  fb.push(f2);
  // The counter itself works.
  test::start_counting_allocations();
  std::vector<double>* probe = new std::vector<double>(3);
  const long probe_allocs = test::stop_counting_allocations();
  delete probe;
  ASSERT_GE(probe_allocs, 1);

  test::start_counting_allocations();
  for (int i = 0; i < 100; ++i) fb.features(x.data());
  EXPECT_EQ(test::stop_counting_allocations(), 0);
  EXPECT_EQ(x[0], 2.1);  // newest imu_rpy first
  EXPECT_EQ(x[3], 1.1);
}

// --- actions and normalisation --------------------------------------------------

TEST(ActionSpec, RoundTripAndClamp) {
  const ActionSpec a{{0.1, -0.2, 0.0}, {0.5, 2.0, 0.8}};
  const double targets[3] = {0.3, -1.0, 0.4};
  double y[3], back[3];
  a.to_output(targets, y);
  EXPECT_DOUBLE_EQ(y[0], 0.4);
  EXPECT_DOUBLE_EQ(y[1], -0.4);
  EXPECT_DOUBLE_EQ(y[2], 0.5);
  a.to_targets(y, back);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(back[j], targets[j], 1e-12);

  const double big[3] = {5.0, -3.0, 0.25};
  a.to_targets(big, back);
  EXPECT_DOUBLE_EQ(back[0], 0.6);   // offset + scale
  EXPECT_DOUBLE_EQ(back[1], -2.2);  // offset - scale
  EXPECT_DOUBLE_EQ(back[2], 0.2);

  const double far[3] = {1.1, -0.2, -2.4};  // beyond the bound: to_output does not clamp
  a.to_output(far, y);
  EXPECT_DOUBLE_EQ(y[0], 2.0);
  EXPECT_DOUBLE_EQ(y[2], -3.0);
}

TEST(Normalizer, FitGivesZeroMeanUnitStd) {
  Eigen::MatrixXd X(4, 500);
  for (int c = 0; c < X.cols(); ++c) {
    X(0, c) = 3.0 + 0.01 * c;
    X(1, c) = 1e4 * std::sin(0.37 * c);
    X(2, c) = 7.5;  // constant
    X(3, c) = (c % 7) - 100.0;
  }
  Normalizer n;
  n.fit(X);
  EXPECT_NEAR(n.mean[0], 3.0 + 0.01 * 249.5, 1e-9);
  EXPECT_DOUBLE_EQ(n.mean[2], 7.5);
  EXPECT_DOUBLE_EQ(n.std[2], 1e-6);  // floored
  // Population std of 0, 1, ..., 499 times 0.01.
  EXPECT_NEAR(n.std[0], 0.01 * std::sqrt((500.0 * 500.0 - 1) / 12.0), 1e-9);

  Eigen::MatrixXd Z = X;
  n.apply(Z);
  for (int r = 0; r < 4; ++r) {
    const double mean = Z.row(r).mean();
    const double sd = std::sqrt((Z.row(r).array() - mean).square().mean());
    EXPECT_NEAR(mean, 0.0, 1e-9) << r;
    if (r == 2) {
      EXPECT_EQ(Z.row(r).cwiseAbs().maxCoeff(), 0.0);
    } else {
      EXPECT_NEAR(sd, 1.0, 1e-9) << r;
    }
  }
  // The pointer form agrees with the matrix form, and the mapping inverts.
  Eigen::VectorXd x = X.col(17);
  n.apply(x.data());
  EXPECT_TRUE(x.isApprox(Z.col(17)));
  EXPECT_TRUE((x.array() * n.std.array() + n.mean.array()).matrix().isApprox(X.col(17)));
}

// --- training sets ----------------------------------------------------------------

namespace {

// Value of signal `id` at (episode k, step t, index i): distinct everywhere.
double val(int id, int k, int t, int i) { return 1000.0 * id + 100.0 * k + 10.0 * t + i; }

data::Signal sig(int id, int k, int T, int dim) {
  data::Signal s;
  s.dim = dim;
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < dim; ++i) s.values.push_back(val(id, k, t, i));
  return s;
}

enum { kRpy = 1, kGyro, kLast, kQ, kRefPos, kRefRot, kRefQ, kActions };

// Two episodes (4 and 3 steps) of a 2-joint robot.
data::Dataset synthetic() {
  data::Dataset d;
  const int J = 2;
  for (int k = 0; k < 2; ++k) {
    const int T = k == 0 ? 4 : 3;
    data::EpisodeData e;
    e.obs["imu_rpy"] = sig(kRpy, k, T, 3);
    e.obs["imu_gyro"] = sig(kGyro, k, T, 3);
    e.obs["last_action"] = sig(kLast, k, T, J);
    e.privileged["q"] = sig(kQ, k, T, J);
    e.reference["root_position"] = sig(kRefPos, k, T, 3);
    e.reference["root_orientation"] = sig(kRefRot, k, T, 4);
    e.reference["q"] = sig(kRefQ, k, T, J);
    e.actions = sig(kActions, k, T, J);
    for (int t = 0; t < T; ++t) {
      e.rewards.push_back(0);
      e.dones.push_back(t + 1 == T);
    }
    d.episodes.push_back(std::move(e));
  }
  return d;
}

}  // namespace

TEST(TrainingSet, ExactColumnsWithResetsAndClamping) {
  const data::Dataset d = synthetic();
  const ObservationSpec spec =
      resolve_observation(explicit_spec({"imu_roll_pitch", "q", "reference_future", "last_action"}, {2, 1, 1, 1}, false), "t");
  const ActionSpec act{{0.5, -1.0}, {2.0, 4.0}};
  const TrainingSet ts = build_training_set(d, spec, act, "data.h5");
  ASSERT_EQ(ts.X.rows(), 2 * 2 + 2 + 4 * (3 + 4 + 2) + 2);
  ASSERT_EQ(ts.X.cols(), 7);
  ASSERT_EQ(ts.Y.rows(), 2);
  ASSERT_EQ(ts.Y.cols(), 7);
  EXPECT_EQ(ts.episode, (std::vector<int>{0, 0, 0, 0, 1, 1, 1}));

  int col = 0;
  for (int k = 0; k < 2; ++k) {
    const int T = k == 0 ? 4 : 3;
    for (int t = 0; t < T; ++t, ++col) {
      std::vector<double> want;
      for (int h : {t, std::max(t - 1, 0)})  // newest first; step 0 fills (no leak from episode 0)
        for (int i = 0; i < 2; ++i) want.push_back(val(kRpy, k, h, i));
      for (int i = 0; i < 2; ++i) want.push_back(val(kQ, k, t, i));
      for (int off : {1, 2, 10, 30}) {
        const int s = std::min(t + off, T - 1);
        for (int i = 0; i < 3; ++i) want.push_back(val(kRefPos, k, s, i));
        for (int i = 0; i < 4; ++i) want.push_back(val(kRefRot, k, s, i));
        for (int i = 0; i < 2; ++i) want.push_back(val(kRefQ, k, s, i));
      }
      for (int i = 0; i < 2; ++i) want.push_back(val(kLast, k, t, i));
      const Eigen::VectorXd x = ts.X.col(col);
      EXPECT_EQ(std::vector<double>(x.data(), x.data() + x.size()), want) << "episode " << k << " step " << t;
      EXPECT_DOUBLE_EQ(ts.Y(0, col), (val(kActions, k, t, 0) - 0.5) / 2.0);
      EXPECT_DOUBLE_EQ(ts.Y(1, col), (val(kActions, k, t, 1) + 1.0) / 4.0);
    }
  }
  // Spot checks written out: episode 1 step 0 repeats its own first roll/pitch,
  // and its reference 10 steps ahead clamps to its last step (t = 2).
  EXPECT_EQ(ts.X(2, 4), 1100.0);
  EXPECT_EQ(ts.X(3, 4), 1101.0);
  EXPECT_EQ(ts.X(6 + 9 * 2, 4), 5120.0);
  // Episode 0 step 1: reference 1 step ahead is step 2, 2 steps ahead step 3.
  EXPECT_EQ(ts.X(6, 1), 5020.0);
  EXPECT_EQ(ts.X(6 + 9, 1), 5030.0);
}

TEST(TrainingSet, MissingSignalNamesEpisodeAndSignal) {
  const ObservationSpec mcu_like = resolve_observation(explicit_spec({"imu_roll_pitch_rate", "last_action"}, {1, 2}), "t");
  const ActionSpec act{{0, 0}, {1, 1}};
  data::Dataset d = synthetic();
  EXPECT_EQ(build_training_set(d, mcu_like, act, "data.h5").X.cols(), 7);
  d.episodes[1].obs.erase("imu_gyro");
  std::string err = error_of([&] { build_training_set(d, mcu_like, act, "data.h5"); });
  EXPECT_HAS(err, "data.h5");
  EXPECT_HAS(err, "demo_1");
  EXPECT_HAS(err, "imu_gyro");

  // A deployable signal is never read from privileged/.
  d = synthetic();
  d.episodes[0].privileged["gait_clock"] = sig(9, 0, 4, 2);
  err = error_of([&] { build_training_set(d, resolve_observation(preset("mcu"), "t"), act, "data.h5"); });
  EXPECT_HAS(err, "demo_0/obs/gait_clock");

  d = synthetic();
  d.episodes[1].reference.erase("root_orientation");
  err = error_of([&] {
    build_training_set(d, resolve_observation(explicit_spec({"reference_future"}, {1}, false), "t"), act, "data.h5");
  });
  EXPECT_HAS(err, "demo_1");
  EXPECT_HAS(err, "root_orientation");
  EXPECT_HAS(err, "reference_future");

  d = synthetic();
  d.episodes[0].obs["last_action"] = sig(kLast, 0, 4, 3);
  err = error_of([&] { build_training_set(d, mcu_like, act, "data.h5"); });
  EXPECT_HAS(err, "demo_0/obs/last_action");
  EXPECT_HAS(err, "expected 2");

  // Actions of another robot.
  err = error_of([&] { build_training_set(synthetic(), mcu_like, ActionSpec{{0, 0, 0}, {1, 1, 1}}, "data.h5"); });
  EXPECT_HAS(err, "demo_0/actions");
}
