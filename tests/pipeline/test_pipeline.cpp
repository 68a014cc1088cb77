// A short real run: expert data from the simulator, behaviour cloning, one
// DAgger round with the policy driving, then closed-loop evaluation.
#include <gtest/gtest.h>

#include <algorithm>
#include <unistd.h>

#include <fstream>

#include "common/atomic_file.h"
#include "pipeline/pipeline.h"
#include "quantize/export.h"

using namespace tinywalk;

TEST(Pipeline, ShortDaggerRunTrainsAPolicyThatDrivesTheSimulator) {
  const std::string dir = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_run";
  const std::string cfg = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_train.yaml";
  std::ofstream(cfg) << "collect: " << TINYWALK_SOURCE_DIR << "/configs/collect/bittle_trot.yaml\n"
                     << "episodes: 6\nepisode_seconds: 4\nseed: 2\n"
                     << "training: {max_epochs: 25, patience: 5, validation_fraction: 0.2}\n"
                     << "dagger: {rounds: 1, episodes: 2, max_epochs: 10}\n";
  const pipeline::TrainRun run = pipeline::run_training(cfg, dir, false, 2, {});
  const policy::TrainResult& r = run.result;
  ASSERT_EQ(r.rounds.size(), 1u);
  EXPECT_EQ(r.rounds[0].stats.episodes, 2);
  // Behaviour cloning learns: round 0's best validation loss is well under its first.
  double best0 = 1e300;
  for (const auto& c : r.curve)
    if (c.round == 0) best0 = std::min(best0, c.val_loss);
  EXPECT_LT(best0, 0.5 * r.curve.front().val_loss);
  // The saved policy drives the robot; the expert runs the same seeds.
  const policy::PolicyModel model = policy::PolicyModel::load(dir + "/policy.twck");
  sim::CollectSetup setup = sim::load_collect(std::string(TINYWALK_SOURCE_DIR) + "/configs/collect/bittle_trot.yaml");
  setup.config.episode_seconds = 3;
  const pipeline::EvalReport e = pipeline::evaluate(pipeline::actor_source(model), setup, 2, 77, 2);
  EXPECT_EQ(e.policy.episodes, 2);
  EXPECT_EQ(e.numerical_failures, 0);
  EXPECT_EQ(e.expert.falls, 0);
  EXPECT_GT(e.expert.mean_speed_mps, 0.05);

  // Quantize it on its own data, run the int8 file in closed loop, export it.
  pipeline::QuantizeOptions q;
  q.policy_path = dir + "/policy.twck";
  q.data_path = dir + "/data_round0.h5";
  q.out_path = dir + "/policy_int8.tflite";
  q.float_out_path = dir + "/policy_f32.tflite";
  q.robot_path = std::string(TINYWALK_SOURCE_DIR) + "/configs/robots/bittle.yaml";
  const pipeline::QuantizeRun qr = pipeline::run_quantize(q);
  EXPECT_GT(qr.error.samples, 0);
  EXPECT_LT(qr.error.p99_deg_all, 2.0);
  const pipeline::LoadedPolicy int8 = pipeline::load_policy(q.out_path);
  EXPECT_EQ(int8.kind, "tflite-int8");
  EXPECT_EQ(pipeline::load_policy(q.float_out_path).kind, "tflite-float32");
  const pipeline::EvalReport ei = pipeline::evaluate(int8.source, setup, 1, 77, 1);
  EXPECT_EQ(ei.numerical_failures, 0);
  const quant::ExportReport ex = quant::export_firmware(*int8.tflite, "avr", dir + "/fw");
  EXPECT_EQ(ex.weight_bytes, static_cast<size_t>(int8.tflite->layers[0].weights_q.size() + int8.tflite->layers[1].weights_q.size() +
                                                 int8.tflite->layers[2].weights_q.size()));
  EXPECT_NE(read_file(ex.header).find("#define TW_MODEL_FLASH PROGMEM"), std::string::npos);
  const quant::ExportReport host = quant::export_firmware(*int8.tflite, "host", dir + "/fw_host");
  EXPECT_EQ(read_file(host.header).find("PROGMEM"), std::string::npos);
  EXPECT_EQ(host.flash_bytes, ex.flash_bytes);
}

