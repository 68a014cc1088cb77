#include "pipeline/pipeline.h"

#include <sys/stat.h>

#include <cerrno>

#include <chrono>
#include <cmath>

#include "common/error.h"

namespace tinywalk::pipeline {

namespace {
std::string dir_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}
policy::RolloutStats stats_of(const sim::RolloutSummary& s) {
  return {s.episodes, s.falls, s.mean_speed_mps, s.mean_reward, s.mean_abs_heading_drift_deg};
}
}  // namespace

policy::SignalFrame signal_frame(const sim::Observation& obs) {
  const double clock = 2 * M_PI * obs.gait_phase;
  return {{"imu_rpy", {obs.imu.rpy[0], obs.imu.rpy[1], obs.imu.rpy[2]}},
          {"imu_gyro", {obs.imu.gyro[0], obs.imu.gyro[1], obs.imu.gyro[2]}},
          {"imu_accel", {obs.imu.accel[0], obs.imu.accel[1], obs.imu.accel[2]}},
          {"last_action", obs.last_action},
          {"gait_clock", {std::sin(clock), std::cos(clock)}}};
}

ActorSource actor_source(const policy::PolicyModel& model) {
  return {[&model] { return std::make_unique<policy::PolicyRunner>(model); }, model.joints, model.robot};
}

PolicyDriver::PolicyDriver(std::unique_ptr<policy::Actor> actor, int num_joints) : actor_(std::move(actor)), targets_(num_joints) {}
void PolicyDriver::reset(uint64_t) { actor_->reset(); }
std::vector<double> PolicyDriver::act(const sim::Observation& obs) {
  actor_->act(signal_frame(obs), targets_.data());
  return targets_;
}

policy::Collector make_collector(const sim::CollectSetup& setup, int threads) {
  return [&setup, threads](const policy::PolicyModel* model, double mix, uint64_t seed, int episodes, policy::RolloutStats* stats) {
    sim::RolloutOptions o;
    o.episodes = episodes;
    o.seed = seed;
    o.threads = threads;
    o.expert_mix = mix;
    if (model) o.driver = [model] { return std::make_unique<PolicyDriver>(std::make_unique<policy::PolicyRunner>(*model), model->num_joints()); };
    sim::RolloutSummary s;
    data::Dataset d = sim::rollout(setup, o, &s);
    if (stats) *stats = stats_of(s);
    return d;
  };
}

