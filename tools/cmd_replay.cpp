// tinywalk replay: one recorded episode as a self-contained 3D HTML replay.
#include <cstdio>

#include "common/atomic_file.h"
#include "common/error.h"
#include "dataset/dataset.h"
#include "report/replay.h"
#include "sim/robot_config.h"
#include "tools/cli.h"

namespace tinywalk::cli {

int cmd_replay(int argc, char** argv) {
  return run("replay", argc, argv, [&](bool&) {
    Args a("replay",
           "Write one episode of a tinywalk dataset as a single HTML file that animates the robot in 3D in a browser,\n"
           "offline (no network, no third-party code): orbit with the mouse, zoom with the wheel, play/pause, time slider.");
    a.option("data", "FILE", "dataset (.h5) from tinywalk collect or the pipeline")
        .option("episode", "N", "episode index in the dataset", "0")
        .option("robot", "FILE", "robot YAML the episode was recorded with", sim::default_robot_path())
        .option("dt", "S", "seconds per dataset row (default: sim.control_dt of the dataset's config, else 0.033)")
        .option("title", "TEXT", "page title (default: file name and episode)")
        .option("out", "FILE", "HTML file to write (atomically)");
    if (!a.parse(argc, argv)) return kOk;
    if (!a.has("data")) throw InputError("", "--data", "missing: expected a dataset file (e.g. --data data.h5)");
    if (!a.has("out")) throw InputError("", "--out", "missing: expected the HTML file to write (e.g. --out replay.html)");
    const std::string path = a.str("data");
    const data::Dataset d = data::read_dataset(path);
    const int episodes = static_cast<int>(d.episodes.size());
    if (episodes == 0) throw InputError(path, "/data", "the dataset has no episodes");
    const int k = a.integer("episode", 0, 1 << 30);
    if (k >= episodes)
      throw InputError(path, "--episode", "episode " + std::to_string(k) + " does not exist: the dataset has " + std::to_string(episodes) +
                                              " episodes (0-" + std::to_string(episodes - 1) + ")");
    double dt = report::dataset_control_dt(d.info);
    if (a.has("dt")) {
      dt = a.num("dt");
      if (!(dt > 0 && dt <= 10)) throw InputError("", "--dt", "expected seconds in (0, 10]");
    }
    const sim::Robot robot = sim::load_robot(a.str("robot"));
    if (!d.info.robot.empty() && d.info.robot != robot.config.name)
      std::fprintf(stderr, "tinywalk replay: warning: %s was recorded with robot '%s', drawing it as '%s' (%s)\n", path.c_str(),
                   d.info.robot.c_str(), robot.config.name.c_str(), a.str("robot").c_str());
    const std::string title = a.has("title") ? a.str("title") : path + " - episode " + std::to_string(k);
    const report::ReplayInput in = report::replay_input(d.episodes[k], robot, dt, title, path + " /data/demo_" + std::to_string(k));
    const std::string html = report::replay_html(in);
    write_file_atomic(a.str("out"), html);
    const double seconds = (in.frames() - 1) * dt;
    std::printf("replay of %s episode %d: %d frames, %.1f s at %.3f s per frame -> %s (%zu bytes)\n", path.c_str(), k, in.frames(), seconds,
                dt, a.str("out").c_str(), html.size());
    if (a.json())
      print_json(JsonObject()
                     .add("ok", true)
                     .add("out", a.str("out"))
                     .add("data", path)
                     .add("episode", k)
                     .add("frames", in.frames())
                     .add("seconds", seconds)
                     .add("control_dt", dt)
                     .add("robot", robot.config.name)
                     .add("bytes", static_cast<int64_t>(html.size())));
    return kOk;
  });
}

}  // namespace tinywalk::cli
