// The firmware core against the host side: the in-place .tflite loader runs
// the same network as the quantizer's reference, the folded observation
// builder reproduces the trainer's features, and the firmware drives the
// simulated robot with integer degrees.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "common/random.h"
#include "pipeline/firmware_config.h"
#include "pipeline/firmware_loop.h"
#include "quantize/ptq.h"
#include "robot_fw/controller_config.h"
#include "sim/robot_config.h"

using namespace tinywalk;

namespace {

const sim::Robot& bittle() {
  static const sim::Robot r = sim::load_robot(sim::default_robot_path());
  return r;
}

// A Bittle policy with the project's default observation (mcu preset), random weights and a
// non-trivial normalisation.
quant::TfliteModel toy_int8(uint64_t seed) {
  policy::PolicyModel m;
  m.robot = "bittle";
  m.joints = bittle().config.joints;
  policy::ObservationSpec spec;
  spec.preset = "mcu";
  m.observation = policy::resolve_observation(spec, "test");
  policy::MlpSpec s;
  s.inputs = policy::feature_dim(m.observation, 8);
  s.hidden = {32, 32};
  s.outputs = 8;
  m.mlp = policy::Mlp(s);
  m.mlp.init(seed);
  Rng rng(seed + 1);
  m.normalizer.mean = Eigen::VectorXd(s.inputs);
  m.normalizer.std = Eigen::VectorXd(s.inputs);
  for (int i = 0; i < s.inputs; ++i) {
    m.normalizer.mean[i] = 0.1 * rng.normal();
    m.normalizer.std[i] = 0.05 + 0.5 * rng.uniform();
  }
  m.action = {bittle().config.standing_pose, std::vector<double>(8, 0.8)};
  Eigen::MatrixXd X(s.inputs, 300);
  for (int c = 0; c < X.cols(); ++c)
    for (int r = 0; r < X.rows(); ++r) X(r, c) = rng.normal();
  return quant::quantize(m, X, quant::CalibrationParams{}, quant::metadata_for(m));
}

struct Loaded {
  std::vector<std::max_align_t> storage;
  size_t size = 0;
  fw::NetworkView net{};
  fw::ControllerConfig cfg{};
  fw::TfliteBlob blob{};
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(storage.data()); }
};
void load(const std::string& bytes, Loaded& l) {
  l.storage.assign((bytes.size() + 15) / 16, std::max_align_t{});
  std::memcpy(l.storage.data(), bytes.data(), bytes.size());
  l.size = bytes.size();
}

}  // namespace

TEST(FirmwareLoader, RunsTheSameNetworkAsTheQuantizerBitForBit) {
  quant::TfliteModel q = toy_int8(3);
  const fw::ControllerConfig cfg = pipeline::firmware_config(q, bittle(), pipeline::FirmwareSettings{});
  q.meta.firmware_blob = pipeline::firmware_blob(q, cfg);
  Loaded l;
  load(quant::write_tflite(q), l);
  ASSERT_EQ(fw::tflite_load(l.bytes(), l.size, l.net, l.blob), fw::NetStatus::kOk);
  ASSERT_EQ(fw::controller_config_read(l.blob.data, l.blob.size, l.cfg), fw::BlobStatus::kOk);
  EXPECT_EQ(fw::controller_config_check(l.cfg, l.net), fw::BlobStatus::kOk);
  EXPECT_EQ(l.net.num_layers, 3);
  EXPECT_EQ(l.net.inputs(), 27);
  // The weights are used in place, not copied.
  EXPECT_GE(reinterpret_cast<const uint8_t*>(l.net.layers[0].weights), l.bytes());
  EXPECT_LT(reinterpret_cast<const uint8_t*>(l.net.layers[0].weights), l.bytes() + l.size);
  const quant::PreparedInt8 ref = quant::prepare_int8(q);
  Rng rng(5);
  std::vector<int8_t> in(27), a(8), b(8), scratch(2 * ref.max_width), fs(fw::network_scratch_bytes(l.net));
  for (int t = 0; t < 500; ++t) {
    for (auto& v : in) v = static_cast<int8_t>(static_cast<int>(rng.uniform() * 256) - 128);
    quant::run_int8(ref, in.data(), a.data(), scratch.data());
    ASSERT_EQ(fw::network_run(l.net, in.data(), b.data(), fs.data(), fs.size()), fw::NetStatus::kOk);
    ASSERT_EQ(a, b) << "input " << t;
  }
}