TEST(Pipeline, PolicyDriverSeesOnlyMeasurableSignals) {
  sim::Observation obs;
  obs.imu.rpy = {0.1, 0.2, 0.3};
  obs.last_action = std::vector<double>(8, 0.5);
  obs.gait_phase = 0.25;
  const policy::SignalFrame f = pipeline::signal_frame(obs);
  for (const auto& [name, values] : f) EXPECT_FALSE(policy::is_privileged(name)) << name;
  EXPECT_NEAR(f.at("gait_clock")[0], 1.0, 1e-12);  // sin(pi/2)
  EXPECT_NEAR(f.at("gait_clock")[1], 0.0, 1e-12);
}

TEST(Pipeline, RerunSkipsStagesWhoseInputsAreUnchanged) {
  const std::string dir = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_pipe";
  const std::string cfg = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_pipe_train.yaml";
  std::ofstream(cfg) << "collect: " << TINYWALK_SOURCE_DIR << "/configs/collect/bittle_trot.yaml\n"
                     << "episodes: 4\nepisode_seconds: 2\nseed: 3\n"
                     << "training: {max_epochs: 5, patience: 3, validation_fraction: 0.5}\n"
                     << "dagger: {rounds: 0}\n";
  pipeline::PipelineOptions o;
  o.train_config = cfg;
  o.out_dir = dir;
  o.eval_episodes = 1;
  o.dataset_episodes = 2;
  o.threads = 2;
  o.scenarios_dir = std::string(TINYWALK_SOURCE_DIR) + "/configs/scenarios";
  o.check_episodes = 1;
  o.mcu = false;  // the MCU builds are covered by tests/mcu on the default model
  const pipeline::PipelineResult first = pipeline::run_pipeline(o);
  EXPECT_EQ(first.ran, (std::vector<std::string>{"train", "dataset", "quantize", "eval", "report", "export", "check"}));
  for (const char* f : {"/policy_f32.tflite", "/policy_int8.tflite", "/quantize.json", "/eval.json", "/firmware/tinywalk_model.cpp",
                        "/firmware/budget.json", "/summary.md", "/summary.json", "/replay.html", "/report/joint_commands.svg",
                        "/report/learning_curve.svg", "/check.xml", "/check.md", "/datasheet.md", "/datasheet.html"})
    EXPECT_NO_THROW(read_file(dir + f)) << f;
  // eval.json holds the three variants side by side; the int8 file carries the firmware blob.
  const std::string eval = read_file(dir + "/eval.json");
  for (const char* k : {"\"float\"", "\"int8\"", "\"int8_firmware\"", "\"expert\""}) EXPECT_NE(eval.find(k), std::string::npos) << k;
  EXPECT_FALSE(quant::load_tflite(dir + "/policy_int8.tflite").meta.firmware_blob.empty());
  EXPECT_NE(read_file(dir + "/check.xml").find("<testcase classname=\"tinywalk.check\" name=\"slope\""), std::string::npos);
  EXPECT_NE(read_file(dir + "/datasheet.md").find("| slope | 1 |"), std::string::npos);
  const std::string summary = read_file(dir + "/summary.json");
  const pipeline::PipelineResult second = pipeline::run_pipeline(o);
  EXPECT_TRUE(second.ran.empty());
  EXPECT_EQ(second.skipped.size(), 7u);
  EXPECT_EQ(read_file(dir + "/summary.json"), summary);
  // A lost artifact reruns its stage only (and what depends on its bytes, if they changed).
  std::remove((dir + "/eval.json").c_str());
  const pipeline::PipelineResult third = pipeline::run_pipeline(o);
  EXPECT_EQ(third.ran, (std::vector<std::string>{"eval"}));
  EXPECT_EQ(read_file(dir + "/summary.json"), summary);  // same seeds, same numbers
}
