// A short real run: expert data from the simulator, behaviour cloning, one
// DAgger round with the policy driving, then closed-loop evaluation.
#include <gtest/gtest.h>

#include <algorithm>
#include <unistd.h>

#include <fstream>

#include "pipeline/pipeline.h"

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
  const pipeline::EvalReport e = pipeline::evaluate(model, setup, 2, 77, 2);
  EXPECT_EQ(e.policy.episodes, 2);
  EXPECT_EQ(e.numerical_failures, 0);
  EXPECT_EQ(e.expert.falls, 0);
  EXPECT_GT(e.expert.mean_speed_mps, 0.05);
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