TEST(FirmwareLoader, AnyTruncationOrCorruptionGivesAStatusNotACrash) {
  quant::TfliteModel q = toy_int8(4);
  q.meta.firmware_blob = pipeline::firmware_blob(q, pipeline::firmware_config(q, bittle(), pipeline::FirmwareSettings{}));
  const std::string bytes = quant::write_tflite(q);
  Loaded l;
  // A truncated file fails, or (when only bytes the firmware never reads are cut, such as
  // names and the host metadata) loads with every array inside the bytes that remain.
  int truncated_rejects = 0;
  for (size_t n = 0; n < bytes.size(); n += 7) {
    load(bytes.substr(0, n), l);
    if (fw::tflite_load(l.bytes(), n, l.net, l.blob) != fw::NetStatus::kOk) {
      ++truncated_rejects;
      continue;
    }
    auto inside = [&](const void* p, size_t len) {
      const uint8_t* b = static_cast<const uint8_t*>(p);
      return b >= l.bytes() && b + len <= l.bytes() + n;
    };
    for (int k = 0; k < l.net.num_layers; ++k) {
      const fw::LayerView& L = l.net.layers[k];
      EXPECT_TRUE(inside(L.weights, static_cast<size_t>(L.in) * L.out)) << n;
      EXPECT_TRUE(inside(L.bias, 4u * L.out)) << n;
      EXPECT_TRUE(inside(L.multiplier, 4u * L.out) && inside(L.shift, 4u * L.out)) << n;
    }
  }
  EXPECT_GT(truncated_rejects, static_cast<int>(bytes.size() / 7 / 2));
  Rng rng(9);
  int rejected = 0;
  for (int t = 0; t < 3000; ++t) {
    std::string bad = bytes;
    for (int k = 0; k < 3; ++k) bad[static_cast<size_t>(rng.uniform() * bad.size()) % bad.size()] = static_cast<char>(rng.uniform() * 256);
    load(bad, l);
    const fw::NetStatus st = fw::tflite_load(l.bytes(), l.size, l.net, l.blob);
    if (st != fw::NetStatus::kOk) {
      ++rejected;
      continue;
    }
    // Whatever loads must be runnable within its own bounds.
    std::vector<int8_t> in(l.net.inputs()), out(l.net.outputs()), s(fw::network_scratch_bytes(l.net));
    EXPECT_EQ(fw::network_run(l.net, in.data(), out.data(), s.data(), s.size()), fw::NetStatus::kOk);
  }
  EXPECT_GT(rejected, 0);
  load(bytes, l);
  EXPECT_EQ(fw::tflite_load(l.bytes() + 1, l.size - 1, l.net, l.blob), fw::NetStatus::kMisaligned);
  // A model without the firmware blob is refused with its own status.
  quant::TfliteModel plain = toy_int8(4);
  load(quant::write_tflite(plain), l);
  EXPECT_EQ(fw::tflite_load(l.bytes(), l.size, l.net, l.blob), fw::NetStatus::kBadMetadata);
}

TEST(FirmwareObservation, FoldedFeaturesMatchTheTrainersQuantizedFeatures) {
  const quant::TfliteModel q = toy_int8(6);
  const fw::ControllerConfig cfg = pipeline::firmware_config(q, bittle(), pipeline::FirmwareSettings{});
  policy::ObservationSpec spec;
  spec.preset = "mcu";
  spec = policy::resolve_observation(spec, "test");
  policy::FeatureBuilder fb(spec, 8);
  fw::ObservationState st{};
  fw::observation_reset(st);
  Rng rng(7);
  const quant::FcLayer& L0 = q.layers.front();
  int equal = 0, total = 0, worst = 0;
  for (int k = 0; k < 200; ++k) {
    // A frame in the firmware's units, and the same values in SI for the trainer's builder.
    fw::SensorFrame f{};
    int32_t act[8];
    std::vector<double> rpy(3), gyro(3), accel(3), last(8);
    for (int i = 0; i < 3; ++i) {
      f.rpy[i] = static_cast<int32_t>(std::lround(0.3 * rng.normal() * 10000));
      f.gyro[i] = static_cast<int32_t>(std::lround(rng.normal() * 1000));
      rpy[i] = f.rpy[i] / 10000.0;
      gyro[i] = f.gyro[i] / 1000.0;
    }
    for (int j = 0; j < 8; ++j) {
      act[j] = static_cast<int32_t>(std::lround((0.52 + 0.4 * rng.normal()) * 18000 / M_PI));
      last[j] = act[j] * M_PI / 18000;
    }
    const double phase = std::fmod(k * 0.033 * 2.5, 1.0);
    int8_t qf[27];
    ASSERT_EQ(fw::observation_build(cfg.obs, st, f, act, qf), fw::ObsStatus::kOk);
    fb.push({{"imu_rpy", rpy}, {"imu_gyro", gyro}, {"imu_accel", accel}, {"last_action", last},
             {"gait_clock", {std::sin(2 * M_PI * phase), std::cos(2 * M_PI * phase)}}});
    std::vector<double> x(27);
    fb.features(x.data());
    for (int i = 0; i < 27; ++i) {
      const double n = (x[i] - q.meta.feature_mean[i]) / q.meta.feature_std[i];
      const int want = quant::quantize_input(n, L0.input_scale, L0.input_zero_point);
      const int d = std::abs(want - qf[i]);
      worst = std::max(worst, d);
      equal += d == 0;
      ++total;
    }
  }
  EXPECT_LE(worst, 1);                 // at most a rounding tie apart
  EXPECT_GE(equal, total * 99 / 100);  // and nearly always identical
}

