// Standard pipeline pictures.
//
// Outline
// - Signal access with InputErrors naming the variant and signal.
// - learning curve: CSV parsing, losses over cumulative epochs, DAgger round starts.
// - episode pictures: joint commands (panels), trajectory from above, forward speed.
// - scenario charts: one bar chart per metric, scenarios x variants.
// - writers: create the folder, write each file atomically.
#include "report/plots.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "report/svg_plot.h"

namespace tinywalk::report {

namespace {

constexpr double kRadToDeg = 57.29577951308232;

const data::Signal& privileged(const EpisodeVariant& v, const std::string& name, int min_dim) {
  if (!v.episode) throw InputError("", "variant " + v.label, "has no episode");
  auto it = v.episode->privileged.find(name);
  if (it == v.episode->privileged.end()) throw InputError("", "variant " + v.label + ": privileged/" + name, "missing from the episode");
  if (it->second.dim < min_dim)
    throw InputError("", "variant " + v.label + ": privileged/" + name,
                     "has width " + std::to_string(it->second.dim) + ", expected at least " + std::to_string(min_dim));
  return it->second;
}

double parse_number(const std::string& s, const std::string& source, int line, const std::string& column) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s == "null" || s == "nan") return NAN;
  if (s.empty() || *end || errno) throw InputError(source, "line " + std::to_string(line) + ", column " + column, "expected a number, got '" + s + "'");
  return v;
}

void ensure_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) throw InputError(dir, "", "cannot create the output directory: " + ec.message());
}

std::string join(const std::string& dir, const std::string& name) { return (std::filesystem::path(dir) / name).string(); }

std::string file_safe(const std::string& s) {
  std::string o;
  for (char c : s) o += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  return o.empty() ? "metric" : o;
}

}  // namespace

std::vector<CurveRow> parse_learning_curve(const std::string& csv, const std::string& source) {
  std::istringstream in(csv);
  std::string line;
  if (!std::getline(in, line)) throw InputError(source, "line 1", "empty file: expected the header round,epoch,train_loss,val_loss,samples,best");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != "round,epoch,train_loss,val_loss,samples,best")
    throw InputError(source, "line 1", "expected the header round,epoch,train_loss,val_loss,samples,best, got '" + line + "'");
  static const char* const kColumns[] = {"round", "epoch", "train_loss", "val_loss", "samples", "best"};
  std::vector<CurveRow> rows;
  for (int n = 2; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) f.push_back(cell);
    if (f.size() != 6) throw InputError(source, "line " + std::to_string(n), "expected 6 comma-separated values, got " + std::to_string(f.size()));
    double v[6];
    for (int k = 0; k < 6; ++k) v[k] = parse_number(f[k], source, n, kColumns[k]);
    rows.push_back({static_cast<int>(v[0]), static_cast<int>(v[1]), v[2], v[3], static_cast<long long>(v[4]), v[5] != 0});
  }
  return rows;
}

std::string learning_curve_svg(const std::vector<CurveRow>& rows) {
  LinePlot p;
  p.title = "Learning curve (behaviour cloning, then DAgger rounds)";
  p.x = {"epoch, all rounds", "", NAN, NAN};
  p.y = {"loss", "", NAN, NAN};
  Series train{"train loss", {}, {}, palette(0), false}, val{"validation loss", {}, {}, palette(1), false};
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < rows.size(); ++i) {
    train.x.push_back(static_cast<double>(i)), train.y.push_back(rows[i].train_loss);
    val.x.push_back(static_cast<double>(i)), val.y.push_back(rows[i].val_loss);
    for (double v : {rows[i].train_loss, rows[i].val_loss})
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  p.series = {train, val};
  // A vertical marker where each DAgger round starts.
  Series rounds{"DAgger round start", {}, {}, "#999999", true};
  for (size_t i = 1; i < rows.size() && std::isfinite(lo); ++i)
    if (rows[i].round != rows[i - 1].round) {
      if (!rounds.x.empty()) rounds.x.push_back(NAN), rounds.y.push_back(NAN);
      rounds.x.insert(rounds.x.end(), {i - 0.5, i - 0.5});
      rounds.y.insert(rounds.y.end(), {lo, hi});
    }
  if (!rounds.x.empty()) p.series.push_back(rounds);
  return line_plot_svg(p);
}

