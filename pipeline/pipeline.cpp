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

ExpertRun evaluate_expert(const sim::CollectSetup& setup, int episodes, uint64_t seed, int threads) {
  sim::RolloutOptions o;
  o.episodes = episodes;
  o.seed = seed;
  o.threads = threads;
  sim::RolloutSummary s;
  sim::rollout(setup, o, &s);  // no driver: the expert drives
  return {episodes, seed, stats_of(s), s.max_abs_heading_drift_deg};
}

EvalReport evaluate_driver(const sim::DriverFactory& driver, const sim::CollectSetup& setup, int episodes, uint64_t seed, int threads,
                           const std::function<void(int, int)>& progress, const ExpertRun* expert) {
  EvalReport rep;
  sim::RolloutOptions o;
  o.episodes = episodes;
  o.seed = seed;
  o.threads = threads;
  o.progress = progress;
  o.driver = driver;
  sim::RolloutSummary s;
  sim::rollout(setup, o, &s);
  rep.policy = stats_of(s);
  rep.max_abs_heading_drift_deg = s.max_abs_heading_drift_deg;
  rep.numerical_failures = s.numerical_failures;
  // The expert on the same seeds.
  const ExpertRun e = expert && expert->episodes == episodes && expert->seed == seed ? *expert : evaluate_expert(setup, episodes, seed, threads);
  rep.expert = e.stats;
  rep.expert_max_abs_heading_drift_deg = e.max_abs_heading_drift_deg;
  return rep;
}

sim::DriverFactory policy_driver(const ActorSource& policy) {
  const int n = static_cast<int>(policy.joints.size());
  return [&policy, n] { return std::make_unique<PolicyDriver>(policy.make(), n); };
}

EvalReport evaluate(const ActorSource& policy, const sim::CollectSetup& setup, int episodes, uint64_t seed, int threads,
                    const std::function<void(int, int)>& progress, const ExpertRun* expert) {
  if (policy.joints != setup.robot.config.joints)
    throw InputError("", "--policy", "the policy was trained for joints of robot '" + policy.robot + "', not those of '" +
                                        setup.robot.config.name + "'");
  return evaluate_driver(policy_driver(policy), setup, episodes, seed, threads, progress, expert);
}

}  // namespace tinywalk::pipeline

#include "common/atomic_file.h"
#include "pipeline/firmware_config.h"
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
  // The firmware's integer configuration travels inside the .tflite ("tinywalk_fw").
  if (!o.collect_path.empty()) {
    const sim::CollectSetup setup = sim::load_collect(o.collect_path);
    if (setup.robot.config.joints != robot.config.joints)
      throw InputError(o.collect_path, "robot", "names a robot whose joints differ from --robot's");
    r.int8_model.meta.firmware_blob = firmware_blob(r.int8_model, firmware_config(r.int8_model, robot, firmware_settings(setup)));
  }
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

#include <sys/stat.h>

#include "common/json.h"
#include "pipeline/firmware_loop.h"
#include "quantize/export.h"
#include "pipeline/datasheet.h"
#include "pipeline/mcu_budget.h"
#include "pipeline/scenario.h"
#include "report/plots.h"
#include "report/replay.h"

namespace tinywalk::pipeline {

namespace {
bool file_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}
std::string fmt3(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", v);
  return b;
}
std::string fmt0(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.0f", v);
  return b;
}
JsonObject stats_json(const policy::RolloutStats& s) {
  return JsonObject()
      .add("episodes", s.episodes)
      .add("falls", s.falls)
      .add("mean_speed_mps", s.mean_speed_mps)
      .add("mean_reward", s.mean_reward)
      .add("mean_abs_heading_drift_deg", s.mean_abs_heading_drift_deg);
}

// A stage runs unless its stamp records the same inputs and its outputs exist.
class Stages {
 public:
  Stages(std::string dir, PipelineResult& r, const std::function<void(const std::string&)>& log) : dir_(std::move(dir)), r_(r), log_(log) {
    ::mkdir(dir_.c_str(), 0755);
  }
  void run(const std::string& name, const std::string& inputs, const std::vector<std::string>& outputs, const std::function<void()>& body) {
    const std::string stamp = dir_ + "/" + name + ".inputs";
    bool fresh = file_exists(stamp) && read_file(stamp) == inputs;
    for (const auto& o : outputs) fresh = fresh && file_exists(o);
    if (fresh) {
      log_("[" + std::to_string(++n_) + "/" + std::to_string(kStages) + "] stage " + name + ": up to date, skipped");
      r_.skipped.push_back(name);
      return;
    }
    log_("[" + std::to_string(++n_) + "/" + std::to_string(kStages) + "] stage " + name + ": running (" +
         std::to_string(static_cast<int>(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count())) + " s elapsed)");
    std::remove(stamp.c_str());
    body();
    write_file_atomic(stamp, inputs);
    r_.ran.push_back(name);
  }

