// The trainer without a simulator: a synthetic collector whose data depends
// on the policy that drives it, so resume and DAgger are exercised for real.
#include <gtest/gtest.h>

#include <algorithm>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>

#include "common/atomic_file.h"
#include "policy/trainer.h"

using namespace tinywalk;
using namespace tinywalk::policy;

namespace {
const std::vector<std::string> kJoints = {"a", "b", "c"};
const std::vector<double> kStand = {0.5, 0.5, 0.5};

// Episodes of a made-up robot: labels are a smooth function of the clock;
// with a policy driving, its outputs leak into the IMU signals.
data::Dataset synthetic(const PolicyModel* policy, double mix, uint64_t seed, int episodes, RolloutStats* stats) {
  data::Dataset d;
  d.info.robot = "toy";
  d.info.seed = seed;
  for (int k = 0; k < episodes; ++k) {
    data::EpisodeData e;
    e.seed = seed + k;
    e.actions.dim = 3;
    std::vector<double> last = kStand;
    std::unique_ptr<PolicyRunner> runner = policy ? std::make_unique<PolicyRunner>(*policy) : nullptr;
    for (int t = 0; t < 40; ++t) {
      const double ph = 0.1 * t + 0.37 * static_cast<double>(e.seed % 7);
      SignalFrame f{{"imu_rpy", {0.05 * std::sin(ph), 0.05 * std::cos(ph), 0.0}},
                    {"imu_gyro", {0.1 * std::cos(ph), -0.1 * std::sin(ph), 0.0}},
                    {"imu_accel", {0, 0, 9.81}},
                    {"last_action", last},
                    {"gait_clock", {std::sin(ph), std::cos(ph)}}};
      std::vector<double> label = {0.5 + 0.3 * std::sin(ph), 0.5 + 0.2 * std::cos(ph), 0.5 + 0.1 * std::sin(2 * ph)};
      std::vector<double> exec = label;
      if (runner && mix < 1) runner->act(f, exec.data());
      for (const auto& [name, v] : f) {
        e.obs[name].dim = static_cast<int>(v.size());
        e.obs[name].values.insert(e.obs[name].values.end(), v.begin(), v.end());
      }
      e.actions.values.insert(e.actions.values.end(), label.begin(), label.end());
      e.rewards.push_back(0.5);
      e.dones.push_back(t == 39);
      last = exec;
    }
    d.episodes.push_back(std::move(e));
  }
  if (stats) *stats = {episodes, 0, 0.1, 0.5, 1.0};
  return d;
}

TrainConfig small_config() {
  TrainConfig c;
  c.episodes = 6;
  c.seed = 3;
  c.model.hidden = {8};
  c.training.batch_size = 32;
  c.training.max_epochs = 6;
  c.training.patience = 4;
  c.training.validation_fraction = 0.2;
  c.dagger.rounds = 2;
  c.dagger.episodes = 3;
  c.dagger.max_epochs = 4;
  return c;
}

std::string fresh_dir(const std::string& name) {
  const std::string d = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_" + name;
  ::mkdir(d.c_str(), 0755);
  return d;
}

TrainResult run(const std::string& dir, bool resume, std::function<void(int, int)> hook = {}) {
  TrainOptions o;
  o.run_dir = dir;
  o.resume = resume;
  o.after_checkpoint = std::move(hook);
  return train(small_config(), "test.yaml", "toy", kJoints, kStand, synthetic, o);
}
}  // namespace

TEST(Trainer, LearnsAndWritesItsRunDirectory) {
  const std::string dir = fresh_dir("learn");
  const TrainResult r = run(dir, false);
  ASSERT_FALSE(r.curve.empty());
  // Behaviour cloning learns: round 0's best validation loss is well under its first.
  double best0 = 1e300;
  for (const auto& c : r.curve)
    if (c.round == 0) best0 = std::min(best0, c.val_loss);
  EXPECT_LT(best0, 0.5 * r.curve.front().val_loss);
  EXPECT_EQ(r.rounds.size(), 2u);                                       // two DAgger collections
  for (const char* f : {"/policy.twck", "/checkpoint.twck", "/learning_curve.csv", "/data_round0.h5", "/data_round2.h5"})
    EXPECT_NO_THROW(read_file(dir + f)) << f;
  const PolicyModel back = PolicyModel::load(dir + "/policy.twck");
  EXPECT_EQ(back.mlp.params(), r.model.mlp.params());
  EXPECT_EQ(back.joints, kJoints);
}

TEST(Trainer, SameSeedSameBytes) {
  const std::string a = fresh_dir("same_a"), b = fresh_dir("same_b");
  run(a, false);
  run(b, false);
  EXPECT_EQ(read_file(a + "/policy.twck"), read_file(b + "/policy.twck"));
  EXPECT_EQ(read_file(a + "/learning_curve.csv"), read_file(b + "/learning_curve.csv"));
}

TEST(Trainer, ResumeAfterKillNineEndsWithTheSameWeights) {
  const std::string ref = fresh_dir("ref"), killed = fresh_dir("killed");
  run(ref, false);
  // A child trains and is killed -9 right after the checkpoint of round 1, epoch 2.
  pid_t child = fork();
  if (child == 0) {
    run(killed, false, [](int round, int epoch) {
      if (round == 1 && epoch == 2) raise(SIGKILL);
    });
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_THROW(read_file(killed + "/policy.twck"), InputError);  // it never finished
  const TrainResult resumed = run(killed, true);
  EXPECT_EQ(read_file(ref + "/policy.twck"), read_file(killed + "/policy.twck"));
  EXPECT_EQ(read_file(ref + "/learning_curve.csv"), read_file(killed + "/learning_curve.csv"));
}

TEST(Trainer, ResumingAFinishedRunChangesNothing) {
  const std::string dir = fresh_dir("done");
  run(dir, false);
  const std::string before = read_file(dir + "/policy.twck");
  run(dir, true);
  EXPECT_EQ(read_file(dir + "/policy.twck"), before);
}