TEST(FirmwareInTheLoop, DrivesTheSimulatorWithIntegerDegrees) {
  auto q = std::make_shared<quant::TfliteModel>(toy_int8(8));
  sim::CollectSetup setup = sim::load_collect(std::string(TINYWALK_SOURCE_DIR) + "/configs/collect/bittle_trot.yaml");
  setup.config.episode_seconds = 1.0;
  pipeline::FirmwareCounters counters;
  auto make = pipeline::firmware_driver(q, setup, true, &counters);
  auto driver = make();
  driver->reset(1);
  sim::Observation obs;
  obs.imu.rpy = {0.01, -0.02, 0};
  obs.imu.accel = {0, 0, 9.81};
  obs.last_action = bittle().config.standing_pose;
  for (int k = 0; k < 20; ++k) {
    const std::vector<double> t = driver->act(obs);
    ASSERT_EQ(t.size(), 8u);
    for (double v : t) {
      const double deg = v * 180 / M_PI;
      EXPECT_NEAR(deg, std::round(deg), 1e-9);  // whole OpenCat degrees
    }
  }
  // A NaN reading holds the last command.
  const std::vector<double> before = driver->act(obs);
  obs.imu.gyro[0] = std::nan("");
  EXPECT_EQ(driver->act(obs), before);
  driver.reset();  // flushes the counters
  EXPECT_EQ(counters.steps, 22);
  EXPECT_EQ(counters.imu_faults, 1);
  // A float model is refused with a clear message.
  auto f = std::make_shared<quant::TfliteModel>(*q);
  f->int8 = false;
  EXPECT_THROW(pipeline::firmware_driver(f, setup), InputError);
}

TEST(FirmwareConfig, CalibrationOffsetsMoveTheSentDegreesNotTheSimulatedJoints) {
  auto q = std::make_shared<quant::TfliteModel>(toy_int8(12));
  sim::CollectSetup plain = sim::load_collect(std::string(TINYWALK_SOURCE_DIR) + "/configs/collect/bittle_trot.yaml");
  sim::CollectSetup calibrated = plain;
  calibrated.robot.config.firmware_calibration = {3, -2, 0, 0, 0, 0, 0, 5};
  const fw::ControllerConfig a = pipeline::firmware_config(*q, plain.robot, pipeline::FirmwareSettings{});
  const fw::ControllerConfig b = pipeline::firmware_config(*q, calibrated.robot, pipeline::FirmwareSettings{});
  EXPECT_EQ(b.post.calib_cdeg[0], 300);
  EXPECT_EQ(b.post.calib_cdeg[7], 500);
  // The safe pose in OpenCat degrees carries the offset (joint 0 is OpenCat index 9).
  EXPECT_EQ(b.safety.safe_pose_deg[9], a.safety.safe_pose_deg[9] + 3);
  // In the loop the offset is taken back out: the simulated robot gets the same targets.
  auto da = pipeline::firmware_driver(q, plain)(), db = pipeline::firmware_driver(q, calibrated)();
  da->reset(1);
  db->reset(1);
  sim::Observation obs;
  obs.imu.accel = {0, 0, 9.81};
  obs.last_action = bittle().config.standing_pose;
  for (int k = 0; k < 10; ++k) EXPECT_EQ(da->act(obs), db->act(obs)) << k;
}

#include "quantize/tflite_subset_generated.h"

TEST(FirmwareLoader, OperatorsMustFormTheChainFromGraphInputToOutput) {
  quant::TfliteModel q = toy_int8(13);
  q.meta.firmware_blob = pipeline::firmware_blob(q, pipeline::firmware_config(q, bittle(), pipeline::FirmwareSettings{}));
  const std::string bytes = quant::write_tflite(q);
  Loaded l;
  load(bytes, l);
  ASSERT_EQ(fw::tflite_load(l.bytes(), l.size, l.net, l.blob), fw::NetStatus::kOk);
  // Point the graph's output at a hidden layer's tensor, then the first layer's input elsewhere:
  // shapes alone would still chain, the tensor indices do not.
  for (int variant = 0; variant < 2; ++variant) {
    load(bytes, l);
    const auto* sg = tinywalk::tflite::GetModel(l.bytes())->subgraphs()->Get(0);
    if (variant == 0)
      const_cast<flatbuffers::Vector<int32_t>*>(sg->outputs())->Mutate(0, 3);  // fc0's output
    else
      const_cast<flatbuffers::Vector<int32_t>*>(sg->operators()->Get(1)->inputs())->Mutate(0, 0);  // fc1 reads the graph input
    EXPECT_EQ(fw::tflite_load(l.bytes(), l.size, l.net, l.blob), fw::NetStatus::kBadShape) << variant;
  }
}
