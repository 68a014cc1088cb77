// tinywalk eval: closed-loop rollouts of a policy and of the expert on the same seeds.
#include <cstdio>

#include "common/error.h"
#include "pipeline/firmware_loop.h"
#include "pipeline/pipeline.h"
#include "tools/cli.h"

namespace tinywalk::cli {

int cmd_eval(int argc, char** argv) {
  return run("eval", argc, argv, [&](bool&) {
    Args a("eval",
           "Closed-loop evaluation: the policy drives the randomized simulator for N episodes; the expert runs the same seeds.\n"
           "Exit code 1 if a given threshold (--max-falls, --min-speed-ratio) is not met.");
    a.option("policy", "FILE", "trained policy: policy.twck from tinywalk train, or a float32 / int8 .tflite")
        .option("config", "FILE", "collect config: robot, gait, expert, randomization", std::string(TINYWALK_CONFIG_DIR) + "/collect/bittle_trot.yaml")
        .option("episodes", "N", "episodes (episode k uses seed + k)", "20")
        .option("seed", "N", "seed of the first episode", "1000000")
        .option("seconds", "S", "episode length (default: the collect config's)")
        .option("threads", "N", "threads (0 = one per core)", "0")
        .flag("firmware", "run the int8 model inside the firmware core (observation builder, post-processing, safety) in the loop; "
                          "also reports the int8 model without the firmware, and --float's model, on the same seeds")
        .flag("no-postprocess", "with --firmware: bypass the dead zone, smoothing and rate limit (int8 output straight to degrees)")
        .option("float", "FILE", "with --firmware: the float policy (.tflite or .twck) to report beside it")
        .option("max-falls", "N", "check: at most this many falls")
        .option("min-speed-ratio", "R", "check: policy speed at least R x the expert's");
    if (!a.parse(argc, argv)) return kOk;
    if (!a.has("policy")) throw InputError("", "--policy", "missing: expected a trained policy file");
    const pipeline::LoadedPolicy loaded = pipeline::load_policy(a.str("policy"));
    sim::CollectSetup setup = sim::load_collect(a.str("config"));
    if (a.has("seconds")) {
      const double s = a.num("seconds");
      if (!(s >= 0.05 && s <= 3600)) throw InputError("", "--seconds", "expected a number in [0.05, 3600]");
      setup.config.episode_seconds = s;
    }
    const int episodes = a.integer("episodes", 1, 1000000), threads = a.integer("threads", 0, 256);
    std::function<void(int, int)> progress;
    if (show_progress() && !a.json()) progress = [](int d, int n) { std::fprintf(stderr, "\r  %d/%d episodes", d, n); };
    pipeline::FirmwareCounters counters;
    JsonObject side;
    pipeline::EvalReport r;
    if (a.on("firmware")) {
      if (!loaded.tflite || !loaded.tflite->int8) throw InputError(a.str("policy"), "--firmware", "needs an int8 .tflite model");
      auto row = [&](const char* name, const pipeline::EvalReport& e) {
        std::printf("%-16s %3d falls / %d episodes, %.3f m/s (%.0f%% of the expert), heading drift %.1f deg\n", name, e.policy.falls,
                    e.policy.episodes, e.policy.mean_speed_mps, e.expert.mean_speed_mps > 0 ? 100 * e.policy.mean_speed_mps / e.expert.mean_speed_mps : 0,
                    e.policy.mean_abs_heading_drift_deg);
        side.add(name, JsonObject()
                           .add("falls", e.policy.falls)
                           .add("episodes", e.policy.episodes)
                           .add("mean_speed_mps", e.policy.mean_speed_mps)
                           .add("speed_ratio", e.expert.mean_speed_mps > 0 ? e.policy.mean_speed_mps / e.expert.mean_speed_mps : 0)
                           .add("mean_abs_heading_drift_deg", e.policy.mean_abs_heading_drift_deg)
                           .add("mean_reward", e.policy.mean_reward));
      };
      // One expert run on these seeds, the reference for every row.
      const pipeline::ExpertRun expert = pipeline::evaluate_expert(setup, episodes, a.u64("seed"), threads);
      if (a.has("float")) {
        const pipeline::LoadedPolicy f = pipeline::load_policy(a.str("float"));
        row("float", pipeline::evaluate(f.source, setup, episodes, a.u64("seed"), threads, progress, &expert));
      }
      row("int8", pipeline::evaluate(loaded.source, setup, episodes, a.u64("seed"), threads, progress, &expert));
      r = pipeline::evaluate_firmware(loaded.tflite, setup, episodes, a.u64("seed"), threads, progress, &counters, !a.on("no-postprocess"), &expert);
      row(a.on("no-postprocess") ? "int8_firmware_raw" : "int8_firmware", r);
      std::printf("firmware counters: %lld steps, %lld IMU faults held, %lld missed deadlines, %lld safe stops\n",
                  static_cast<long long>(counters.steps), static_cast<long long>(counters.imu_faults),
                  static_cast<long long>(counters.deadline_misses), static_cast<long long>(counters.safe_stops));
    } else {
      r = pipeline::evaluate(loaded.source, setup, episodes, a.u64("seed"), threads, progress);
    }
    if (progress) std::fprintf(stderr, "\n");
    const double ratio = r.expert.mean_speed_mps > 0 ? r.policy.mean_speed_mps / r.expert.mean_speed_mps : 0;
    std::printf("policy %s over %d episodes: %d falls, %.3f m/s (%.0f%% of the expert's %.3f), heading drift %.1f deg (max %.1f), reward %.3f\n",
                a.str("policy").c_str(), r.policy.episodes, r.policy.falls, r.policy.mean_speed_mps, 100 * ratio, r.expert.mean_speed_mps,
                r.policy.mean_abs_heading_drift_deg, r.max_abs_heading_drift_deg, r.policy.mean_reward);
    std::printf("expert on the same seeds: %d falls, %.3f m/s, heading drift %.1f deg, reward %.3f\n", r.expert.falls,
                r.expert.mean_speed_mps, r.expert.mean_abs_heading_drift_deg, r.expert.mean_reward);
    bool ok = true;
    if (a.has("max-falls") && r.policy.falls > a.num("max-falls")) ok = false;
    if (a.has("min-speed-ratio") && ratio < a.num("min-speed-ratio")) ok = false;
    if (a.json())
      print_json(JsonObject()
                     .add("ok", ok)
                     .add("policy", a.str("policy"))
                     .add("kind", loaded.kind)
                     .add("episodes", r.policy.episodes)
                     .add("falls", r.policy.falls)
                     .add("success_rate", 1.0 - static_cast<double>(r.policy.falls) / r.policy.episodes)
                     .add("mean_speed_mps", r.policy.mean_speed_mps)
                     .add("speed_ratio", ratio)
                     .add("mean_abs_heading_drift_deg", r.policy.mean_abs_heading_drift_deg)
                     .add("max_abs_heading_drift_deg", r.max_abs_heading_drift_deg)
                     .add("mean_reward", r.policy.mean_reward)
                     .add("numerical_failures", r.numerical_failures)
                     .add("expert_falls", r.expert.falls)
                     .add("expert_mean_speed_mps", r.expert.mean_speed_mps)
                     .add("expert_mean_abs_heading_drift_deg", r.expert.mean_abs_heading_drift_deg)
                     .add("expert_mean_reward", r.expert.mean_reward)
                     .add("firmware", a.on("firmware"))
                     .add("side_by_side", side)
                     .add("firmware_imu_faults", counters.imu_faults)
                     .add("firmware_safe_stops", counters.safe_stops));
    return ok ? kOk : kCheckFailed;
  });
}

}  // namespace tinywalk::cli
