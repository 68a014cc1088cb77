// tinywalk sim: one headless episode of the simulated robot.
#include <cstdio>

#include "common/error.h"
#include "sim/sim_run.h"
#include "tools/cli.h"

namespace tinywalk::cli {

int cmd_sim(int argc, char** argv) {
  return run("sim", argc, argv, [&](bool&) {
    Args a("sim", "Run the simulated robot headless: hold a pose, or play an open-loop gait table, and log every control step.\n"
                  "Exit code 1 if the robot fell or the physics failed.");
    a.option("robot", "FILE", "robot description YAML", sim::default_robot_path())
        .option("config", "FILE", "simulation settings YAML (configs/sim/default.yaml); flags below override it")
        .option("pose", "stand|zero", "pose to start in and hold", "stand")
        .option("gait", "FILE", "open-loop gait table YAML to play after --settle seconds (e.g. configs/gaits/bittle_trot.yaml)")
        .option("seconds", "S", "simulated time", "10")
        .option("settle", "S", "seconds to hold the pose before the gait starts", "0.5")
        .option("seed", "N", "seed of the first episode (randomization, noise, pushes); episode k uses seed + k", "0")
        .option("episodes", "N", "number of episodes; falls and numerical failures are counted", "1")
        .flag("randomize", "sample the robot's domain-randomization ranges for this episode")
        .option("physics-dt", "S", "physics step (overrides the config)")
        .option("control-dt", "S", "control period, a multiple of the physics step (overrides the config)")
        .option("out", "FILE", "write a CSV log, one row per control step")
        .flag("dump-config", "print the simulation settings in effect as YAML and exit");
    if (!a.parse(argc, argv)) return kOk;

    // Settings: defaults, then the config file, then flags.
    sim::SimConfig cfg;
    std::string cfg_name = "command line";
    if (a.has("config")) {
      cfg = sim::load_sim_config(a.str("config"));
      cfg_name = a.str("config");
    }
    if (a.has("physics-dt")) cfg.physics_dt = a.num("physics-dt");
    if (a.has("control-dt")) cfg.control_dt = a.num("control-dt");
    if (a.on("randomize")) cfg.randomize = true;
    if (!(cfg.physics_dt > 0)) throw InputError("", "--physics-dt", "expected a number > 0");
    if (!(cfg.control_dt > 0)) throw InputError("", "--control-dt", "expected a number > 0");
    cfg.validate(cfg_name);
    if (a.on("dump-config")) {
      std::printf("%s", config::to_yaml(cfg).c_str());
      return kOk;
    }
    sim::SimRunOptions o;
    o.pose = a.str("pose");
    o.gait_path = a.str("gait");
    o.seconds = a.num("seconds");
    o.settle = a.num("settle");
    o.seed = a.u64("seed");
    o.episodes = a.integer("episodes", 1, 1000000);
    o.csv_path = a.str("out");
    if (!(o.seconds > 0) || o.seconds > 1e6) throw InputError("", "--seconds", "expected a number in (0, 1e6]");
    if (o.settle < 0) throw InputError("", "--settle", "expected a number >= 0");
    if (show_progress() && !a.json())
      o.progress = [&o](int e, double t, double total) {
        std::fprintf(stderr, "\r  episode %d/%d: simulated %.0f / %.0f s", e + 1, o.episodes, t, total);
      };

    const sim::Robot robot = sim::load_robot(a.str("robot"));
    const sim::SimBatchSummary b = sim::run_sim(robot, cfg, o);
    if (o.progress) std::fprintf(stderr, "\n");
    const bool ok = b.falls == 0 && b.numerical_failures == 0;

    // A line per episode, then the totals.
    for (size_t e = 0; e < b.runs.size(); ++e) {
      const sim::SimRunSummary& s = b.runs[e];
      std::printf("episode %zu (seed %llu): %.2f s, %s%s%s\n", e, static_cast<unsigned long long>(o.seed + e), s.seconds,
                  sim::to_string(s.status), s.reason.empty() ? "" : ": ", s.reason.c_str());
      std::printf("  base height %.4f m (min %.4f), moved %.3f m (forward %.3f m, %.3f m/s), heading change %.1f deg, "
                  "max tilt %.1f deg, max torque %.3f N m\n",
                  s.base_height_m, s.min_base_height_m, s.distance_m, s.forward_m, s.mean_speed_mps, s.heading_change_deg,
                  s.max_tilt_deg, s.max_torque_nm);
    }
    std::printf("robot %s, %s%s: %zu episodes, %d falls, %d numerical failures, %.0f physics steps/s%s%s\n",
                robot.config.name.c_str(), o.gait_path.empty() ? ("pose " + o.pose).c_str() : ("gait " + o.gait_path).c_str(),
                cfg.randomize ? ", randomized" : "", b.runs.size(), b.falls, b.numerical_failures, b.physics_steps_per_s,
                o.csv_path.empty() ? "" : ", log: ", o.csv_path.c_str());
    if (a.json()) {
      using S = sim::SimRunSummary;
      const S& first = b.runs.front();
      JsonObject j;
      j.add("ok", ok)
          .add("robot", robot.config.name)
          .add("mode", o.gait_path.empty() ? "pose:" + o.pose : "gait:" + o.gait_path)
          .add("seed", o.seed)
          .add("randomized", cfg.randomize)
          .add("episodes", static_cast<int>(b.runs.size()))
          .add("falls", b.falls)
          .add("numerical_failures", b.numerical_failures)
          .add("fell", b.falls > 0)
          .add("status", b.runs.size() == 1 ? sim::to_string(first.status) : (ok ? "running" : "failures"))
          .add("reason", first.reason)
          .add("seconds", b.mean(&S::seconds))
          .add("physics_steps_per_s", b.physics_steps_per_s)
          .add("base_height_m", b.mean(&S::base_height_m))
          .add("min_base_height_m", b.mean(&S::min_base_height_m))
          .add("distance_m", b.mean(&S::distance_m))
          .add("forward_m", b.mean(&S::forward_m))
          .add("mean_speed_mps", b.mean(&S::mean_speed_mps))
          .add("heading_change_deg", b.mean(&S::heading_change_deg))
          .add("max_tilt_deg", b.mean(&S::max_tilt_deg))
          .add("max_torque_nm", b.mean(&S::max_torque_nm));
      if (!o.csv_path.empty()) j.add("csv", o.csv_path);
      print_json(j);
    }
    return ok ? kOk : kCheckFailed;
  });
}

}  // namespace tinywalk::cli
