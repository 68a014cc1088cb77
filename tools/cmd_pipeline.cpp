// tinywalk pipeline: from nothing to a walking int8 policy and its firmware sources, in one folder.
#include <cstdio>

#include "common/atomic_file.h"
#include "common/error.h"
#include "pipeline/pipeline.h"
#include "tools/cli.h"

namespace tinywalk::cli {

int cmd_pipeline(int argc, char** argv) {
  return run("pipeline", argc, argv, [&](bool&) {
    Args a("pipeline",
           "Run every stage on the built-in default robot (or the given training config): expert data, training (BC + DAgger),\n"
           "int8 quantization, float vs int8 closed-loop evaluation, firmware export, and a summary. Rerunning skips stages\n"
           "whose inputs are unchanged; an interrupted run continues where it stopped.");
    a.option("config", "FILE", "training config YAML", std::string(TINYWALK_CONFIG_DIR) + "/train/bittle_default.yaml")
        .option("out", "DIR", "output folder", "pipeline_out")
        .option("eval-episodes", "N", "closed-loop episodes for float and int8", "20")
        .option("target", "host|cortex-m|avr", "firmware export target", "avr")
        .option("threads", "N", "threads (0 = one per core)", "0")
        .option("scenarios", "DIR", "scenario checks and the datasheet (\"\" to skip)", std::string(TINYWALK_CONFIG_DIR) + "/scenarios")
        .option("check-episodes", "N", "episodes per scenario in the pipeline's check", "5")
        .flag("no-mcu", "skip building the firmware for the ATmega328P / Cortex-M4 and running it on their emulators");
    if (!a.parse(argc, argv)) return kOk;
    pipeline::PipelineOptions o;
    o.train_config = a.str("config");
    o.out_dir = a.str("out");
    o.eval_episodes = a.integer("eval-episodes", 1, 100000);
    o.target = a.str("target");
    o.threads = a.integer("threads", 0, 256);
    o.scenarios_dir = a.str("scenarios");
    o.check_episodes = a.integer("check-episodes", 1, 100000);
    o.mcu = !a.on("no-mcu");
    o.progress = [](const std::string& s) { std::fprintf(stderr, "  %s\n", s.c_str()); };
    const pipeline::PipelineResult r = pipeline::run_pipeline(o);
    std::printf("%s", read_file(r.summary_md).c_str());
    std::printf("\n%zu stages ran, %zu up to date, %.1f s; summary: %s\n", r.ran.size(), r.skipped.size(), r.seconds, r.summary_md.c_str());
    if (a.json()) {
      std::string j = read_file(r.summary_json);
      while (!j.empty() && j.back() == '\n') j.pop_back();
      // The summary plus what this run did.
      JsonObject extra;
      extra.add("ok", true).add("out", o.out_dir).add("seconds", r.seconds).add("stages_ran", r.ran).add("stages_skipped", r.skipped);
      std::string e = extra.str();
      std::printf("%s,%s\n", e.substr(0, e.size() - 1).c_str(), j.substr(1).c_str());
    }
    return kOk;
  });
}

}  // namespace tinywalk::cli