TrainRun run_training(const std::string& config_path, const std::string& run_dir, bool resume, int threads,
                      const std::function<void(const std::string&)>& progress, const std::function<void(int, int)>& after_checkpoint) {
  const auto t0 = std::chrono::steady_clock::now();
  TrainRun run;
  run.config = config::read_file<policy::TrainConfig>(config_path);
  const std::string collect_path =
      !run.config.collect.empty() && run.config.collect[0] == '/' ? run.config.collect : dir_of(config_path) + "/" + run.config.collect;
  run.collect = sim::load_collect(collect_path);
  if (run.config.episode_seconds > 0) run.collect.config.episode_seconds = run.config.episode_seconds;
  if (::mkdir(run_dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw InputError(run_dir, "", "cannot create the run directory");
  policy::TrainOptions opt;
  opt.run_dir = run_dir;
  opt.resume = resume;
  opt.progress = progress;
  opt.after_checkpoint = after_checkpoint;
  const sim::Robot& robot = run.collect.robot;
  run.result = policy::train(run.config, config_path, robot.config.name, robot.config.joints, robot.config.standing_pose,
                             make_collector(run.collect, threads), opt);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

EvalReport evaluate(const ActorSource& policy, const sim::CollectSetup& setup, int episodes, uint64_t seed, int threads,
                    const std::function<void(int, int)>& progress) {
  if (policy.joints != setup.robot.config.joints)
    throw InputError("", "--policy", "the policy was trained for joints of robot '" + policy.robot + "', not those of '" +
                                        setup.robot.config.name + "'");
  EvalReport rep;
  sim::RolloutOptions o;
  o.episodes = episodes;
  o.seed = seed;
  o.threads = threads;
  o.progress = progress;
  sim::RolloutSummary s;
  const int n = static_cast<int>(policy.joints.size());
  o.driver = [&policy, n] { return std::make_unique<PolicyDriver>(policy.make(), n); };
  sim::rollout(setup, o, &s);
  rep.policy = stats_of(s);
  rep.max_abs_heading_drift_deg = s.max_abs_heading_drift_deg;
  rep.numerical_failures = s.numerical_failures;
  o.driver = {};
  sim::rollout(setup, o, &s);
  rep.expert = stats_of(s);
  rep.expert_max_abs_heading_drift_deg = s.max_abs_heading_drift_deg;
  return rep;
}

}  // namespace tinywalk::pipeline

#include "common/atomic_file.h"
#include "sim/robot_config.h"

namespace tinywalk::pipeline {

QuantizeRun run_quantize(const QuantizeOptions& o) {
  const policy::PolicyModel model = policy::PolicyModel::load(o.policy_path);
  const data::Dataset d = data::read_dataset(o.data_path);
  policy::TrainingSet ts = policy::build_training_set(d, model.observation, model.action, o.data_path);
  model.normalizer.apply(ts.X);
  // Held-out episodes (every 10th) for the error report; the rest for calibration.
  std::vector<Eigen::Index> held, rest;
  for (Eigen::Index c = 0; c < ts.X.cols(); ++c) (ts.episode[c] % 10 == 9 ? held : rest).push_back(c);
  if (held.empty()) held = rest;
  const int n_cal = std::min<int>(o.calibration.samples, static_cast<int>(rest.size()));
  Eigen::MatrixXd cal(ts.X.rows(), n_cal), test(ts.X.rows(), static_cast<Eigen::Index>(held.size()));
  for (int k = 0; k < n_cal; ++k) cal.col(k) = ts.X.col(rest[static_cast<size_t>(k) * rest.size() / n_cal]);  // evenly spread
  for (size_t k = 0; k < held.size(); ++k) test.col(static_cast<Eigen::Index>(k)) = ts.X.col(held[k]);
  // Metadata: deployment facts and provenance.
  quant::DeployMetadata meta = quant::metadata_for(model);
  const sim::Robot robot = sim::load_robot(o.robot_path);
  if (robot.config.joints != model.joints)
    throw InputError(o.robot_path, "joints", "do not match the policy's joints (trained for robot '" + model.robot + "')");
  meta.firmware_index = robot.config.firmware_index;
  meta.firmware_direction = robot.config.firmware_direction;
  meta.dataset_hash = quant::fnv1a_hex(read_file(o.data_path));
  meta.config_hash = quant::fnv1a_hex(read_file(o.policy_path));
  QuantizeRun r;
  r.calibration_samples = n_cal;
  r.int8_model = quant::quantize(model, cal, o.calibration, meta);
  r.float_model = quant::float_model(model, meta);
  r.error = quant::compare(model, r.int8_model, test);
  const std::string bytes = quant::write_tflite(r.int8_model);
  quant::read_tflite(bytes, o.out_path);  // never write a file our own reader would reject
  r.bytes = bytes.size();
  write_file_atomic(o.out_path, bytes);
  const std::string fbytes = quant::write_tflite(r.float_model);
  quant::read_tflite(fbytes, o.float_out_path);
  r.float_bytes = fbytes.size();
  if (!o.float_out_path.empty()) write_file_atomic(o.float_out_path, fbytes);
  return r;
}

LoadedPolicy load_policy(const std::string& path) {
  LoadedPolicy p;
  const std::string bytes = read_file(path);
  if (bytes.size() >= 8 && bytes.compare(4, 4, "TFL3") == 0) {
    p.tflite = std::make_shared<quant::TfliteModel>(quant::read_tflite(bytes, path));
    p.kind = p.tflite->int8 ? "tflite-int8" : "tflite-float32";
    auto model = p.tflite;
    p.source = {[model] { return std::make_unique<quant::TfliteActor>(*model); }, model->meta.joints, model->meta.robot};
  } else {
    p.checkpoint = std::make_shared<policy::PolicyModel>(policy::PolicyModel::from_checkpoint(policy::parse_checkpoint(bytes, path), path));
    p.kind = "checkpoint";
    auto model = p.checkpoint;
    p.source = {[model] { return std::make_unique<policy::PolicyRunner>(*model); }, model->joints, model->robot};
  }
  return p;
}

}  // namespace tinywalk::pipeline
