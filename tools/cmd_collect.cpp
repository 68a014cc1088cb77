// tinywalk collect: roll out the privileged expert and record an imitation dataset.
#include <cstdio>

#include "common/error.h"
#include "sim/rollout.h"
#include "tools/cli.h"

namespace tinywalk::cli {

int cmd_collect(int argc, char** argv) {
  return run("collect", argc, argv, [&](bool&) {
    Args a("collect",
           "Roll out the privileged expert in the randomized simulator and record, per control step, what the robot\n"
           "observes, the privileged state, the expert's action, the reference and the reward terms, into HDF5.\n"
           "The same seed gives the same file bytes with any --threads.");
    a.option("config", "FILE", "collect config YAML", std::string(TINYWALK_CONFIG_DIR) + "/collect/bittle_trot.yaml")
        .option("episodes", "N", "number of episodes (episode k uses seed + k)", "10")
        .option("seed", "N", "seed of the first episode", "0")
        .option("threads", "N", "worker threads (0 = one per core)", "0")
        .option("seconds", "S", "episode length (overrides episode_seconds in the config)")
        .option("out", "FILE", "dataset to write (HDF5, written atomically)")
        .flag("dump-config", "print the collect settings in effect as YAML and exit");
    if (!a.parse(argc, argv)) return kOk;
    sim::CollectSetup setup = sim::load_collect(a.str("config"));
    if (a.has("seconds")) {
      const double sec = a.num("seconds");
      if (!(sec >= 0.05 && sec <= 3600)) throw InputError("", "--seconds", "expected a number in [0.05, 3600]");
      setup.config.episode_seconds = sec;
    }
    if (a.on("dump-config")) {
      std::printf("%s", config::to_yaml(setup.config).c_str());
      return kOk;
    }
    if (!a.has("out")) throw InputError("", "--out", "missing: expected the dataset file to write (e.g. --out data.h5)");
    sim::RolloutOptions o;
    o.episodes = a.integer("episodes", 1, 1000000);
    o.threads = a.integer("threads", 0, 256);
    o.seed = a.u64("seed");
    if (show_progress() && !a.json())
      o.progress = [](int done, int total) {
        const int width = 30, fill = width * done / total;
        std::fprintf(stderr, "\r  collecting [%s%s] %d/%d episodes", std::string(fill, '#').c_str(),
                     std::string(width - fill, '.').c_str(), done, total);
      };
    sim::RolloutSummary s;
    const data::Dataset d = sim::rollout(setup, o, &s);
    data::write_dataset(a.str("out"), d);
    if (o.progress) std::fprintf(stderr, "\n");

    std::printf("collected %d episodes (%lld steps) in %.1f s: %d falls, %d numerical failures, mean speed %.3f m/s, "
                "mean reward %.3f, heading drift mean %.1f deg (max %.1f)\n  dataset: %s\n",
                s.episodes, static_cast<long long>(s.steps), s.wall_seconds, s.falls, s.numerical_failures, s.mean_speed_mps,
                s.mean_reward, s.mean_abs_heading_drift_deg, s.max_abs_heading_drift_deg, a.str("out").c_str());
    if (a.json())
      print_json(JsonObject()
                     .add("ok", true)
                     .add("out", a.str("out"))
                     .add("episodes", s.episodes)
                     .add("steps", static_cast<int64_t>(s.steps))
                     .add("falls", s.falls)
                     .add("numerical_failures", s.numerical_failures)
                     .add("mean_speed_mps", s.mean_speed_mps)
                     .add("mean_reward", s.mean_reward)
                     .add("mean_abs_heading_drift_deg", s.mean_abs_heading_drift_deg)
                     .add("max_abs_heading_drift_deg", s.max_abs_heading_drift_deg)
                     .add("seconds", s.wall_seconds));
    return kOk;
  });
}

}  // namespace tinywalk::cli
