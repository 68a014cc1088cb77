// Policy checks for CI (`tinywalk check`): named scenarios, each a YAML file
// (configs/scenarios/*.yaml) with test conditions and pass thresholds. A
// scenario runs the policy in closed loop and the expert on the same seeds
// under the same conditions, then compares the metrics with the thresholds.
//
//   name: low_friction                 # default: the file name without .yaml
//   description: icy floor, mu 0.25
//   collect: ../collect/bittle_trot.yaml   # base collect config, relative to this file
//   episodes: 10                       # episode k uses seed + k
//   seed: 3000000
//   seconds: 8                         # s per episode
//   conditions:
//     randomize: true                  # keep the collect config's domain randomization
//     ground_friction: 0.25            # any key of sim::Conditions (sim/randomization.h)
//   pass:                              # at least one threshold; an absent one is not checked
//     max_falls: 1
//     min_speed_ratio: 0.5             # policy mean speed / expert mean speed
//
// Results render as one stdout line per scenario, a Markdown table and JUnit
// XML (one <testcase> per scenario, a <failure> naming each missed threshold).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/yaml_config.h"
#include "pipeline/firmware_loop.h"
#include "pipeline/pipeline.h"

namespace tinywalk::pipeline {

// The scenario's `conditions` section: whether the collect config's domain
// randomization stays on, plus fixed conditions on top of it.
struct ScenarioConditions {
  bool randomize = true;  // sample the robot's randomization ranges per episode (the policy's training distribution)
  sim::Conditions sim;    // friction, latency, pushes, payload, slope, IMU noise (defaults: none)

  template <class V>
  void visit(V& v) {
    v.field("randomize", randomize, "keep the robot's domain randomization on (conditions are applied on top)");
    sim.visit(v);
  }
};

// Pass thresholds; a negative value (the default) is not checked.
struct ScenarioPass {
  int max_falls = -1;                 // episodes ending in a fall (or a numerical failure), at most
  double min_speed_ratio = -1;        // policy mean speed / expert mean speed on the same seeds, at least
  double min_speed_mps = -1;          // m/s, policy mean forward speed, at least
  double max_heading_drift_deg = -1;  // deg, largest |heading change| of any policy episode, at most
  double max_mean_heading_drift_deg = -1;  // deg, mean over policy episodes of |heading change|, at most

  template <class V>
  void visit(V& v) {
    v.field("max_falls", max_falls, "at most this many policy episodes may fall (-1: not checked)", config::between(-1, 1e9));
    v.field("min_speed_ratio", min_speed_ratio, "policy mean speed at least this times the expert's on the same seeds (-1: not checked)",
            config::between(-1, 100));
    v.field("min_speed_mps", min_speed_mps, "m/s; policy mean forward speed at least this (-1: not checked)", config::between(-1, 100));
    v.field("max_heading_drift_deg", max_heading_drift_deg, "deg; every policy episode's |heading change| at most this (-1: not checked)",
            config::between(-1, 360));
    v.field("max_mean_heading_drift_deg", max_mean_heading_drift_deg,
            "deg; mean over policy episodes of |heading change| at most this (-1: not checked)", config::between(-1, 360));
  }
  bool any() const {
    return max_falls >= 0 || min_speed_ratio >= 0 || min_speed_mps >= 0 || max_heading_drift_deg >= 0 || max_mean_heading_drift_deg >= 0;
  }
};

// One scenario file.
struct ScenarioConfig {
  std::string name;                                  // "" = the file name without .yaml
  std::string description;
  std::string collect = "../collect/bittle_trot.yaml";  // relative to the scenario file
  int episodes = 10;
  uint64_t seed = 3000000;                           // episode k uses seed + k
  double seconds = 8;                                // s per episode
  ScenarioConditions conditions;
  ScenarioPass pass;

