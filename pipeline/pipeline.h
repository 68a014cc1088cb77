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

// Makes one closed-loop actor (per thread) and says how many joints it drives.
struct ActorSource {
  std::function<std::unique_ptr<policy::Actor>()> make;
  std::vector<std::string> joints;  // the actions' joint order
  std::string robot;
};
ActorSource actor_source(const policy::PolicyModel& model);  // model must outlive the source

// A trained policy driving the simulated robot from what it can observe.
class PolicyDriver : public sim::Driver {
 public:
  PolicyDriver(std::unique_ptr<policy::Actor> actor, int num_joints);
  void reset(uint64_t seed) override;
  std::vector<double> act(const sim::Observation& obs) override;

 private:
  std::unique_ptr<policy::Actor> actor_;
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
// Closed-loop episodes of a driver (one per thread) and of the expert on the same seeds.
// The expert on given seeds: the same for every policy evaluated on one setup, so it is run once
// and shared (pass it to the evaluate* functions; one whose episodes or seed differ is ignored).
struct ExpertRun {
  int episodes = 0;
  uint64_t seed = 0;
  policy::RolloutStats stats;
  double max_abs_heading_drift_deg = 0;
};
ExpertRun evaluate_expert(const sim::CollectSetup& setup, int episodes, uint64_t seed, int threads);
// Closed-loop episodes of a driver (one per thread) and of the expert on the same seeds
// (`expert` if given for this setup, episodes and seed, else run here).
EvalReport evaluate_driver(const sim::DriverFactory& driver, const sim::CollectSetup& setup, int episodes, uint64_t seed, int threads,
                           const std::function<void(int, int)>& progress = {}, const ExpertRun* expert = nullptr);
// A trained policy as a driver factory (one PolicyDriver per thread); `policy` must outlive it.
sim::DriverFactory policy_driver(const ActorSource& policy);
// Closed-loop episodes of the policy and of the expert on the same seeds.
EvalReport evaluate(const ActorSource& policy, const sim::CollectSetup& setup, int episodes, uint64_t seed, int threads,
                    const std::function<void(int, int)>& progress = {}, const ExpertRun* expert = nullptr);

}  // namespace tinywalk::pipeline

#include "quantize/ptq.h"

namespace tinywalk::pipeline {

struct QuantizeOptions {
  std::string policy_path, data_path, out_path, float_out_path;
  std::string robot_path;                   // for the firmware index map and directions
  std::string collect_path;                 // control period and gait clock for the firmware blob (empty: no blob)
  quant::CalibrationParams calibration;
};
struct QuantizeRun {
  quant::TfliteModel int8_model, float_model;
  quant::ErrorReport error;                 // on held-out dataset observations
  int calibration_samples = 0;
  size_t bytes = 0, float_bytes = 0;
};
// Calibrates on dataset observations, quantizes, reports float-vs-int8 action
// errors on held-out episodes (every 10th, as in training) and writes the files.
QuantizeRun run_quantize(const QuantizeOptions& o);

// A policy file of either kind as a closed-loop actor source: a checkpoint
// (policy.twck) or a .tflite (float32 or int8). The returned holder owns the model.
struct LoadedPolicy {
  std::string kind;  // "checkpoint", "tflite-float32", "tflite-int8"
  std::shared_ptr<policy::PolicyModel> checkpoint;
  std::shared_ptr<quant::TfliteModel> tflite;
  ActorSource source;
};
LoadedPolicy load_policy(const std::string& path);

}  // namespace tinywalk::pipeline

namespace tinywalk::pipeline {

// The whole pipeline into one folder, stage by stage:
//   train/            tinywalk train (expert data, BC + DAgger, checkpoints)
//   dataset.h5        fresh expert episodes for calibration and the error report
//   policy_f32.tflite, policy_int8.tflite, quantize.json
//   eval.json         float and int8 policies and the expert on the same seeds
//   firmware/         exported int8 model sources and budget.json
//   summary.md, summary.json
// Rerunning skips every stage whose inputs (file hashes and options) are
// unchanged; an interrupted stage restarts (training resumes from its
// checkpoint); every artifact is written atomically.
struct PipelineOptions {
  std::string train_config;          // configs/train/bittle_default.yaml
  std::string out_dir;
  int eval_episodes = 20;
  int dataset_episodes = 20;
  uint64_t eval_seed = 1000000, dataset_seed = 900000;
  std::string target = "avr";
  std::string scenarios_dir;         // scenario checks + datasheet (configs/scenarios); empty: skipped
  int check_episodes = 5;            // episodes per scenario in the pipeline's check
  bool mcu = true;                   // build the firmware for the MCUs and run it on their emulators
  int threads = 0;
  std::function<void(const std::string&)> progress;
};
struct PipelineResult {
  std::string summary_json, summary_md;
  std::vector<std::string> skipped, ran;  // stage names
  double seconds = 0;
};
PipelineResult run_pipeline(const PipelineOptions& o);

}  // namespace tinywalk::pipeline
