// tinywalk golden: golden vectors of the firmware core for the MCU tests (pipeline/golden.h).
#include <cstdio>

#include "common/atomic_file.h"
#include "common/error.h"
#include "quantize/tflite.h"
#include "tools/cli.h"
#include "pipeline/golden.h"

namespace tinywalk::cli {

int cmd_golden(int argc, char** argv) {
  return run("golden", argc, argv, [&](bool&) {
    Args a("golden",
           "Record a sensor sequence from the simulator with the firmware in the loop (plus bad samples and a fall), run it "
           "through the host firmware and write golden vectors (golden_vectors.h, golden_vectors.txt, model.tflite) for the MCU tests.");
    a.option("model", "FILE", "int8 .tflite with \"tinywalk_fw\" metadata (from tinywalk quantize)")
        .option("out", "DIR", "output folder (tests/data/golden)")
        .option("steps", "N", "control steps to record (60..2000)", "100")
        .option("seed", "N", "simulator episode seed", "7")
        .option("collect", "FILE", "collect config naming the robot and simulation", std::string(TINYWALK_CONFIG_DIR) + "/collect/bittle_trot.yaml")
        .flag("replay", "keep the sensor sequence of <out>/golden_vectors.txt and only recompute the outputs (no simulator)");
    if (!a.parse(argc, argv)) return kOk;
    if (!a.has("model")) throw InputError("", "--model", "missing: expected an int8 .tflite file");
    if (!a.has("out")) throw InputError("", "--out", "missing: expected an output folder");
    const std::string model = read_file(a.str("model"));
    const quant::TfliteModel checked = quant::read_tflite(model, a.str("model"));  // a bad file: an error naming it and the field
    if (!checked.int8) throw InputError(a.str("model"), "", "golden vectors need an int8 model");
    if (checked.meta.firmware_blob.empty())
      throw InputError(a.str("model"), "metadata", "no \"tinywalk_fw\" entry: quantize with tinywalk quantize --config (or the pipeline)");
    const std::string out = a.str("out");
    const std::string text_path = out + "/golden_vectors.txt";
    const std::vector<golden::SensorStep> in =
        a.on("replay") ? golden::parse_text_sensors(read_file(text_path), text_path)
                       : golden::record_sensors(model, a.str("collect"), a.integer("steps", 60, 2000), a.u64("seed"));
    const golden::Golden g = golden::run_firmware(model, in);
    write_file_atomic(out + "/model.tflite", model);
    write_file_atomic(out + "/golden_vectors.h", golden::render_header(g));
    write_file_atomic(text_path, golden::render_text(g));
    int policy = 0;
    for (const auto& s : g.steps) policy += (s.result >> 3) & 1;
    std::printf("wrote %s/golden_vectors.h, golden_vectors.txt and model.tflite: %zu steps (%d ran the policy)\n", out.c_str(), g.steps.size(), policy);
    if (a.json())
      print_json(JsonObject().add("ok", true).add("out", out).add("steps", static_cast<uint64_t>(g.steps.size())).add("policy_steps", static_cast<uint64_t>(policy)));
    return kOk;
  });
}

}  // namespace tinywalk::cli