std::string joint_commands_svg(const std::vector<EpisodeVariant>& variants, const EpisodePlotOptions& o) {
  std::vector<int> joints = o.joints.empty() ? std::vector<int>{0, 1} : o.joints;
  std::vector<std::string> panels;
  std::vector<int> heights;
  for (int j : joints) {
    LinePlot p;
    const std::string name = j >= 0 && j < static_cast<int>(o.joint_names.size()) ? o.joint_names[j] : "joint " + std::to_string(j);
    p.title = "Joint command: " + name;
    p.x = {"time", "s", 0, NAN};
    p.y = {"executed command", "deg", NAN, NAN};
    p.height = 300;
    for (size_t v = 0; v < variants.size(); ++v) {
      const data::Signal& a = privileged(variants[v], "executed_action", 1);
      if (j < 0 || j >= a.dim)
        throw InputError("", "joint " + std::to_string(j), "is not a joint of variant " + variants[v].label + " (" + std::to_string(a.dim) + " joints)");
      Series s{variants[v].label, {}, {}, palette(static_cast<int>(v)), v > 0 && variants.size() > 2 && v % 2 == 0};
      for (int64_t r = 0; r < a.rows(); ++r) {
        const double t = static_cast<double>(r) * o.control_dt;
        if (o.joint_window_s > 0 && t > o.joint_window_s + 1e-9) break;
        s.x.push_back(t), s.y.push_back(a.row(r)[j] * kRadToDeg);
      }
      p.series.push_back(s);
    }
    if (o.joint_window_s > 0) p.x.max = o.joint_window_s;
    panels.push_back(line_plot_svg(p));
    heights.push_back(p.height);
  }
  return stack_svgs(panels, 760, heights);
}

std::string trajectory_svg(const std::vector<EpisodeVariant>& variants) {
  LinePlot p;
  p.title = "Base trajectory seen from above";
  p.x = {"x", "m", NAN, NAN};
  p.y = {"y", "m", NAN, NAN};
  p.height = 520;
  for (size_t v = 0; v < variants.size(); ++v) {
    const data::Signal& b = privileged(variants[v], "base_position", 3);
    Series s{variants[v].label, {}, {}, palette(static_cast<int>(v)), false};
    for (int64_t r = 0; r < b.rows(); ++r) s.x.push_back(b.row(r)[0]), s.y.push_back(b.row(r)[1]);
    p.series.push_back(s);
  }
  return xy_plot_svg(p);
}

std::vector<double> forward_speed(const data::EpisodeData& e, double control_dt, double window_s) {
  EpisodeVariant v{"episode", &e};
  const data::Signal& b = privileged(v, "base_position", 3);
  const data::Signal& q = privileged(v, "base_orientation", 4);
  const int64_t n = b.rows();
  std::vector<double> out(n, NAN);
  if (n < 2 || !(control_dt > 0)) return out;
  // Heading of row 0: yaw of the base's x axis.
  double yaw = 0;
  if (q.rows() > 0) {
    const double x = q.row(0)[0], y = q.row(0)[1], z = q.row(0)[2], w = q.row(0)[3];
    yaw = std::atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
    if (!std::isfinite(yaw)) yaw = 0;
  }
  const double fx = std::cos(yaw), fy = std::sin(yaw);
  const int64_t h = std::max<int64_t>(1, std::llround(0.5 * window_s / control_dt));
  for (int64_t r = 0; r < n; ++r) {
    const int64_t a = std::max<int64_t>(0, r - h), c = std::min(n - 1, r + h);
    if (c <= a) continue;
    const double dx = b.row(c)[0] - b.row(a)[0], dy = b.row(c)[1] - b.row(a)[1];
    out[r] = (dx * fx + dy * fy) / (static_cast<double>(c - a) * control_dt);
  }
  return out;
}

