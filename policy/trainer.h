// Imitation training: behaviour cloning with Adam, minibatches, a validation
// split and early stopping, then DAgger rounds (the current policy drives,
// the expert labels every visited state, the data is aggregated and the
// policy retrained).
//
// The trainer knows nothing of the simulator: data comes from a Collector
// callback (pipeline/ connects it to sim rollouts). Everything it does is
// seeded, so the same config and seed give the same weights, byte for byte.
//
// Run directory (TrainOptions::run_dir):
//   data_round<k>.h5      the data of round k (0: expert), written atomically
//   checkpoint.twck       full state after every epoch (atomic): resume point
//   policy.twck           the final policy (PolicyModel)
//   learning_curve.csv    round, epoch, train_loss, val_loss, samples, best
// After kill -9, rerunning with resume continues from checkpoint.twck and
// ends with the same weights as an uninterrupted run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/yaml_config.h"
#include "dataset/dataset.h"
#include "policy/policy_model.h"

namespace tinywalk::policy {

struct TrainingParams {
  double learning_rate = 1e-3;
  int batch_size = 256;
  int max_epochs = 60;            // behaviour cloning (round 0)
  int patience = 8;               // epochs without a better validation loss before stopping
  double validation_fraction = 0.1;  // of episodes, chosen deterministically
  template <class V>
  void visit(V& v) {
    v.field("learning_rate", learning_rate, "Adam step size", config::Limits{0, 1, true, false});
    v.field("batch_size", batch_size, "samples per minibatch", config::between(1, 1 << 20));
    v.field("max_epochs", max_epochs, "epochs of behaviour cloning at most", config::between(1, 100000));
    v.field("patience", patience, "stop after this many epochs without a better validation loss", config::between(1, 100000));
    v.field("validation_fraction", validation_fraction, "fraction of episodes held out for validation", config::between(0.01, 0.5));
  }
};

struct DaggerParams {
  int rounds = 3;                 // DAgger rounds after behaviour cloning
  int episodes = 20;              // policy-driven episodes per round
  double expert_mix = 0.5;        // probability the expert's action is executed, round 1
  double mix_decay = 0.5;         // multiplies expert_mix every further round
  int max_epochs = 30;            // training epochs per round at most
  template <class V>
  void visit(V& v) {
    v.field("rounds", rounds, "DAgger rounds after behaviour cloning", config::between(0, 1000));
    v.field("episodes", episodes, "policy-driven episodes per round", config::between(1, 1000000));
    v.field("expert_mix", expert_mix, "probability per step that the expert's action is executed in round 1", config::between(0, 1));
    v.field("mix_decay", mix_decay, "expert_mix is multiplied by this every further round", config::between(0, 1));
    v.field("max_epochs", max_epochs, "training epochs per DAgger round at most", config::between(1, 100000));
  }
};

struct TrainConfig {
  std::string collect = "../collect/bittle_trot.yaml";  // rollouts: robot, gait, expert, randomization (relative to this file)
  int episodes = 40;               // expert episodes for behaviour cloning
  double episode_seconds = 0;      // s; 0 = the collect config's
  uint64_t seed = 1;
  double action_scale = 0.8;       // rad: network output 1 = this far from the standing pose
  ObservationSpec observation;
  MlpSpec model;
  TrainingParams training;
  DaggerParams dagger;

  TrainConfig() { observation.preset = "mcu"; }
  template <class V>
  void visit(V& v) {
    v.field("collect", collect, "collect config (robot, gait, expert, randomization), relative to this file");
    v.field("episodes", episodes, "expert episodes for behaviour cloning", config::between(1, 1000000));
    v.field("episode_seconds", episode_seconds, "s; episode length (0 = the collect config's)", config::between(0, 3600));
    v.field("seed", seed, "seed of data collection, initialisation and shuffling");
    v.field("action_scale", action_scale, "rad; a network output of 1 is this far from the standing pose", config::positive());
    v.section("observation", observation, "observation spec");
    v.section("model", model, "network shape");
    v.section("training", training, "behaviour cloning");
    v.section("dagger", dagger, "DAgger rounds");
  }
};

// Closed-loop figures of a batch of rollouts.
struct RolloutStats {
  int episodes = 0, falls = 0;
  double mean_speed_mps = 0, mean_reward = 0, mean_abs_heading_drift_deg = 0;
};

// Produces labelled episodes: policy == nullptr -> the expert drives; else the
// policy drives (with the expert's action executed with probability
// expert_mix) and the expert labels. Episode k uses seed + k.
using Collector = std::function<data::Dataset(const PolicyModel* policy, double expert_mix, uint64_t seed, int episodes,
                                              RolloutStats* stats)>;

struct CurveRow {
  int round = 0, epoch = 0;
  double train_loss = 0, val_loss = 0;
  int64_t samples = 0;
  bool best = false;
};

struct RoundRow {           // one line per DAgger collection
  int round = 0;
  double expert_mix = 0;
  RolloutStats stats;       // closed-loop figures of the (mixed) policy that collected it
};

struct TrainOptions {
  std::string run_dir;
  bool resume = false;
  std::function<void(const std::string& line)> progress;     // one line per epoch / stage
  std::function<void(int round, int epoch)> after_checkpoint;  // test hook: called after each checkpoint write
};

struct TrainResult {
  PolicyModel model;
  std::vector<CurveRow> curve;
  std::vector<RoundRow> rounds;
  int64_t samples = 0;       // aggregated training samples at the end
};

// robot/joints/standing_pose describe the robot the collector drives.
TrainResult train(const TrainConfig& config, const std::string& config_path, const std::string& robot,
                  const std::vector<std::string>& joints, const std::vector<double>& standing_pose, const Collector& collector,
                  const TrainOptions& options);

}  // namespace tinywalk::policy
