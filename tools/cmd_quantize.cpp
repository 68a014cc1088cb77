// tinywalk quantize: int8 post-training quantization of a trained policy into a .tflite file.
#include <cstdio>

#include "common/error.h"
#include "pipeline/pipeline.h"
#include "tools/cli.h"

namespace tinywalk::cli {

int cmd_quantize(int argc, char** argv) {
  return run("quantize", argc, argv, [&](bool&) {
    Args a("quantize",
           "Quantize a trained policy to int8 (TFLite spec: per-channel symmetric weights, per-tensor asymmetric activations,\n"
           "int32 biases) using dataset observations for calibration; write it as .tflite with the deployment metadata, and\n"
           "report the float-vs-int8 action error on held-out observations (degrees per joint).");
    a.option("policy", "FILE", "trained policy (policy.twck)")
        .option("data", "FILE", "dataset (HDF5) for calibration and the error report")
        .option("out", "FILE", "int8 .tflite to write")
        .option("float-out", "FILE", "also write the float32 .tflite")
        .option("robot", "FILE", "robot description (firmware index map)", sim::default_robot_path())
        .option("config", "FILE", "collect config whose control period and gait clock the firmware uses", std::string(TINYWALK_CONFIG_DIR) + "/collect/bittle_trot.yaml")
        .option("calibration-samples", "N", "observations used for calibration", "500")
        .option("calibration", "minmax|percentile", "range estimate", "minmax")
        .option("percentile", "P", "with --calibration percentile", "99.99");
    if (!a.parse(argc, argv)) return kOk;
    for (const char* k : {"policy", "data", "out"})
      if (!a.has(k)) throw InputError("", std::string("--") + k, "missing (see --help)");
    pipeline::QuantizeOptions o;
    o.policy_path = a.str("policy");
    o.data_path = a.str("data");
    o.out_path = a.str("out");
    o.float_out_path = a.str("float-out");
    o.robot_path = a.str("robot");
    o.collect_path = a.str("config");
    o.calibration.samples = a.integer("calibration-samples", 1, 10000000);
    o.calibration.method = a.str("calibration");
    o.calibration.percentile = a.num("percentile");
    if (o.calibration.method != "minmax" && o.calibration.method != "percentile")
      throw InputError("", "--calibration", "expected minmax or percentile");
    if (!(o.calibration.percentile >= 50 && o.calibration.percentile <= 100)) throw InputError("", "--percentile", "expected a number in [50, 100]");
    const pipeline::QuantizeRun r = pipeline::run_quantize(o);
    const auto& e = r.error;
    std::printf("int8 model %s: %zu bytes (float32: %zu), calibrated on %d observations\n", o.out_path.c_str(), r.bytes, r.float_bytes,
                r.calibration_samples);
    std::printf("float vs int8 action error on %d held-out observations: mean %.3f, p99 %.3f, max %.3f deg\n", e.samples, e.mean_deg_all,
                e.p99_deg_all, e.max_deg_all);
    for (size_t j = 0; j < e.p99_deg.size(); ++j)
      std::printf("  %-12s mean %.3f  p99 %.3f  max %.3f deg\n", r.int8_model.meta.joints[j].c_str(), e.mean_deg[j], e.p99_deg[j], e.max_deg[j]);
    if (a.json())
      print_json(JsonObject()
                     .add("ok", true)
                     .add("out", o.out_path)
                     .add("bytes", static_cast<uint64_t>(r.bytes))
                     .add("float_bytes", static_cast<uint64_t>(r.float_bytes))
                     .add("calibration_samples", r.calibration_samples)
                     .add("test_samples", e.samples)
                     .add("mean_error_deg", e.mean_deg_all)
                     .add("p99_error_deg", e.p99_deg_all)
                     .add("max_error_deg", e.max_deg_all)
                     .add("p99_error_deg_per_joint", e.p99_deg)
                     .add("max_error_deg_per_joint", e.max_deg));
    return kOk;
  });
}

}  // namespace tinywalk::cli