  template <class V>
  void visit(V& v) {
    v.field("name", name, "scenario name (default: the file name without .yaml)");
    v.field("description", description, "what the scenario tests, one line");
    v.field("collect", collect, "base collect config (robot, gait, expert, randomization), relative to this file");
    v.field("episodes", episodes, "closed-loop episodes of the policy (and of the expert on the same seeds)", config::between(1, 100000));
    v.field("seed", seed, "seed of the first episode (episode k uses seed + k)");
    v.field("seconds", seconds, "s; length of each episode", config::between(0.05, 3600));
    v.section("conditions", conditions, "test conditions");
    v.section("pass", pass, "pass thresholds");
  }
};

// A loaded scenario: its config and the collect setup with the scenario's
// episode length, randomization switch and conditions applied.
struct Scenario {
  std::string path;
  ScenarioConfig config;
  sim::CollectSetup setup;
};

// Strict: unknown keys, wrong types, out-of-range values, a `pass` section
// without any threshold and a collect config that does not load are
// InputErrors naming the file and the key.
Scenario load_scenario(const std::string& path);
// Every *.yaml in dir, sorted by file name. InputError if dir is missing or
// holds none, or if two scenarios share a name.
std::vector<Scenario> load_scenarios(const std::string& dir);

// How the policy runs: the int8 model inside the firmware core
// (evaluate_firmware), the int8 .tflite on the reference kernel, or a float
// model (float32 .tflite or a .twck checkpoint), both via evaluate().
enum class CheckMode { Firmware, Int8, Float };
const char* to_string(CheckMode m);
CheckMode parse_check_mode(const std::string& s);  // "firmware" | "int8" | "float"; InputError naming --mode otherwise

struct CheckModel {
  CheckMode mode = CheckMode::Firmware;
  std::string path;
  LoadedPolicy policy;
};
// InputError naming the file if its kind does not fit the mode (firmware and
// int8 need an int8 .tflite; float a float32 .tflite or a checkpoint).
CheckModel load_check_model(const std::string& path, CheckMode mode);

struct CheckOptions {
  int episodes = 0;  // > 0: overrides every scenario's episode count
  int threads = 0;   // 0: one per core
  std::function<void(int done, int total)> progress;  // episodes of the current scenario (policy, then expert)
};

// One threshold compared: `metric` (falls, speed_ratio, mean_speed_mps,
// max_heading_drift_deg, mean_heading_drift_deg) against `threshold` (key in the pass section).
struct MetricCheck {
  std::string metric, threshold_key;
  double value = 0, threshold = 0;
  bool at_most = true;  // value <= threshold passes (else value >= threshold)
  bool passed = true;
  std::string describe() const;  // e.g. "falls 3 > max_falls 1"
};

struct ScenarioResult {
  std::string name, description, file;
  CheckMode mode = CheckMode::Firmware;
  bool passed = true;
  int episodes = 0, falls = 0, numerical_failures = 0, expert_falls = 0;  // falls include numerical failures
  double mean_speed_mps = 0, expert_mean_speed_mps = 0;
  double speed_ratio = 0;  // policy / expert mean speed (0 if the expert did not move forward)
  double mean_abs_heading_drift_deg = 0, max_abs_heading_drift_deg = 0;
  double expert_mean_abs_heading_drift_deg = 0, expert_max_abs_heading_drift_deg = 0;
  double mean_reward = 0, expert_mean_reward = 0;
  FirmwareCounters firmware;  // firmware mode only
  std::vector<MetricCheck> checks;  // one per threshold given, in ScenarioPass field order
  double seconds = 0;               // wall time
  std::string failure_message() const;  // the failed checks joined by "; " ("" if passed)
};

// The expert under the scenario's conditions, seeds and episode count (as run_scenario uses it).
ExpertRun scenario_expert(const Scenario& scenario, const CheckOptions& options = {});
// `expert`: scenario_expert(scenario, options), to share between models; null runs it here.
ScenarioResult run_scenario(const Scenario& scenario, const CheckModel& model, const CheckOptions& options = {},
                            const ExpertRun* expert = nullptr);
// Compares a result's metrics with the pass section (fills checks and passed).
void apply_thresholds(const ScenarioPass& pass, ScenarioResult& r);

// One line: name, PASS/FAIL, metrics with their thresholds.
std::string summary_line(const ScenarioResult& r);
// <testsuites><testsuite name="tinywalk-check" tests= failures= time=> with
// one <testcase classname="tinywalk.check" name=... time=...> per result; a
// failing one holds <failure message="..."> naming metric, value, threshold.
std::string junit_xml(const std::vector<ScenarioResult>& results);
// A Markdown summary: one table row per scenario.
std::string markdown(const std::vector<ScenarioResult>& results);
JsonObject result_json(const ScenarioResult& r);

std::string xml_escape(const std::string& s);

// Writes the per-scenario SVG bar charts (report/plots.h: speed ratio and falls against their
// thresholds) for one or more variants' results (e.g. "int8 + firmware" and "float") into dir;
// returns the files written.
std::vector<std::string> write_scenario_plots(const std::string& dir,
                                              const std::vector<std::pair<std::string, const std::vector<ScenarioResult>*>>& variants);

}  // namespace tinywalk::pipeline
