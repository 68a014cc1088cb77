// The policy datasheet (after "Datasheets for ML sensors"): one Markdown and
// HTML sheet for a deployed int8 policy: what it does and does not do, the
// model, the data and its provenance, closed-loop results per scenario (float
// vs int8 in the firmware), footprint per MCU target with estimated energy per
// inference, and known limits.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pipeline/scenario.h"

namespace tinywalk::pipeline {

struct DatasheetOptions {
  std::string model_path;                  // the int8 .tflite
  std::string float_path;                  // optional float policy (.tflite or .twck) for float vs int8
  std::string scenarios_dir;               // optional: run these scenarios (firmware mode, and float mode if float_path)
  std::vector<std::string> budget_files;   // optional MCU budget reports (JSON; see docs/firmware-mcu.md)
  int episodes = 0;                        // > 0: overrides every scenario's episode count
  int threads = 0;
  double avr_power_mw = 45;                // ATmega328P active at 16 MHz, 5 V (about 9 mA)
  double cortex_m4_power_mw = 10;          // a Cortex-M4 at 64 MHz, 3 V (about 3.3 mA, nRF52840-class)
  std::function<void(const std::string&)> progress;
  // Precomputed scenario results (e.g. the pipeline's check stage); used instead of scenarios_dir.
  std::vector<ScenarioResult> firmware_results, float_results;
};

struct Datasheet {
  std::string markdown, html;
  std::vector<ScenarioResult> firmware_results, float_results;
};

Datasheet make_datasheet(const DatasheetOptions& o);
// Minimal Markdown (headings, paragraphs, lists, tables, code spans) to a standalone HTML page.
std::string markdown_to_html(const std::string& md, const std::string& title);

}  // namespace tinywalk::pipeline
