#include "pipeline/scenario.h"
#include "report/plots.h"
#include "report/svg_plot.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>

#include "common/error.h"

namespace tinywalk::pipeline {

namespace {
std::string dir_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}
std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
// Shortest readable form of a threshold or metric (no trailing zeros).
std::string num(double v) {
  if (std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e9) return fmt("%.0f", v);
  std::string s = fmt("%.3f", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}
}  // namespace

// ---- scenarios ----

Scenario load_scenario(const std::string& path) {
  Scenario s;
  s.path = path;
  s.config = config::read_file<ScenarioConfig>(path);
  ScenarioConfig& c = s.config;
  if (c.name.empty()) {
    c.name = base_name(path);
    if (ends_with(c.name, ".yaml")) c.name.resize(c.name.size() - 5);
  }
  if (!c.pass.any())
    throw InputError(path, "pass", "expected at least one threshold (max_falls, min_speed_ratio, min_speed_mps, max_heading_drift_deg)");
  c.conditions.sim.validate(path, "conditions.");
  const std::string collect = !c.collect.empty() && c.collect[0] == '/' ? c.collect : dir_of(path) + "/" + c.collect;
  try {
    s.setup = sim::load_collect(collect);
  } catch (const InputError& e) {
    throw InputError(path, "collect", std::string("the collect config does not load: ") + e.what());
  }
  // The scenario's settings on top of the collect config.
  s.setup.config.episode_seconds = c.seconds;
  s.setup.config.sim.randomize = c.conditions.randomize;
  s.setup.config.sim.conditions = c.conditions.sim;
  return s;
}

std::vector<Scenario> load_scenarios(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw InputError(dir, "", "expected a folder of scenario YAML files");
  std::vector<std::string> files;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name[0] != '.' && ends_with(name, ".yaml")) files.push_back(name);
    }
    ::closedir(d);
  } else {
    throw InputError(dir, "", "cannot read the folder");
  }
  if (files.empty()) throw InputError(dir, "", "no scenario files (*.yaml) in the folder");
  std::sort(files.begin(), files.end());
  std::vector<Scenario> out;
  std::set<std::string> names;
  const std::string prefix = ends_with(dir, "/") ? dir : dir + "/";
  for (const std::string& f : files) {
    out.push_back(load_scenario(prefix + f));
    if (!names.insert(out.back().config.name).second)
      throw InputError(prefix + f, "name", "scenario name '" + out.back().config.name + "' is already used by another file in " + dir);
  }
  return out;
}

// ---- the policy under test ----

const char* to_string(CheckMode m) {
  switch (m) {
    case CheckMode::Firmware: return "firmware";
    case CheckMode::Int8: return "int8";
    case CheckMode::Float: return "float";
  }
  return "?";
}

CheckMode parse_check_mode(const std::string& s) {
  if (s == "firmware") return CheckMode::Firmware;
  if (s == "int8") return CheckMode::Int8;
  if (s == "float") return CheckMode::Float;
  throw InputError("", "--mode", "expected firmware, int8 or float, got '" + s + "'");
}

CheckModel load_check_model(const std::string& path, CheckMode mode) {
  CheckModel m;
  m.mode = mode;
  m.path = path;
  m.policy = load_policy(path);
  const bool int8 = m.policy.kind == "tflite-int8";
  if (mode != CheckMode::Float && !int8)
    throw InputError(path, "", std::string("mode ") + to_string(mode) + " needs an int8 .tflite (tinywalk quantize), got a " + m.policy.kind +
                                   " model; use --mode float for it");
  if (mode == CheckMode::Float && int8)
    throw InputError(path, "", "mode float needs a float model (policy_f32.tflite or a .twck checkpoint), got an int8 .tflite; use --mode int8 or firmware");
  return m;
}

// ---- running and judging ----

std::string MetricCheck::describe() const {
  const char* op = passed ? (at_most ? "<=" : ">=") : (at_most ? ">" : "<");
  return metric + " " + num(value) + " " + op + " " + threshold_key + " " + num(threshold);
}

std::string ScenarioResult::failure_message() const {
  std::string s;
  for (const MetricCheck& c : checks)
    if (!c.passed) s += (s.empty() ? "" : "; ") + c.describe();
  return s;
}

