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

PolicyDriver::PolicyDriver(const policy::PolicyModel& model) : runner_(model), targets_(model.num_joints()) {}
void PolicyDriver::reset(uint64_t) { runner_.reset(); }
std::vector<double> PolicyDriver::act(const sim::Observation& obs) {
  runner_.act(signal_frame(obs), targets_.data());
  return targets_;
}

policy::Collector make_collector(const sim::CollectSetup& setup, int threads) {
  return [&setup, threads](const policy::PolicyModel* model, double mix, uint64_t seed, int episodes, policy::RolloutStats* stats) {
    sim::RolloutOptions o;
    o.episodes = episodes;
    o.seed = seed;
    o.threads = threads;
    o.expert_mix = mix;
    if (model) o.driver = [model] { return std::make_unique<PolicyDriver>(*model); };
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

EvalReport evaluate(const policy::PolicyModel& model, const sim::CollectSetup& setup, int episodes, uint64_t seed, int threads,
                    const std::function<void(int, int)>& progress) {
  if (model.joints != setup.robot.config.joints)
    throw InputError("", "--policy", "the policy was trained for joints of robot '" + model.robot + "', not those of '" +
                                        setup.robot.config.name + "'");
  EvalReport rep;
  sim::RolloutOptions o;
  o.episodes = episodes;
  o.seed = seed;
  o.threads = threads;
  o.progress = progress;
  sim::RolloutSummary s;
  o.driver = [&model] { return std::make_unique<PolicyDriver>(model); };
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
