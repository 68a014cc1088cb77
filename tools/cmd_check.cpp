// tinywalk check: the policy on named scenarios with pass thresholds, for CI (JUnit XML, Markdown).
#include <sys/stat.h>

#include <cerrno>

#include <cstdio>

#include "common/atomic_file.h"
#include "common/error.h"
#include "pipeline/scenario.h"
#include "tools/cli.h"

namespace tinywalk::cli {

namespace {
bool dir_exists(const std::string& file) {
  const auto slash = file.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
  struct stat st;
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
}  // namespace

int cmd_check(int argc, char** argv) {
  return run("check", argc, argv, [&](bool&) {
    Args a("check",
           "Policy checks for CI: runs the policy in closed loop on every scenario of a folder (configs/scenarios/*.yaml,\n"
           "sorted by file name) and the expert on the same seeds, and compares the metrics with each scenario's thresholds.\n"
           "Exit code 0 if every scenario passes, 1 if any fails, 2 on bad input.");
    a.option("model", "FILE", "the policy: an int8 .tflite (modes firmware, int8) or a float32 .tflite / .twck checkpoint (mode float)")
        .option("scenarios", "DIR", "folder of scenario YAML files", std::string(TINYWALK_CONFIG_DIR) + "/scenarios")
        .option("mode", "MODE", "firmware: int8 model inside the firmware core; int8: int8 reference kernel; float: float model", "firmware")
        .option("episodes", "N", "episodes per scenario (default: each scenario's own)")
        .option("threads", "N", "threads (0 = one per core)", "0")
        .option("junit", "FILE", "write a JUnit XML report")
        .option("markdown", "FILE", "write a Markdown summary")
        .option("plots", "DIR", "write per-scenario SVG bar charts (speed ratio, falls vs thresholds) into DIR");
    if (!a.parse(argc, argv)) return kOk;
    if (!a.has("model")) throw InputError("", "--model", "missing: expected a policy file (policy_int8.tflite)");
    const pipeline::CheckMode mode = pipeline::parse_check_mode(a.str("mode"));
    pipeline::CheckOptions o;
    o.episodes = a.has("episodes") ? a.integer("episodes", 1, 1000000) : 0;
    o.threads = a.integer("threads", 0, 256);
    for (const char* out : {"junit", "markdown"})  // fail before the run, not after it
      if (a.has(out) && !dir_exists(a.str(out))) throw InputError(a.str(out), "--" + std::string(out), "its folder does not exist");
    const std::vector<pipeline::Scenario> scenarios = pipeline::load_scenarios(a.str("scenarios"));
    const pipeline::CheckModel model = pipeline::load_check_model(a.str("model"), mode);
    if (show_progress() && !a.json()) o.progress = [](int d, int n) { std::fprintf(stderr, "\r  %d/%d episodes", d, n); };

    std::vector<pipeline::ScenarioResult> results;
    for (const pipeline::Scenario& s : scenarios) {
      results.push_back(pipeline::run_scenario(s, model, o));
      if (o.progress) std::fprintf(stderr, "\r\033[K");
      std::printf("%s\n", pipeline::summary_line(results.back()).c_str());
      std::fflush(stdout);
    }
    bool ok = true;
    int failed = 0;
    for (const auto& r : results) {
      ok &= r.passed;
      failed += !r.passed;
    }
    if (a.has("junit")) write_file_atomic(a.str("junit"), pipeline::junit_xml(results));
    if (a.has("markdown")) write_file_atomic(a.str("markdown"), pipeline::markdown(results));
    if (a.has("plots")) {
      if (::mkdir(a.str("plots").c_str(), 0755) != 0 && errno != EEXIST) throw InputError(a.str("plots"), "--plots", "cannot create the folder");
      pipeline::write_scenario_plots(a.str("plots"), {{pipeline::to_string(mode), &results}});
    }
    std::printf("%s: %zu of %zu scenarios passed (mode %s)\n", ok ? "PASS" : "FAIL", results.size() - failed, results.size(),
                pipeline::to_string(mode));
    if (a.json()) {
      std::vector<JsonObject> rows;
      for (const pipeline::ScenarioResult& r : results) rows.push_back(pipeline::result_json(r));
      print_json(JsonObject().add("ok", ok).add("mode", pipeline::to_string(mode)).add("model", a.str("model")).add("failed", failed).add("scenarios", rows));
    }
    return ok ? kOk : kCheckFailed;
  });
}

}  // namespace tinywalk::cli
