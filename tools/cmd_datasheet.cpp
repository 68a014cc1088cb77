// tinywalk datasheet: a Markdown + HTML sheet for a deployed int8 policy.
#include <cstdio>

#include "common/atomic_file.h"
#include "common/error.h"
#include "pipeline/datasheet.h"
#include "tools/cli.h"

namespace tinywalk::cli {

int cmd_datasheet(int argc, char** argv) {
  return run("datasheet", argc, argv, [&](bool&) {
    Args a("datasheet",
           "Writes a datasheet for a deployed int8 policy: what it does and does not do, the model, the data and its provenance,\n"
           "closed-loop results per scenario (int8 in the firmware vs float), footprint per MCU target, energy per inference, known limits.");
    a.option("model", "FILE", "the int8 .tflite (policy_int8.tflite)")
        .option("float", "FILE", "the float policy (.tflite or .twck) for float vs int8 per scenario")
        .option("scenarios", "DIR", "run these scenario YAML files (e.g. configs/scenarios/)")
        .option("episodes", "N", "episodes per scenario (default: each scenario's own)", "0")
        .option("budget", "FILE[,FILE]", "MCU budget reports (JSON), comma-separated")
        .option("avr-power-mw", "P", "ATmega328P active power for the energy estimate", "45")
        .option("m4-power-mw", "P", "Cortex-M4 active power for the energy estimate", "10")
        .option("threads", "N", "threads (0 = one per core)", "0")
        .option("out", "FILE", "Markdown to write (the HTML goes beside it, .html)", "datasheet.md");
    if (!a.parse(argc, argv)) return kOk;
    if (!a.has("model")) throw InputError("", "--model", "missing: expected an int8 .tflite");
    pipeline::DatasheetOptions o;
    o.model_path = a.str("model");
    o.float_path = a.str("float");
    o.scenarios_dir = a.str("scenarios");
    o.episodes = a.integer("episodes", 0, 100000);
    o.threads = a.integer("threads", 0, 256);
    o.avr_power_mw = a.num("avr-power-mw");
    o.cortex_m4_power_mw = a.num("m4-power-mw");
    for (std::string rest = a.str("budget"); !rest.empty();) {
      const size_t c = rest.find(',');
      o.budget_files.push_back(rest.substr(0, c));
      rest = c == std::string::npos ? "" : rest.substr(c + 1);
    }
    if (!a.json()) o.progress = [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); };
    const pipeline::Datasheet d = pipeline::make_datasheet(o);
    const std::string md = a.str("out");
    const std::string html = (md.size() > 3 && md.compare(md.size() - 3, 3, ".md") == 0 ? md.substr(0, md.size() - 3) : md) + ".html";
    write_file_atomic(md, d.markdown);
    write_file_atomic(html, d.html);
    int failed = 0;
    for (const auto& r : d.firmware_results) failed += r.passed ? 0 : 1;
    std::printf("datasheet: %s and %s (%zu scenarios, %d failed)\n", md.c_str(), html.c_str(), d.firmware_results.size(), failed);
    if (a.json())
      print_json(JsonObject()
                     .add("ok", true)
                     .add("markdown", md)
                     .add("html", html)
                     .add("scenarios", static_cast<int>(d.firmware_results.size()))
                     .add("scenarios_failed", failed));
    return kOk;
  });
}

}  // namespace tinywalk::cli
