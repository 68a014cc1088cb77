// The standard pictures of a pipeline run, as SVG files (report/svg_plot.h).
// Plain structs in, files out, so the pipeline and the CLI can both call it.
//
// Files (in `dir`, written atomically; the directory is created):
//   learning_curve.svg    train and validation loss per epoch (trainer's learning_curve.csv)
//   joint_commands.svg    privileged/executed_action of 2-4 joints, deg over s, one panel per joint, one line per variant
//   trajectory.svg        privileged/base_position x, y seen from above, equal aspect, every variant overlaid
//   forward_speed.svg     speed along the initial heading, m/s over s (centred difference over speed_window_s)
//   scenario_<metric>.svg per-scenario results of one metric, bars against its threshold
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "dataset/dataset.h"

namespace tinywalk::report {

// One labelled episode to compare (e.g. "float", "int8", "int8 + firmware").
struct EpisodeVariant {
  std::string label;
  const data::EpisodeData* episode = nullptr;  // not owned; must outlive the call
};

struct EpisodePlotOptions {
  double control_dt = 0.033;             // s per dataset row
  std::vector<int> joints;               // robot joint-order indices to plot (empty: 0 and 1, i.e. the first leg)
  std::vector<std::string> joint_names;  // names for the panel titles (robot joint order; may be empty)
  double joint_window_s = 4;             // s; joint commands are drawn for [0, this] (0: the whole episode)
  double speed_window_s = 0.5;           // s; forward speed is a centred difference over this window
};

// One row of the trainer's learning_curve.csv (columns round,epoch,train_loss,val_loss,samples,best).
struct CurveRow {
  int round = 0, epoch = 0;
  double train_loss = NAN, val_loss = NAN;
  long long samples = 0;
  bool best = false;
};

// Parses learning_curve.csv text; InputError naming `source` and the line on a bad header or row.
std::vector<CurveRow> parse_learning_curve(const std::string& csv, const std::string& source);

// Per-scenario evaluation results, one entry per (scenario, variant).
struct ScenarioMetric {
  std::string name;               // e.g. "speed_ratio", "falls"
  std::string unit;               // e.g. "" or "episodes"
  double value = NAN;
  double threshold = NAN;         // NaN: none
  bool higher_is_better = true;   // pass: value >= threshold (else <=)
};
struct ScenarioResult {
  std::string name;               // scenario, e.g. "flat", "low friction"
  std::string variant;            // e.g. "int8"; empty: a single variant
  bool passed = false;            // the scenario's overall verdict
  std::vector<ScenarioMetric> metrics;
};

// SVG text of each picture (the file writers below call these).
std::string learning_curve_svg(const std::vector<CurveRow>& rows);
std::string joint_commands_svg(const std::vector<EpisodeVariant>& variants, const EpisodePlotOptions& o);
std::string trajectory_svg(const std::vector<EpisodeVariant>& variants);
std::string forward_speed_svg(const std::vector<EpisodeVariant>& variants, const EpisodePlotOptions& o);
// One chart per metric name (in order of first appearance): {metric name, SVG}.
std::vector<std::pair<std::string, std::string>> scenario_svgs(const std::vector<ScenarioResult>& results);

// Forward speed, m/s, one value per row: displacement along the heading of
// row 0 (yaw of privileged/base_orientation) over a centred window.
std::vector<double> forward_speed(const data::EpisodeData& e, double control_dt, double window_s);

// Writers: each returns the paths it wrote. InputError names the file or
// signal on bad input (a variant without privileged/executed_action, ...).
std::vector<std::string> write_episode_plots(const std::string& dir, const std::vector<EpisodeVariant>& variants,
                                             const EpisodePlotOptions& o);
std::string write_learning_curve_plot(const std::string& dir, const std::string& learning_curve_csv_path);
std::vector<std::string> write_scenario_plots(const std::string& dir, const std::vector<ScenarioResult>& results);

}  // namespace tinywalk::report
