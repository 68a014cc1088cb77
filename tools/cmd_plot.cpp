// tinywalk plot: the standard SVG pictures of a run (joint commands, trajectory, speed, learning curve).
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "common/error.h"
#include "dataset/dataset.h"
#include "report/plots.h"
#include "report/replay.h"
#include "sim/robot_config.h"
#include "tools/cli.h"

namespace tinywalk::cli {

namespace {

// Takes every "--name V" / "--name=V" out of argv (these options may repeat).
std::vector<std::string> take_repeated(const std::string& name, std::vector<char*>& args) {
  std::vector<std::string> values;
  std::vector<char*> rest;
  const std::string flag = "--" + name;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string s = args[i];
    if (s == flag) {
      if (i + 1 >= args.size()) throw InputError("", flag, "expects a value");
      values.push_back(args[++i]);
    } else if (s.rfind(flag + "=", 0) == 0) {
      values.push_back(s.substr(flag.size() + 1));
    } else {
      rest.push_back(args[i]);
    }
  }
  args = rest;
  return values;
}

std::vector<int> parse_joints(const std::string& text, const std::vector<std::string>& names) {
  std::vector<int> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    int index = -1;
    for (size_t j = 0; j < names.size(); ++j)
      if (names[j] == item) index = static_cast<int>(j);
    if (index < 0) {
      char* end = nullptr;
      const long v = std::strtol(item.c_str(), &end, 10);
      if (!item.empty() && !*end) index = static_cast<int>(v);
    }
    if (index < 0 || index >= static_cast<int>(names.size()))
      throw InputError("", "--joints", "'" + item + "' is not a joint index (0-" + std::to_string(names.size() - 1) + ") or name of the robot");
    out.push_back(index);
  }
  if (out.empty() || out.size() > 4) throw InputError("", "--joints", "expected 1 to 4 joints, comma-separated");
  return out;
}

}  // namespace

int cmd_plot(int argc, char** argv) {
  return run("plot", argc, argv, [&](bool&) {
    Args a("plot",
           "Write the standard SVG pictures of a run into a folder: joint commands, base trajectory from above and\n"
           "forward speed for one episode of each variant, and the trainer's learning curve.\n"
           "Variants: repeat --data (one file per variant, --label each), or give one --data and several --label\n"
           "to compare episodes N, N+1, ... of that file.");
    a.option("data", "FILE", "dataset (.h5); may repeat")
        .option("label", "NAME", "name of a variant in the legends (e.g. float, int8, \"int8 + firmware\"); may repeat")
        .option("episode", "N", "episode index (the first one when one file holds several variants)", "0")
        .option("joints", "LIST", "1-4 joints to plot, comma-separated indices or names (default: the first leg's two)")
        .option("dt", "S", "seconds per dataset row (default: sim.control_dt of the first dataset's config, else 0.033)")
        .option("robot", "FILE", "robot YAML, for joint names", sim::default_robot_path())
        .option("curve", "FILE", "the trainer's learning_curve.csv")
        .option("out", "DIR", "folder for the .svg files (created)");
    std::vector<char*> args(argv, argv + argc);
    const std::vector<std::string> files = take_repeated("data", args), labels = take_repeated("label", args);
    if (!a.parse(static_cast<int>(args.size()), args.data())) return kOk;
    if (!a.has("out")) throw InputError("", "--out", "missing: expected the folder to write the pictures to (e.g. --out plots/)");
    if (files.empty() && !a.has("curve")) throw InputError("", "--data", "missing: expected a dataset (--data FILE.h5) and/or --curve FILE");
    if (files.size() > 1 && !labels.empty() && labels.size() != files.size())
      throw InputError("", "--label", "given " + std::to_string(labels.size()) + " times for " + std::to_string(files.size()) +
                                          " --data files: expected one label per file");
    if (files.empty() && !labels.empty()) throw InputError("", "--label", "needs --data");
    const std::string dir = a.str("out");
    const int first = a.integer("episode", 0, 1 << 30);

    // Load the variants: one per file, or several episodes of one file.
    std::vector<data::Dataset> sets;
    for (const std::string& f : files) sets.push_back(data::read_dataset(f));
    std::vector<report::EpisodeVariant> variants;
    const size_t count = files.size() == 1 ? std::max<size_t>(1, labels.size()) : files.size();
    for (size_t v = 0; v < count && !files.empty(); ++v) {
      const size_t fi = files.size() == 1 ? 0 : v;
      const int k = first + (files.size() == 1 ? static_cast<int>(v) : 0);
      const int have = static_cast<int>(sets[fi].episodes.size());
      if (k >= have)
        throw InputError(files[fi], "--episode", "episode " + std::to_string(k) + " does not exist: the dataset has " + std::to_string(have) +
                                                     " episodes");
      std::string label = v < labels.size() ? labels[v] : std::filesystem::path(files[fi]).stem().string() + " ep " + std::to_string(k);
      variants.push_back({label, &sets[fi].episodes[k]});
    }

    std::vector<std::string> written;
    if (!variants.empty()) {
      report::EpisodePlotOptions o;
      o.control_dt = report::dataset_control_dt(sets[0].info);
      if (a.has("dt")) {
        o.control_dt = a.num("dt");
        if (!(o.control_dt > 0 && o.control_dt <= 10)) throw InputError("", "--dt", "expected seconds in (0, 10]");
      }
      // Joint names from the robot YAML when its joint count matches the data (else "joint <i>").
      const auto it = variants[0].episode->privileged.find("executed_action");
      const int nj = it == variants[0].episode->privileged.end() ? 0 : it->second.dim;
      const sim::Robot robot = sim::load_robot(a.str("robot"));
      if (robot.num_joints() == nj) o.joint_names = robot.config.joints;
      else
        for (int j = 0; j < nj; ++j) o.joint_names.push_back("joint " + std::to_string(j));
      if (a.has("joints")) o.joints = parse_joints(a.str("joints"), o.joint_names);
      for (const std::string& f : report::write_episode_plots(dir, variants, o)) written.push_back(f);
    }
    if (a.has("curve")) written.push_back(report::write_learning_curve_plot(dir, a.str("curve")));

    std::printf("wrote %zu pictures to %s:\n", written.size(), dir.c_str());
    for (const std::string& f : written) std::printf("  %s\n", f.c_str());
    if (a.json()) {
      std::vector<std::string> names;
      for (const auto& v : variants) names.push_back(v.label);
      print_json(JsonObject().add("ok", true).add("out", dir).add("files", written).add("variants", names));
    }
    return kOk;
  });
}

}  // namespace tinywalk::cli
