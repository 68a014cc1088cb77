// tinywalk train: fit a gait policy by imitation (behaviour cloning + DAgger).
#include <cstdio>

#include "common/error.h"
#include "pipeline/pipeline.h"
#include "tools/cli.h"

namespace tinywalk::cli {

int cmd_train(int argc, char** argv) {
  return run("train", argc, argv, [&](bool&) {
    Args a("train",
           "Fit a gait policy by imitation of the privileged expert: behaviour cloning on expert rollouts, then DAgger rounds\n"
           "(the policy drives the randomized simulator, the expert labels every state, the data is aggregated, the policy\n"
           "retrained). Writes OUT/policy.twck, OUT/learning_curve.csv, the datasets and a resumable checkpoint.");
    a.option("config", "FILE", "training config YAML", std::string(TINYWALK_CONFIG_DIR) + "/train/bittle_default.yaml")
        .option("out", "DIR", "run directory (created if missing)")
        .flag("resume", "continue an interrupted run in OUT from its checkpoint")
        .option("threads", "N", "rollout threads (0 = one per core); results do not depend on it", "0");
    if (!a.parse(argc, argv)) return kOk;
    if (!a.has("out")) throw InputError("", "--out", "missing: expected the run directory (e.g. --out runs/default)");
    const int threads = a.integer("threads", 0, 256);
    const bool quiet = a.json() && !show_progress();
    auto progress = [quiet](const std::string& line) {
      if (!quiet) std::fprintf(stderr, "  %s\n", line.c_str());
    };
    const pipeline::TrainRun run = pipeline::run_training(a.str("config"), a.str("out"), a.on("resume"), threads, progress);
    const policy::TrainResult& r = run.result;
    const policy::CurveRow last = r.curve.empty() ? policy::CurveRow{} : r.curve.back();
    double best_val = 1e300;
    for (const auto& c : r.curve)
      if (c.round == last.round) best_val = std::min(best_val, c.val_loss);
    int64_t weights = 0;
    for (int l = 0; l < r.model.mlp.num_layers(); ++l) weights += r.model.mlp.weight(l).size();
    std::printf("trained %s in %.1f s: %zu epochs over %zu DAgger rounds, %lld samples, validation loss %.5f\n",
                (a.str("out") + "/policy.twck").c_str(), run.seconds, r.curve.size(), r.rounds.size(),
                static_cast<long long>(r.samples), best_val);
    for (const auto& row : r.rounds)
      std::printf("  round %d (expert mix %.3f): %d/%d falls, %.3f m/s, reward %.3f\n", row.round, row.expert_mix, row.stats.falls,
                  row.stats.episodes, row.stats.mean_speed_mps, row.stats.mean_reward);
    std::printf("  network %lld parameters (%lld weights = %lld bytes once int8)\n",
                static_cast<long long>(r.model.mlp.spec().num_params()), static_cast<long long>(weights), static_cast<long long>(weights));
    if (a.json()) {
      std::vector<double> round_speeds, round_falls;
      for (const auto& row : r.rounds) {
        round_speeds.push_back(row.stats.mean_speed_mps);
        round_falls.push_back(row.stats.falls);
      }
      print_json(JsonObject()
                     .add("ok", true)
                     .add("policy", a.str("out") + "/policy.twck")
                     .add("learning_curve", a.str("out") + "/learning_curve.csv")
                     .add("seconds", run.seconds)
                     .add("epochs", static_cast<int>(r.curve.size()))
                     .add("dagger_rounds", static_cast<int>(r.rounds.size()))
                     .add("samples", static_cast<int64_t>(r.samples))
                     .add("final_train_loss", last.train_loss)
                     .add("final_val_loss", best_val)
                     .add("params", static_cast<int64_t>(r.model.mlp.spec().num_params()))
                     .add("int8_weight_bytes", static_cast<int64_t>(weights))
                     .add("dagger_round_speed_mps", round_speeds)
                     .add("dagger_round_falls", round_falls));
    }
    return kOk;
  });
}

}  // namespace tinywalk::cli