void apply_thresholds(const ScenarioPass& p, ScenarioResult& r) {
  r.checks.clear();
  auto check = [&r](const char* metric, const char* key, double value, double threshold, bool at_most) {
    MetricCheck c{metric, key, value, threshold, at_most, at_most ? value <= threshold : value >= threshold};
    if (!std::isfinite(value)) c.passed = false;
    r.checks.push_back(c);
  };
  if (p.max_falls >= 0) check("falls", "max_falls", r.falls, p.max_falls, true);
  if (p.min_speed_ratio >= 0) check("speed_ratio", "min_speed_ratio", r.speed_ratio, p.min_speed_ratio, false);
  if (p.min_speed_mps >= 0) check("mean_speed_mps", "min_speed_mps", r.mean_speed_mps, p.min_speed_mps, false);
  if (p.max_heading_drift_deg >= 0) check("max_heading_drift_deg", "max_heading_drift_deg", r.max_abs_heading_drift_deg, p.max_heading_drift_deg, true);
  if (p.max_mean_heading_drift_deg >= 0)
    check("mean_heading_drift_deg", "max_mean_heading_drift_deg", r.mean_abs_heading_drift_deg, p.max_mean_heading_drift_deg, true);
  r.passed = true;
  for (const MetricCheck& c : r.checks) r.passed &= c.passed;
}

namespace {
int scenario_episodes(const Scenario& s, const CheckOptions& o) { return o.episodes > 0 ? o.episodes : s.config.episodes; }
}  // namespace

ExpertRun scenario_expert(const Scenario& s, const CheckOptions& o) {
  return evaluate_expert(s.setup, scenario_episodes(s, o), s.config.seed, o.threads);
}