 private:
  static constexpr int kStages = 8;  // train, dataset, quantize, eval, report, export, mcu, check
  int n_ = 0;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  std::string dir_;
  PipelineResult& r_;
  std::function<void(const std::string&)> log_;
};
}  // namespace

PipelineResult run_pipeline(const PipelineOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  auto log = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  if (::mkdir(o.out_dir.c_str(), 0755) != 0 && errno != EEXIST) throw InputError(o.out_dir, "", "cannot create the output directory");
  PipelineResult res;
  Stages stages(o.out_dir + "/.stages", res, log);
  const std::string D = o.out_dir;
  const policy::TrainConfig tc = config::read_file<policy::TrainConfig>(o.train_config);
  const std::string collect_path = !tc.collect.empty() && tc.collect[0] == '/' ? tc.collect : dir_of(o.train_config) + "/" + tc.collect;
  const sim::CollectSetup setup = sim::load_collect(collect_path);
  const std::string config_hash = quant::fnv1a_hex(read_file(o.train_config) + read_file(collect_path) + setup.yaml);
  const std::string robot_path = setup.robot.config_path;

  // Train (resumable from its own checkpoint).
  const std::string policy_path = D + "/train/policy.twck";
  stages.run("train", "train " + config_hash, {policy_path}, [&] {
    run_training(o.train_config, D + "/train", true, o.threads, [&](const std::string& s) { log("  " + s); });
  });
  // Fresh expert episodes for calibration and the error report.
  const std::string dataset = D + "/dataset.h5";
  stages.run("dataset", "dataset " + config_hash + " " + std::to_string(o.dataset_episodes) + " " + std::to_string(o.dataset_seed), {dataset}, [&] {
    sim::RolloutOptions ro;
    ro.episodes = o.dataset_episodes;
    ro.seed = o.dataset_seed;
    ro.threads = o.threads;
    data::write_dataset(dataset, sim::rollout(setup, ro));
  });
  // Quantize.
  const std::string f32 = D + "/policy_f32.tflite", i8 = D + "/policy_int8.tflite", qjson = D + "/quantize.json";
  stages.run("quantize", "quantize+fw2 " + quant::fnv1a_hex(read_file(policy_path) + read_file(dataset)), {f32, i8, qjson}, [&] {
    QuantizeOptions q;
    q.policy_path = policy_path;
    q.data_path = dataset;
    q.out_path = i8;
    q.float_out_path = f32;
    q.robot_path = robot_path;
    q.collect_path = collect_path;
    const QuantizeRun r = run_quantize(q);
    write_file_atomic(qjson, JsonObject()
                                 .add("bytes", static_cast<uint64_t>(r.bytes))
                                 .add("float_bytes", static_cast<uint64_t>(r.float_bytes))
                                 .add("calibration_samples", r.calibration_samples)
                                 .add("test_samples", r.error.samples)
                                 .add("mean_error_deg", r.error.mean_deg_all)
                                 .add("p99_error_deg", r.error.p99_deg_all)
                                 .add("max_error_deg", r.error.max_deg_all)
                                 .add("p99_error_deg_per_joint", r.error.p99_deg)
                                 .str() + "\n");
  });
  // Evaluate float and int8 on the same seeds.
  const std::string ejson = D + "/eval.json";
  stages.run("eval", "eval+firmware " + quant::fnv1a_hex(read_file(f32) + read_file(i8)) + " " + std::to_string(o.eval_episodes) + " " +
                         std::to_string(o.eval_seed) + " " + config_hash,
             {ejson}, [&] {
               const LoadedPolicy pf = load_policy(f32), pi = load_policy(i8);
               log("  the expert, " + std::to_string(o.eval_episodes) + " episodes (the reference for all three)");
               const ExpertRun ex = evaluate_expert(setup, o.eval_episodes, o.eval_seed, o.threads);
               log("  float policy");
               const EvalReport ef = evaluate(pf.source, setup, o.eval_episodes, o.eval_seed, o.threads, {}, &ex);
               log("  int8 policy");
               const EvalReport ei = evaluate(pi.source, setup, o.eval_episodes, o.eval_seed, o.threads, {}, &ex);
               log("  int8 policy inside the firmware core (post-processing, safety)");
               FirmwareCounters fc;
               const EvalReport ew = evaluate_firmware(pi.tflite, setup, o.eval_episodes, o.eval_seed, o.threads, {}, &fc, true, &ex);
               write_file_atomic(ejson, JsonObject()
                                            .add("episodes", o.eval_episodes)
                                            .add("seed", o.eval_seed)
                                            .add("float", stats_json(ef.policy))
                                            .add("int8", stats_json(ei.policy))
                                            .add("int8_firmware", stats_json(ew.policy))
                                            .add("expert", stats_json(ef.expert))
                                            .add("firmware_imu_faults", fc.imu_faults)
                                            .add("firmware_deadline_misses", fc.deadline_misses)
                                            .add("firmware_safe_stops", fc.safe_stops)
                                            .str() + "\n");
             });
  // Pictures: one seeded episode of each variant, the learning curve, a 3D replay.
  const std::string rdir = D + "/report";
  const std::vector<std::string> pictures{rdir + "/learning_curve.svg", rdir + "/joint_commands.svg", rdir + "/trajectory.svg",
                                          rdir + "/forward_speed.svg", D + "/replay.html"};
  stages.run("report", "report1 " + quant::fnv1a_hex(read_file(f32) + read_file(i8) + read_file(D + "/train/learning_curve.csv")) + " " +
                           std::to_string(o.eval_seed) + " " + config_hash,
             pictures, [&] {
               if (::mkdir(rdir.c_str(), 0755) != 0 && errno != EEXIST) throw InputError(rdir, "", "cannot create the report directory");
               const LoadedPolicy pf = load_policy(f32), pi = load_policy(i8);
               auto record = [&](const sim::DriverFactory& make) {
                 sim::RolloutOptions ro;
                 ro.episodes = 1;
                 ro.seed = o.eval_seed;
                 ro.threads = 1;
                 ro.driver = make;
                 return sim::rollout(setup, ro);
               };
               const data::Dataset df = record(policy_driver(pf.source)), di = record(policy_driver(pi.source)),
                                   dw = record(firmware_driver(pi.tflite, setup));
               report::EpisodePlotOptions po;
               po.control_dt = setup.config.sim.control_dt;
               po.joint_names = setup.robot.config.joints;
               po.joints = {0, 1};
               report::write_learning_curve_plot(rdir, D + "/train/learning_curve.csv");
               report::write_episode_plots(rdir, {{"float", &df.episodes[0]}, {"int8", &di.episodes[0]}, {"int8 + firmware", &dw.episodes[0]}}, po);
               const report::ReplayInput replay = report::replay_input(dw.episodes[0], setup.robot, setup.config.sim.control_dt,
                                                                       "tinywalk: int8 policy in the firmware core, seed " + std::to_string(o.eval_seed));
               write_file_atomic(D + "/replay.html", report::replay_html(replay));
             });
  // Firmware sources and their budget.
  const std::string fw = D + "/firmware", bjson = fw + "/budget.json";
  stages.run("export", "export " + quant::fnv1a_hex(read_file(i8)) + " " + o.target, {bjson}, [&] {
    const quant::ExportReport r = quant::export_firmware(quant::load_tflite(i8), o.target, fw);
    write_file_atomic(bjson, JsonObject()
                                 .add("target", o.target)
                                 .add("flash_bytes", static_cast<uint64_t>(r.flash_bytes))
                                 .add("weight_bytes", static_cast<uint64_t>(r.weight_bytes))
                                 .add("arena_bytes", static_cast<uint64_t>(r.arena_bytes))
                                 .str() + "\n");
  });
  // The exported firmware for this model, built for each MCU and run on its emulator.
  const std::string mjson = fw + "/mcu.json";
  if (o.mcu) {
    stages.run("mcu", "mcu2 " + quant::fnv1a_hex(read_file(i8)) + " " + config_hash, {mjson}, [&] {
      std::vector<JsonObject> rows;
      for (const McuRun& m : measure_on_mcus(i8, fw, collect_path)) {
        log("  " + m.target + ": " + (m.passed ? "bit-exact on the emulated chip, within budget" : m.reason) +
            (m.image_hex.empty() ? "" : "; NyBoard image " + m.image_hex + " (" + std::to_string(m.image_flash_bytes) + " B flash)"));
        rows.push_back(JsonObject().add("target", m.target).add("ran", m.ran).add("passed", m.passed).add("reason", m.reason).add("report", m.json).add("image", m.image_hex));
      }
      write_file_atomic(mjson, JsonObject().add("targets", rows).str() + "\n");
    });
  }
  // Scenario checks (int8 in the firmware and float, same seeds) and the policy datasheet.
  const std::string cjson = D + "/check.json";
  if (!o.scenarios_dir.empty()) {
    std::string scen;
    for (const Scenario& x : load_scenarios(o.scenarios_dir)) scen += read_file(x.path);
    stages.run("check", "check1 " + quant::fnv1a_hex(read_file(f32) + read_file(i8) + scen + read_file(bjson) + (file_exists(mjson) ? read_file(mjson) : "")) + " " + std::to_string(o.check_episodes),
               {cjson, D + "/check.xml", D + "/check.md", D + "/datasheet.md", D + "/datasheet.html"}, [&] {
                 const std::vector<Scenario> sc = load_scenarios(o.scenarios_dir);
                 CheckOptions co;
                 co.episodes = o.check_episodes;
                 co.threads = o.threads;
                 const CheckModel fwm = load_check_model(i8, CheckMode::Firmware), flm = load_check_model(f32, CheckMode::Float);
                 DatasheetOptions ds;
                 for (const Scenario& x : sc) {
                   log("  scenario " + x.config.name);
                   const ExpertRun ex = scenario_expert(x, co);  // the same reference for both variants
                   ds.firmware_results.push_back(run_scenario(x, fwm, co, &ex));
                   ds.float_results.push_back(run_scenario(x, flm, co, &ex));
                 }
                 std::vector<JsonObject> rows;
                 for (const ScenarioResult& r : ds.firmware_results) rows.push_back(result_json(r));
                 bool all = true;
                 for (const auto& r : ds.firmware_results) all = all && r.passed;
                 write_file_atomic(D + "/check.xml", junit_xml(ds.firmware_results));
                 write_file_atomic(D + "/check.md", markdown(ds.firmware_results));
                 if (::mkdir(rdir.c_str(), 0755) != 0 && errno != EEXIST) throw InputError(rdir, "", "cannot create the report directory");
                 write_scenario_plots(rdir, {{"int8 + firmware", &ds.firmware_results}, {"float", &ds.float_results}});
                 ds.model_path = i8;
                 ds.budget_files = {bjson};
                 for (const char* f : {"/firmware/nyboard_image.json", "/firmware/mcu_budget_avr.json", "/firmware/mcu_budget_cortex_m4.json"})
                   if (file_exists(D + f)) ds.budget_files.push_back(D + f);
                 const Datasheet sheet = make_datasheet(ds);
                 write_file_atomic(D + "/datasheet.md", sheet.markdown);
                 write_file_atomic(D + "/datasheet.html", sheet.html);
                 write_file_atomic(cjson, JsonObject().add("ok", all).add("mode", "firmware").add("episodes", o.check_episodes).add("scenarios", rows).str() + "\n");
               });
  }
  // Summary in Markdown and JSON.
  const YAML::Node q = YAML::Load(read_file(qjson)), e = YAML::Load(read_file(ejson)), b = YAML::Load(read_file(bjson));
  auto num = [](const YAML::Node& n, const char* k) { return n[k].as<double>(); };
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string md = "# tinywalk pipeline: " + setup.robot.config.name + "\n\n";
  md += "| stage | result |\n|---|---|\n";
  md += "| policy | `train/policy.twck`, learning curve `train/learning_curve.csv` ([plot](report/learning_curve.svg)) |\n";
  md += "| quantization | int8 " + fmt0(num(q, "bytes")) + " bytes; float vs int8 action error p99 " + fmt3(num(q, "p99_error_deg")) +
        " deg, max " + fmt3(num(q, "max_error_deg")) + " deg |\n";
  for (const char* k : {"float", "int8", "int8_firmware", "expert"})
    md += std::string("| closed loop, ") + k + " | " + fmt0(num(e[k], "falls")) + " falls / " + fmt0(num(e[k], "episodes")) + " episodes, " +
          fmt3(num(e[k], "mean_speed_mps")) + " m/s, heading drift " + fmt3(num(e[k], "mean_abs_heading_drift_deg")) + " deg |\n";
  md += "| firmware (" + o.target + ") | " + fmt0(num(b, "flash_bytes")) + " bytes of model in flash, " + fmt0(num(b, "arena_bytes")) +
        " bytes of RAM for inference (`firmware/`) |\n";
  for (const char* t : {"avr", "cortex_m4"}) {
    const std::string f = fw + "/mcu_budget_" + std::string(t) + ".json";
    if (!o.mcu || !file_exists(f)) continue;
    const YAML::Node m = YAML::Load(read_file(f));
    if (std::string(t) == "avr")
      md += "| ATmega328P (simavr, 16 MHz) | bit-exact; " + fmt0(num(m, "flash_bytes")) + " B flash (with test vectors), " + fmt0(num(m, "sram_static_bytes")) +
            " B static SRAM + " + fmt0(num(m, "stack_peak_bytes")) + " B stack; " + fmt3(num(m, "us_per_step_at_16mhz") / 1000) + " ms per control step, " +
            fmt3(num(m, "cycles_per_mac")) + " cycles per MAC |\n";
    else
      md += "| Cortex-M4 (QEMU mps2-an386) | bit-exact; " + fmt0(num(m, "instructions_per_step")) + " instructions per control step, " +
            fmt3(num(m, "instructions_per_mac")) + " per MAC |\n";
  }
  if (o.mcu && file_exists(fw + "/nyboard_image.json")) {
    const YAML::Node m = YAML::Load(read_file(fw + "/nyboard_image.json"));
    md += "| NyBoard image (flash with avrdude) | `firmware/tinywalk_nyboard.hex`: " + fmt0(num(m, "flash_bytes")) + " of 32256 B flash, " +
          fmt0(num(m, "sram_static_bytes")) + " of 2048 B static SRAM (docs/firmware-mcu.md) |\n";
  }
  if (!o.scenarios_dir.empty() && file_exists(cjson)) {
    const YAML::Node c = YAML::Load(read_file(cjson));
    int passed = 0, total = 0;
    for (const auto& r : c["scenarios"]) {
      ++total;
      passed += r["passed"].as<bool>() ? 1 : 0;
    }
    md += "| scenario checks (int8 + firmware) | " + std::to_string(passed) + " of " + std::to_string(total) +
          " passed ([check.md](check.md), JUnit `check.xml`) |\n";
  }
  md += "\nPictures: [replay.html](replay.html) (3D, offline), [learning curve](report/learning_curve.svg), "
        "[joint commands](report/joint_commands.svg), [trajectory](report/trajectory.svg), [speed](report/forward_speed.svg)" +
        std::string(o.scenarios_dir.empty() ? "" : "; the policy datasheet: [datasheet.html](datasheet.html)") + ".\n";
  res.summary_md = D + "/summary.md";
  res.summary_json = D + "/summary.json";
  write_file_atomic(res.summary_md, md);
  write_file_atomic(res.summary_json, JsonObject()
                                          .add("robot", setup.robot.config.name)
                                          .add("p99_error_deg", num(q, "p99_error_deg"))
                                          .add("int8_bytes", num(q, "bytes"))
                                          .add("float_falls", num(e["float"], "falls"))
                                          .add("float_mean_speed_mps", num(e["float"], "mean_speed_mps"))
                                          .add("int8_falls", num(e["int8"], "falls"))
                                          .add("int8_mean_speed_mps", num(e["int8"], "mean_speed_mps"))
                                          .add("firmware_falls", num(e["int8_firmware"], "falls"))
                                          .add("firmware_mean_speed_mps", num(e["int8_firmware"], "mean_speed_mps"))
                                          .add("expert_mean_speed_mps", num(e["expert"], "mean_speed_mps"))
                                          .add("flash_bytes", num(b, "flash_bytes"))
                                          .add("arena_bytes", num(b, "arena_bytes"))
                                          .str() + "\n");
  return res;
}

}  // namespace tinywalk::pipeline