std::string forward_speed_svg(const std::vector<EpisodeVariant>& variants, const EpisodePlotOptions& o) {
  LinePlot p;
  char window[32];
  std::snprintf(window, sizeof window, "%.2g", o.speed_window_s);
  p.title = std::string("Forward speed (along the initial heading, ") + window + " s window)";
  p.x = {"time", "s", 0, NAN};
  p.y = {"forward speed", "m/s", NAN, NAN};
  for (size_t v = 0; v < variants.size(); ++v) {
    privileged(variants[v], "base_position", 3);
    const std::vector<double> sp = forward_speed(*variants[v].episode, o.control_dt, o.speed_window_s);
    Series s{variants[v].label, {}, sp, palette(static_cast<int>(v)), false};
    for (size_t r = 0; r < sp.size(); ++r) s.x.push_back(static_cast<double>(r) * o.control_dt);
    p.series.push_back(s);
  }
  return line_plot_svg(p);
}

std::vector<std::pair<std::string, std::string>> scenario_svgs(const std::vector<ScenarioResult>& results) {
  std::vector<std::string> metrics, scenarios, variants;
  auto index = [](std::vector<std::string>& v, const std::string& s) {
    auto it = std::find(v.begin(), v.end(), s);
    if (it != v.end()) return static_cast<size_t>(it - v.begin());
    v.push_back(s);
    return v.size() - 1;
  };
  for (const ScenarioResult& r : results) {
    index(scenarios, r.name), index(variants, r.variant);
    for (const ScenarioMetric& m : r.metrics) index(metrics, m.name);
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& metric : metrics) {
    BarChart c;
    c.title = "Per-scenario results: " + metric;
    c.categories = scenarios;
    c.thresholds.assign(scenarios.size(), NAN);
    c.category_passed.assign(scenarios.size(), -1);
    for (const std::string& v : variants) c.series.push_back({v.empty() ? metric : v, std::vector<double>(scenarios.size(), NAN), ""});
    for (const ScenarioResult& r : results) {
      const size_t k = index(scenarios, r.name), s = index(variants, r.variant);
      c.category_passed[k] = c.category_passed[k] == 0 ? 0 : (r.passed ? 1 : 0);
      for (const ScenarioMetric& m : r.metrics)
        if (m.name == metric) {
          c.series[s].values[k] = m.value;
          if (std::isfinite(m.threshold)) c.thresholds[k] = m.threshold;
          c.higher_is_better = m.higher_is_better;
          c.y = {metric, m.unit, NAN, NAN};
        }
    }
    // The same threshold everywhere: one line across the chart.
    bool same = !c.thresholds.empty();
    for (double t : c.thresholds) same &= std::isfinite(t) && t == c.thresholds[0];
    if (same) c.thresholds.resize(1);
    c.threshold_label = std::string("threshold (") + (c.higher_is_better ? "at least" : "at most") + ")";
    out.emplace_back(metric, bar_chart_svg(c));
  }
  return out;
}

std::vector<std::string> write_episode_plots(const std::string& dir, const std::vector<EpisodeVariant>& variants,
                                             const EpisodePlotOptions& o) {
  if (variants.empty()) throw InputError("", "variants", "no episodes to plot");
  // Render everything first, so bad input writes nothing.
  const std::string joints = joint_commands_svg(variants, o), traj = trajectory_svg(variants), speed = forward_speed_svg(variants, o);
  ensure_dir(dir);
  std::vector<std::string> files = {join(dir, "joint_commands.svg"), join(dir, "trajectory.svg"), join(dir, "forward_speed.svg")};
  write_file_atomic(files[0], joints);
  write_file_atomic(files[1], traj);
  write_file_atomic(files[2], speed);
  return files;
}

std::string write_learning_curve_plot(const std::string& dir, const std::string& csv_path) {
  const std::string svg = learning_curve_svg(parse_learning_curve(read_file(csv_path), csv_path));
  ensure_dir(dir);
  const std::string path = join(dir, "learning_curve.svg");
  write_file_atomic(path, svg);
  return path;
}

std::vector<std::string> write_scenario_plots(const std::string& dir, const std::vector<ScenarioResult>& results) {
  const auto svgs = scenario_svgs(results);
  ensure_dir(dir);
  std::vector<std::string> files;
  for (const auto& [metric, svg] : svgs) {
    files.push_back(join(dir, "scenario_" + file_safe(metric) + ".svg"));
    write_file_atomic(files.back(), svg);
  }
  return files;
}

}  // namespace tinywalk::report
