// Rollouts: the expert's bar (reduced count), dataset contents, determinism
// across thread counts, and the DAgger hook.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>

#include "common/atomic_file.h"
#include "sim/rollout.h"

using namespace tinywalk;
using namespace tinywalk::sim;

namespace {
const std::string kCollect = std::string(TINYWALK_SOURCE_DIR) + "/configs/collect/bittle_trot.yaml";
std::string tmp(const std::string& name) { return ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_" + name; }

CollectSetup setup(double seconds) {
  CollectSetup s = load_collect(kCollect);
  s.config.episode_seconds = seconds;
  return s;
}

// A policy that only ever holds the standing pose.
class Stand : public Driver {
 public:
  explicit Stand(std::vector<double> pose) : pose_(std::move(pose)) {}
  std::vector<double> act(const Observation& obs) override {
    seen_last_actions.push_back(obs.last_action);
    return pose_;
  }
  std::vector<std::vector<double>> seen_last_actions;

 private:
  std::vector<double> pose_;
};
}  // namespace

TEST(Rollout, ExpertMeetsTheBarOnAReducedCount) {
  // The full bar (100 episodes of 20 s) is in the closing note; here 10 of 10 s,
  // full randomization: no falls (the bar allows 5 in 100), >= 0.10 m/s, < 10 deg drift.
  RolloutOptions o;
  o.episodes = 10;
  o.seed = 500;
  RolloutSummary s;
  rollout(setup(10), o, &s);
  EXPECT_EQ(s.falls, 0);
  EXPECT_EQ(s.numerical_failures, 0);
  EXPECT_GE(s.mean_speed_mps, 0.10);
  EXPECT_LT(s.mean_abs_heading_drift_deg, 10);
}

TEST(Rollout, SameSeedSameDatasetBytesWithOneOrTwoThreads) {
  const CollectSetup su = setup(1.0);
  RolloutOptions o;
  o.episodes = 3;
  o.seed = 9;
  o.threads = 1;
  data::write_dataset(tmp("t1.h5"), rollout(su, o));
  o.threads = 2;
  data::write_dataset(tmp("t2.h5"), rollout(su, o));
  EXPECT_EQ(read_file(tmp("t1.h5")), read_file(tmp("t2.h5")));
  o.seed = 10;
  data::write_dataset(tmp("t3.h5"), rollout(su, o));
  EXPECT_NE(read_file(tmp("t1.h5")), read_file(tmp("t3.h5")));
}

TEST(Rollout, RecordsObservationsPrivilegedStateReferenceAndRewards) {
  const CollectSetup su = setup(2.0);
  RolloutOptions o;
  o.seed = 3;
  const data::Dataset d = rollout(su, o);
  ASSERT_EQ(d.episodes.size(), 1u);
  const data::EpisodeData& e = d.episodes[0];
  const int64_t T = e.steps();
  EXPECT_EQ(T, 61);  // 2 s / 33 ms
  EXPECT_EQ(e.obs.at("imu_rpy").dim, 3);
  EXPECT_EQ(e.obs.at("last_action").dim, 8);
  EXPECT_EQ(e.obs.at("gait_clock").dim, 2);
  EXPECT_EQ(e.actions.dim, 8);
  EXPECT_EQ(e.reference.at("feet").dim, 12);
  EXPECT_EQ(e.privileged.at("foot_contact").dim, 4);
  EXPECT_EQ(e.dones.back(), 1);
  EXPECT_EQ(e.dones.front(), 0);
  double contacts = 0;
  for (int64_t t = 0; t < T; ++t) {
    const double* c = e.obs.at("gait_clock").row(t);
    EXPECT_NEAR(c[0] * c[0] + c[1] * c[1], 1.0, 1e-12);
    EXPECT_GE(e.rewards[t], 0.0);
    EXPECT_LE(e.rewards[t], 1.0);
    for (int j = 0; j < 8; ++j) EXPECT_EQ(e.actions.row(t)[j], e.privileged.at("executed_action").row(t)[j]);  // expert drove
    if (t > 0) {
      for (int j = 0; j < 8; ++j) EXPECT_EQ(e.obs.at("last_action").row(t)[j], e.privileged.at("executed_action").row(t - 1)[j]);
    }
    for (int f = 0; f < 4; ++f) contacts += e.privileged.at("foot_contact").row(t)[f];
  }
  EXPECT_GT(contacts, T);       // about two feet down on a trot
  EXPECT_LT(contacts, 4.0 * T);
  EXPECT_EQ(d.info.robot, "bittle");
  EXPECT_NE(d.info.config_yaml.find("bittle_trot_ref.yaml"), std::string::npos);
  EXPECT_GE(e.attrs.at("ground_friction"), 0.05);
}

TEST(Rollout, DaggerHookDriverActsExpertLabels) {
  const CollectSetup su = setup(2.0);
  const std::vector<double> stand = su.robot.config.standing_pose;
  RolloutOptions o;
  o.seed = 4;
  o.driver = [&] { return std::make_unique<Stand>(stand); };
  const data::Dataset d = rollout(su, o);
  const data::EpisodeData& e = d.episodes[0];
  double label_motion = 0;
  for (int64_t t = 0; t < e.steps(); ++t)
    for (int j = 0; j < 8; ++j) {
      EXPECT_EQ(e.privileged.at("executed_action").row(t)[j], stand[j]);
      label_motion += std::fabs(e.actions.row(t)[j] - stand[j]);
    }
  EXPECT_GT(label_motion / e.steps(), 0.1);                 // the expert still says how to walk
  EXPECT_LT(std::fabs(e.attrs.at("mean_speed_mps")), 0.02);  // but the standing driver did not walk
  // With expert_mix 1 the expert's action is always executed.
  o.expert_mix = 1.0;
  const data::Dataset mixed = rollout(su, o);
  const data::EpisodeData& m = mixed.episodes[0];
  for (int64_t t = 0; t < m.steps(); ++t)
    for (int j = 0; j < 8; ++j) EXPECT_EQ(m.privileged.at("executed_action").row(t)[j], m.actions.row(t)[j]);
}

TEST(Rollout, BadCollectConfigNamesFileAndKey) {
  const std::string path = tmp("bad_collect.yaml");
  write_file_atomic(path, "robot: ../robots/bittle.yaml\nexpert:\n  heading_gian: 1\n");
  try {
    load_collect(path);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expert.heading_gian: unknown key"), std::string::npos) << e.what();
  }
}