ScenarioResult run_scenario(const Scenario& s, const CheckModel& m, const CheckOptions& o, const ExpertRun* expert) {
  const auto t0 = std::chrono::steady_clock::now();
  const int episodes = scenario_episodes(s, o);
  ScenarioResult r;
  r.name = s.config.name;
  r.description = s.config.description;
  r.file = s.path;
  r.mode = m.mode;
  EvalReport e;
  if (m.mode == CheckMode::Firmware)
    e = evaluate_firmware(m.policy.tflite, s.setup, episodes, s.config.seed, o.threads, o.progress, &r.firmware, true, expert);
  else
    e = evaluate(m.policy.source, s.setup, episodes, s.config.seed, o.threads, o.progress, expert);
  r.episodes = e.policy.episodes;
  r.falls = e.policy.falls + e.numerical_failures;  // a numerical failure ends the episode as a fall does
  r.numerical_failures = e.numerical_failures;
  r.expert_falls = e.expert.falls;
  r.mean_speed_mps = e.policy.mean_speed_mps;
  r.expert_mean_speed_mps = e.expert.mean_speed_mps;
  r.speed_ratio = e.expert.mean_speed_mps > 0 ? e.policy.mean_speed_mps / e.expert.mean_speed_mps : 0;
  r.mean_abs_heading_drift_deg = e.policy.mean_abs_heading_drift_deg;
  r.max_abs_heading_drift_deg = e.max_abs_heading_drift_deg;
  r.expert_mean_abs_heading_drift_deg = e.expert.mean_abs_heading_drift_deg;
  r.expert_max_abs_heading_drift_deg = e.expert_max_abs_heading_drift_deg;
  r.mean_reward = e.policy.mean_reward;
  r.expert_mean_reward = e.expert.mean_reward;
  apply_thresholds(s.config.pass, r);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// ---- reports ----

std::string summary_line(const ScenarioResult& r) {
  std::string s = r.name + "  " + (r.passed ? "PASS" : "FAIL") + "  falls " + std::to_string(r.falls) + "/" + std::to_string(r.episodes) +
                  ", speed " + fmt("%.3f", r.mean_speed_mps) + " m/s (" + fmt("%.0f", 100 * r.speed_ratio) + "% of the expert's " +
                  fmt("%.3f", r.expert_mean_speed_mps) + "), heading drift mean " + fmt("%.1f", r.mean_abs_heading_drift_deg) + " max " +
                  fmt("%.1f", r.max_abs_heading_drift_deg) + " deg (expert " + fmt("%.1f", r.expert_mean_abs_heading_drift_deg) + ", " +
                  fmt("%.1f", r.expert_max_abs_heading_drift_deg) + ")";
  if (!r.checks.empty()) {
    s += "  [";
    for (size_t i = 0; i < r.checks.size(); ++i) s += (i ? ", " : "") + r.checks[i].describe();
    s += "]";
  }
  return s + "  (" + fmt("%.1f", r.seconds) + " s)";
}

std::string xml_escape(const std::string& s) {
  // The report library's escaping, plus newlines as character references: JUnit messages are attributes.
  std::string o;
  for (char c : report::xml_escape(s)) o += c == '\n' ? std::string("&#10;") : std::string(1, c);
  return o;
}

std::string junit_xml(const std::vector<ScenarioResult>& results) {
  int failures = 0;
  double total = 0;
  for (const ScenarioResult& r : results) {
    failures += !r.passed;
    total += r.seconds;
  }
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites tests=\"" + std::to_string(results.size()) + "\" failures=\"" + std::to_string(failures) + "\" time=\"" +
       fmt("%.3f", total) + "\">\n";
  x += "  <testsuite name=\"tinywalk-check\" tests=\"" + std::to_string(results.size()) + "\" failures=\"" + std::to_string(failures) +
       "\" errors=\"0\" skipped=\"0\" time=\"" + fmt("%.3f", total) + "\">\n";
  for (const ScenarioResult& r : results) {
    x += "    <testcase classname=\"tinywalk.check\" name=\"" + xml_escape(r.name) + "\" time=\"" + fmt("%.3f", r.seconds) + "\"";
    if (r.passed) {
      x += ">\n";
    } else {
      x += ">\n      <failure type=\"threshold\" message=\"" + xml_escape(r.failure_message()) + "\">" + xml_escape(summary_line(r)) +
           "</failure>\n";
    }
    x += "      <system-out>" + xml_escape(r.description.empty() ? summary_line(r) : r.description + "\n" + summary_line(r)) +
         "</system-out>\n";
    x += "    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

std::string markdown(const std::vector<ScenarioResult>& results) {
  int passed = 0;
  for (const ScenarioResult& r : results) passed += r.passed;
  std::string mode = results.empty() ? "" : std::string(" (mode ") + to_string(results.front().mode) + ")";
  std::string m = "# tinywalk check" + mode + "\n\n" + std::to_string(passed) + " of " + std::to_string(results.size()) +
                  " scenarios passed.\n\n";
  m += "| scenario | result | falls | speed (m/s) | vs expert | heading drift mean / max (deg) | thresholds |\n";
  m += "|---|---|---|---|---|---|---|\n";
  auto cell = [](std::string s) {
    std::string o;
    for (char c : s) o += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
    return o;
  };
  for (const ScenarioResult& r : results) {
    std::string th;
    for (size_t i = 0; i < r.checks.size(); ++i) {
      const MetricCheck& c = r.checks[i];
      th += (i ? ", " : "") + (c.passed ? c.threshold_key + " " + num(c.threshold) : "**" + c.describe() + "**");
    }
    m += "| " + cell(r.name) + " | " + (r.passed ? "PASS" : "**FAIL**") + " | " + std::to_string(r.falls) + "/" + std::to_string(r.episodes) +
         " | " + fmt("%.3f", r.mean_speed_mps) + " | " + fmt("%.0f%%", 100 * r.speed_ratio) + " | " + fmt("%.1f", r.mean_abs_heading_drift_deg) + " / " + fmt("%.1f", r.max_abs_heading_drift_deg) +
         " | " + cell(th) + " |\n";
  }
  m += "\n";
  for (const ScenarioResult& r : results)
    if (!r.description.empty()) m += "- **" + cell(r.name) + "**: " + cell(r.description) + "\n";
  return m;
}

JsonObject result_json(const ScenarioResult& r) {
  JsonObject o;
  o.add("name", r.name)
      .add("passed", r.passed)
      .add("falls", r.falls)
      .add("episodes", r.episodes)
      .add("speed_ratio", r.speed_ratio)
      .add("mean_speed_mps", r.mean_speed_mps)
      .add("expert_mean_speed_mps", r.expert_mean_speed_mps)
      .add("expert_falls", r.expert_falls)
      .add("mean_abs_heading_drift_deg", r.mean_abs_heading_drift_deg)
      .add("max_abs_heading_drift_deg", r.max_abs_heading_drift_deg)
      .add("expert_mean_abs_heading_drift_deg", r.expert_mean_abs_heading_drift_deg)
      .add("expert_max_abs_heading_drift_deg", r.expert_max_abs_heading_drift_deg)
      .add("mean_reward", r.mean_reward)
      .add("numerical_failures", r.numerical_failures)
      .add("seconds", r.seconds)
      .add("failure", r.failure_message());
  if (r.mode == CheckMode::Firmware)
    o.add("firmware", JsonObject()
                          .add("steps", r.firmware.steps)
                          .add("imu_faults", r.firmware.imu_faults)
                          .add("deadline_misses", r.firmware.deadline_misses)
                          .add("safe_stops", r.firmware.safe_stops));
  return o;
}

std::vector<std::string> write_scenario_plots(const std::string& dir,
                                              const std::vector<std::pair<std::string, const std::vector<ScenarioResult>*>>& variants) {
  std::vector<report::ScenarioResult> rows;
  for (const auto& [label, results] : variants)
    for (const ScenarioResult& r : *results) {
      report::ScenarioResult row;
      row.name = r.name;
      row.variant = label;
      row.passed = r.passed;
      double max_falls = NAN, min_ratio = NAN;
      for (const MetricCheck& c : r.checks) {
        if (c.threshold_key == "max_falls") max_falls = c.threshold;
        if (c.threshold_key == "min_speed_ratio") min_ratio = c.threshold;
      }
      row.metrics = {{"speed ratio", "x expert", r.speed_ratio, min_ratio, true}, {"falls", "episodes", static_cast<double>(r.falls), max_falls, false}};
      rows.push_back(row);
    }
  return report::write_scenario_plots(dir, rows);
}

}  // namespace tinywalk::pipeline
