// tinywalk export: C++ sources holding an int8 model for a firmware build.
#include <cstdio>

#include "common/error.h"
#include "quantize/export.h"
#include "tools/cli.h"

namespace tinywalk::cli {

int cmd_export(int argc, char** argv) {
  return run("export", argc, argv, [&](bool&) {
    Args a("export", "Generate C++ sources holding an int8 .tflite model (weights in flash, PROGMEM on AVR) and print the sizes.");
    a.option("model", "FILE", "int8 .tflite (from tinywalk quantize)")
        .option("target", "host|cortex-m|avr", "firmware target", "host")
        .option("out", "DIR", "directory for tinywalk_model.h and tinywalk_model.cpp");
    if (!a.parse(argc, argv)) return kOk;
    if (!a.has("model")) throw InputError("", "--model", "missing: expected an int8 .tflite file");
    if (!a.has("out")) throw InputError("", "--out", "missing: expected an output directory");
    const quant::TfliteModel m = quant::load_tflite(a.str("model"));
    const quant::ExportReport r = quant::export_firmware(m, a.str("target"), a.str("out"));
    std::printf("wrote %s and %s for %s: %zu bytes of model data in flash (%zu of int8 weights), %zu bytes of RAM for inference\n",
                r.header.c_str(), r.source.c_str(), a.str("target").c_str(), r.flash_bytes, r.weight_bytes, r.arena_bytes);
    if (a.json())
      print_json(JsonObject()
                     .add("ok", true)
                     .add("target", a.str("target"))
                     .add("header", r.header)
                     .add("source", r.source)
                     .add("flash_bytes", static_cast<uint64_t>(r.flash_bytes))
                     .add("weight_bytes", static_cast<uint64_t>(r.weight_bytes))
                     .add("arena_bytes", static_cast<uint64_t>(r.arena_bytes)));
    return kOk;
  });
}

}  // namespace tinywalk::cli
