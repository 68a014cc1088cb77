// The policy datasheet: facts from the model file, footprint and energy from budget reports,
// and the Markdown-to-HTML rendering.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "common/atomic_file.h"
#include "pipeline/datasheet.h"
#include "tests/test_util.h"

using namespace tinywalk;

namespace {
const std::string kModel = std::string(TINYWALK_SOURCE_DIR) + "/configs/models/bittle_trot_int8.tflite";
std::string tmp(const std::string& name) { return ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_" + name; }
}  // namespace

TEST(Datasheet, DescribesTheModelFromItsFile) {
  pipeline::DatasheetOptions o;
  o.model_path = kModel;
  const pipeline::Datasheet d = pipeline::make_datasheet(o);
  for (const char* s : {"## What it does", "## What it does not do", "## The model", "## The data", "## Closed-loop performance",
                        "## Footprint per target", "## Estimated energy per inference", "## Known limits"})
    EXPECT_HAS(d.markdown, s);
  EXPECT_HAS(d.markdown, "27 -> 32 (ReLU) -> 32 (ReLU) -> 8 (linear)");
  EXPECT_HAS(d.markdown, "| parameters | 2216 (2144 int8 weights, 72 int32 biases) |");
  EXPECT_HAS(d.markdown, "embedded (metadata `tinywalk_fw`");
  EXPECT_HAS(d.markdown, "dead zone 1 deg, moving average over 4 commands, 2nd-order low-pass off");
  EXPECT_HAS(d.html, "<table>");
}

TEST(Datasheet, EnergyFollowsTheMeasuredCyclesAndTheStatedPower) {
  const std::string budget = tmp("budget_avr.json");
  write_file_atomic(budget, "{\"target\":\"atmega328p\",\"clock_hz\":16000000,\"flash_bytes\":20000,\"flash_limit\":32768,"
                            "\"sram_static_bytes\":1400,\"stack_peak_bytes\":400,\"sram_limit\":2048,\"cycles_per_inference\":160000,"
                            "\"cycles_per_step_max\":200000,\"cycles_per_mac\":70}\n");
  pipeline::DatasheetOptions o;
  o.model_path = kModel;
  o.budget_files = {budget};
  o.avr_power_mw = 50;
  const pipeline::Datasheet d = pipeline::make_datasheet(o);
  // 160000 cycles / 16 MHz = 10 ms; 10 ms x 50 mW = 500 uJ.
  EXPECT_HAS(d.markdown, "160000 cycles at 16 MHz = 10 ms; at 50 mW about 500 uJ per inference");
  EXPECT_HAS(d.markdown, "| 20000 / 32768 | 1400 + 400 / 2048 | 160000 (10 ms) | 200000 (12.5 ms) | 70 |");
}

TEST(Datasheet, RefusesAFloatModelAndRendersHtmlSafely) {
  pipeline::DatasheetOptions o;
  o.model_path = std::string(TINYWALK_SOURCE_DIR) + "/configs/models/bittle_trot_f32.tflite";
  EXPECT_HAS(test::error_of([&] { pipeline::make_datasheet(o); }), "float32");
  const std::string h = pipeline::markdown_to_html("# T <x>\n\n| a | b |\n|---|---|\n| `c` | **d** |\n- item & more\n", "t");
  EXPECT_HAS(h, "<h1>T &lt;x&gt;</h1>");
  EXPECT_HAS(h, "<tr><th>a</th><th>b</th></tr>");
  EXPECT_HAS(h, "<tr><td><code>c</code></td><td><strong>d</strong></td></tr>");
  EXPECT_HAS(h, "<li>item &amp; more</li>");
}

TEST(Datasheet, ABadBudgetReportNamesTheFileAndKey) {
  const std::string bad = tmp("bad_budget.json"), wrong = tmp("wrong_budget.json");
  write_file_atomic(bad, "{\"target\": \"atmega328p\", \"flash_bytes\": [1, \n");
  write_file_atomic(wrong, "{\"target\": \"atmega328p\", \"cycles_per_inference\": \"many\"}\n");
  pipeline::DatasheetOptions o;
  o.model_path = kModel;
  o.budget_files = {bad};
  const std::string e1 = test::error_of([&] { pipeline::make_datasheet(o); });
  EXPECT_HAS(e1, bad);
  EXPECT_HAS(e1, "not a valid budget report");
  o.budget_files = {wrong};
  const std::string e2 = test::error_of([&] { pipeline::make_datasheet(o); });
  EXPECT_HAS(e2, "cycles_per_inference");
  EXPECT_HAS(e2, "expected a number");
}
