// Connects the layers: simulator rollouts as the trainer's data source, a
// trained policy as a rollout driver, closed-loop evaluation. The CLI calls
// these; they hold the orchestration so tools/ stays argument parsing only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "policy/trainer.h"
#include "sim/rollout.h"

namespace tinywalk::pipeline {

// A trained policy driving the simulated robot from what it can observe.
class PolicyDriver : public sim::Driver {
 public:
  explicit PolicyDriver(const policy::PolicyModel& model);
  void reset(uint64_t seed) override;
  std::vector<double> act(const sim::Observation& obs) override;

 private:
  policy::PolicyRunner runner_;
  std::vector<double> targets_;
};
// Signals the robot can measure, as the policy layer names them.
policy::SignalFrame signal_frame(const sim::Observation& obs);

// sim::rollout wrapped as the trainer's Collector (episode length override in s, 0 = keep).
policy::Collector make_collector(const sim::CollectSetup& setup, int threads);

struct TrainRun {
  policy::TrainConfig config;
  sim::CollectSetup collect;
  policy::TrainResult result;
  double seconds = 0;
};
// Loads the train config (and the collect config it names), then trains into run_dir.
TrainRun run_training(const std::string& config_path, const std::string& run_dir, bool resume, int threads,
                      const std::function<void(const std::string&)>& progress,
                      const std::function<void(int, int)>& after_checkpoint = {});

struct EvalReport {
  policy::RolloutStats policy, expert;  // same seeds
  double max_abs_heading_drift_deg = 0, expert_max_abs_heading_drift_deg = 0;
  int numerical_failures = 0;
};
// Closed-loop episodes of the policy and of the expert on the same seeds.
EvalReport evaluate(const policy::PolicyModel& model, const sim::CollectSetup& setup, int episodes, uint64_t seed, int threads,
                    const std::function<void(int, int)>& progress = {});

}  // namespace tinywalk::pipeline
