// The policy datasheet: facts from the model file, closed-loop runs, MCU budget reports.
#include "pipeline/datasheet.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "pipeline/firmware_config.h"
#include "quantize/ptq.h"
#include "quantize/tflite.h"
#include "report/svg_plot.h"

namespace tinywalk::pipeline {

namespace {
std::string num(double v, const char* f = "%.3g") {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
std::string inline_md(const std::string& s) {
  // `code` spans and **bold**; everything else escaped.
  std::string o, t = report::xml_escape(s);
  bool code = false, bold = false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '`') {
      o += code ? "</code>" : "<code>";
      code = !code;
    } else if (!code && t.compare(i, 2, "**") == 0) {
      o += bold ? "</strong>" : "<strong>";
      bold = !bold;
      ++i;
    } else {
      o += t[i];
    }
  }
  return o;
}
std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> c;
  std::string cur;
  for (size_t i = 1; i < row.size(); ++i) {
    if (row[i] == '|') {
      const size_t a = cur.find_first_not_of(' '), b = cur.find_last_not_of(' ');
      c.push_back(a == std::string::npos ? "" : cur.substr(a, b - a + 1));
      cur.clear();
    } else {
      cur += row[i];
    }
  }
  return c;
}
}  // namespace

std::string markdown_to_html(const std::string& md, const std::string& title) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << report::xml_escape(title)
    << "</title>\n<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.3em .6em;text-align:left}"
       "th{background:#eee}code{background:#f3f3f3;padding:0 .2em}h1{border-bottom:2px solid #333}h2{border-bottom:1px solid #ccc}"
       ".pass{color:#070}.fail{color:#b00}</style></head><body>\n";
  std::istringstream in(md);
  std::string line;
  bool list = false, table = false, header = false;
  auto close = [&] {
    if (list) h << "</ul>\n";
    if (table) h << "</table>\n";
    list = table = false;
  };
  while (std::getline(in, line)) {
    if (line.rfind("|", 0) == 0) {
      if (!table) {
        close();
        h << "<table>\n";
        table = header = true;
      }
      if (line.find("---") != std::string::npos && line.find_first_not_of("|-: ") == std::string::npos) continue;
      h << "<tr>";
      for (const auto& c : cells(line)) h << (header ? "<th>" : "<td>") << inline_md(c) << (header ? "</th>" : "</td>");
      h << "</tr>\n";
      header = false;
      continue;
    }
    if (line.rfind("- ", 0) == 0) {
      if (!list) {
        close();
        h << "<ul>\n";
        list = true;
      }
      h << "<li>" << inline_md(line.substr(2)) << "</li>\n";
      continue;
    }
    close();
    if (line.rfind("### ", 0) == 0) h << "<h3>" << inline_md(line.substr(4)) << "</h3>\n";
    else if (line.rfind("## ", 0) == 0) h << "<h2>" << inline_md(line.substr(3)) << "</h2>\n";
    else if (line.rfind("# ", 0) == 0) h << "<h1>" << inline_md(line.substr(2)) << "</h1>\n";
    else if (!line.empty()) h << "<p>" << inline_md(line) << "</p>\n";
  }
  close();
  h << "</body></html>\n";
  return h.str();
}

Datasheet make_datasheet(const DatasheetOptions& o) {
  auto log = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  const std::string bytes = read_file(o.model_path);
  const quant::TfliteModel m = quant::read_tflite(bytes, o.model_path);
  if (!m.int8) throw InputError(o.model_path, "", "the datasheet describes a deployed int8 model; this file is float32");
  const quant::DeployMetadata& md = m.meta;
  Datasheet ds;
  std::ostringstream s;
  s << "# Policy datasheet: " << md.robot << " gait policy (int8)\n\n";
  s << "Model file `" << o.model_path << "`, " << bytes.size() << " bytes, FNV-1a " << quant::fnv1a_hex(bytes) << "; made by tinywalk "
    << md.project_version << ".\n\n";

  s << "## What it does\n\n";
  s << "- Walks the " << md.robot << " forward in the gait it imitated (a trot by default), at the control period of its training, "
       "from what the robot can measure: the IMU, its own previous commands and its gait clock.\n";
  s << "- Outputs " << m.outputs() << " joint targets (" ;
  for (size_t j = 0; j < md.joints.size(); ++j) s << (j ? ", " : "") << md.joints[j];
  s << ") as residuals around the standing pose, post-processed in the firmware into OpenCat integer degrees.\n";
  s << "- Runs entirely on the robot's microcontroller in integer arithmetic (no companion computer).\n\n";
  s << "## What it does not do\n\n";
  s << "- Steer, change speed or gait on command, climb steps, or recover from a fall: on a fall or lift the firmware stops it and holds a safe pose.\n";
  s << "- See terrain: it has no exteroception; it was trained on flat ground with domain randomization only.\n";
  s << "- Guarantee anything on a real robot: every figure below is from simulation or an emulated MCU.\n\n";

  s << "## The model\n\n| property | value |\n|---|---|\n";
  std::string arch = std::to_string(m.inputs());
  int64_t params = 0, macs = 0, weight_bytes = 0;
  for (const auto& L : m.layers) {
    arch += " -> " + std::to_string(L.out) + (L.relu ? " (ReLU)" : " (linear)");
    params += static_cast<int64_t>(L.in) * L.out + L.out;
    macs += static_cast<int64_t>(L.in) * L.out;
    weight_bytes += static_cast<int64_t>(L.in) * L.out;
  }
  s << "| architecture | MLP, fully connected: " << arch << " |\n";
  s << "| parameters | " << params << " (" << weight_bytes << " int8 weights, " << params - weight_bytes << " int32 biases) |\n";
  s << "| multiply-accumulates per inference | " << macs << " |\n";
  s << "| file | " << bytes.size() << " bytes (.tflite, FlatBuffers, schema 3; readable by TFLite, TFLite Micro, Netron) |\n";
  s << "| quantization | TFLite int8: weights symmetric per output channel in [-127, 127]; activations per tensor, asymmetric; "
       "int32 biases; requantization with TFLite Micro's double rounding |\n";
  s << "| input | int8, scale " << num(m.layers.front().input_scale, "%.6g") << ", zero point " << m.layers.front().input_zero_point
    << "; normalisation folded into the firmware's integer feature maps |\n";
  s << "| output | int8, scale " << num(m.layers.back().output_scale, "%.6g") << ", zero point " << m.layers.back().output_zero_point
    << "; target = standing pose + scale x y (rad) |\n";
  s << "| firmware configuration | " << (md.firmware_blob.empty() ? "absent (quantized without a collect config)" : "embedded (metadata `tinywalk_fw`, " + std::to_string(md.firmware_blob.size()) + " bytes)") << " |\n\n";
  s << "Observation (resolved spec, newest frame first):\n\n";
  {
    YAML::Node n = YAML::Load(md.observation_yaml);
    if (n["signals"] && n["history"])
      for (size_t k = 0; k < n["signals"].size(); ++k)
        s << "- `" << n["signals"][k].as<std::string>() << "` x " << n["history"][k].as<int>() << " frames\n";
  }
  const PostprocessSettings pp = parse_postprocess(md.postprocess_yaml, o.model_path);
  auto off_or = [](double v, const std::string& on) { return v > 0 ? on : std::string("off"); };
  s << "\nPost-processing in the firmware (fixed point): dead zone " << off_or(pp.dead_zone_deg, num(pp.dead_zone_deg) + " deg")
    << ", moving average " << (pp.moving_average > 1 ? "over " + std::to_string(pp.moving_average) + " commands" : std::string("off"))
    << ", 2nd-order low-pass " << off_or(pp.lowpass_cutoff_hz, num(pp.lowpass_cutoff_hz) + " Hz") << ", rate limit "
    << off_or(pp.rate_limit_deg_per_step, num(pp.rate_limit_deg_per_step) + " deg per step") << ", clamp to the URDF joint limits "
    << (pp.clamp_to_firmware_limits ? "on" : "off") << ".\n\n";

  s << "## The data\n\n";
  s << "- Imitation of a privileged expert (foot-space gait tracking with feedback) in the Bullet simulation of the " << md.robot
    << "; behaviour cloning, then DAgger (the policy drives, the expert labels).\n";
  s << "- Provenance: calibration dataset FNV-1a `" << md.dataset_hash << "`, policy checkpoint FNV-1a `" << md.config_hash << "`.\n";
  try {
    const sim::Robot robot = sim::load_robot(sim::default_robot_path());
    if (robot.config.name == md.robot) {
      const auto& r = robot.config.randomization;
      auto range = [](const config::Interval& v) { return "[" + num(v.lo) + ", " + num(v.hi) + "]"; };
      s << "- Domain randomization per episode: mass x" << range(r.mass_scale) << ", inertia x" << range(r.inertia_scale) << ", motor strength x"
        << range(r.motor_strength) << ", joint friction " << range(r.joint_friction) << " N m, extra latency " << range(r.latency)
        << " s, ground friction " << range(r.ground_friction) << ", IMU noise " << range(r.imu_noise) << " rad, pushes "
        << (r.pushes ? "on" : "off") << ".\n";
    }
  } catch (const InputError&) {
  }
  s << "\n";

  s << "## Closed-loop performance\n\n";
  ds.firmware_results = o.firmware_results;
  ds.float_results = o.float_results;
  if (ds.firmware_results.empty() && !o.scenarios_dir.empty()) {
    const std::vector<Scenario> sc = load_scenarios(o.scenarios_dir);
    CheckOptions co;
    co.episodes = o.episodes;
    co.threads = o.threads;
    const CheckModel fwm = load_check_model(o.model_path, CheckMode::Firmware);
    CheckModel flm;
    if (!o.float_path.empty()) flm = load_check_model(o.float_path, CheckMode::Float);
    for (const Scenario& x : sc) {
      log("datasheet: scenario " + x.config.name + " (int8 in the firmware)");
      const ExpertRun ex = scenario_expert(x, co);  // one reference for both variants
      ds.firmware_results.push_back(run_scenario(x, fwm, co, &ex));
      if (!o.float_path.empty()) {
        log("datasheet: scenario " + x.config.name + " (float)");
        ds.float_results.push_back(run_scenario(x, flm, co, &ex));
      }
    }
  }
  const bool with_float = ds.float_results.size() == ds.firmware_results.size() && !ds.float_results.empty();
  if (!ds.firmware_results.empty()) {
    s << "Simulated episodes per scenario, the expert on the same seeds; speed ratio = policy / expert mean forward speed.\n\n";
    s << "| scenario | episodes | int8 + firmware: falls | speed ratio | result |" << (!with_float ? "" : " float: falls | speed ratio |") << "\n";
    s << "|---|---|---|---|---|" << (!with_float ? "" : "---|---|") << "\n";
    for (size_t k = 0; k < ds.firmware_results.size(); ++k) {
      const ScenarioResult& r = ds.firmware_results[k];
      s << "| " << r.name << " | " << r.episodes << " | " << r.falls << " | " << num(r.speed_ratio, "%.2f") << " | "
        << (r.passed ? "**pass**" : "**FAIL**: " + r.failure_message()) << " |";
      if (with_float) s << " " << ds.float_results[k].falls << " | " << num(ds.float_results[k].speed_ratio, "%.2f") << " |";
      s << "\n";
    }
    s << "\n";
  } else {
    s << "Not measured for this sheet (run `tinywalk datasheet --scenarios configs/scenarios/`).\n\n";
  }

  s << "## Footprint per target\n\n";
  s << "| target | figure | value |\n|---|---|---|\n";
  s << "| any | int8 weights | " << weight_bytes << " bytes |\n";
  size_t arena = static_cast<size_t>(m.inputs() + m.outputs());
  int widest = 0;
  for (const auto& L : m.layers) widest = std::max(widest, L.out);
  arena += 2 * static_cast<size_t>(widest);
  s << "| any | inference arena (input, output, 2 scratch buffers) | " << arena << " bytes |\n";
  std::string energy, targets;
  for (const std::string& f : o.budget_files) {
    YAML::Node b;
    try {
      b = YAML::Load(read_file(f));
    } catch (const YAML::Exception& e) {
      throw InputError(f, "", std::string("not a valid budget report (JSON): ") + e.what());
    }
    if (!b.IsMap()) throw InputError(f, "", "expected a JSON object (an MCU budget report)");
    auto get = [&](const char* k) {
      try {
        return b[k] ? b[k].as<double>() : -1.0;
      } catch (const YAML::Exception&) {
        throw InputError(f, k, "expected a number");
      }
    };
    const std::string target = b["target"] ? b["target"].as<std::string>() : f;
    if (target == "nyboard") {  // the deployable image
      s << "| ATmega328P NyBoard image (`tinywalk_nyboard.hex`) | flash / static SRAM | " << num(get("flash_bytes"), "%.0f") << " of "
        << num(get("flash_limit"), "%.0f") << " bytes / " << num(get("sram_static_bytes"), "%.0f") << " of " << num(get("sram_limit"), "%.0f")
        << " bytes |\n";
      continue;
    }
    if (target == "avr" || target == "host" || target == "cortex-m") {  // the static export figures
      s << "| " << target << " export | model data in flash | " << num(get("flash_bytes"), "%.0f") << " bytes |\n";
      continue;
    }
    const bool avr = target.find("atmega") != std::string::npos || target.find("avr") != std::string::npos;
    // Cortex-M4: instructions under QEMU taken as cycles, at 64 MHz (nRF52840-class).
    const double clock = avr ? (b["clock_hz"] ? b["clock_hz"].as<double>() : 16e6) : 64e6;
    const double inf = avr ? get("cycles_per_inference") : get("instructions_per_inference");
    const double step = avr ? get("cycles_per_step_max") : get("instructions_per_step_max");
    const double mac = avr ? get("cycles_per_mac") : get("instructions_per_mac");
    targets += "| " + std::string(avr ? "ATmega328P @ 16 MHz (simavr, cycle-accurate)" : "Cortex-M4 @ 64 MHz (QEMU instruction count)") + " | " +
               num(get("flash_bytes"), "%.0f") + (get("flash_limit") > 0 ? " / " + num(get("flash_limit"), "%.0f") : "") + " | " +
               num(get("sram_static_bytes"), "%.0f") + " + " + num(get("stack_peak_bytes"), "%.0f") + (get("sram_limit") > 0 ? " / " + num(get("sram_limit"), "%.0f") : "") +
               " | " + num(inf, "%.0f") + " (" + num(inf / clock * 1e3, "%.3g") + " ms) | " + num(step, "%.0f") + " (" + num(step / clock * 1e3, "%.3g") +
               " ms) | " + num(mac, "%.3g") + " |\n";
    if (inf > 0) {
      const double p_mw = avr ? o.avr_power_mw : o.cortex_m4_power_mw;
      const double seconds = inf / clock;
      energy += "- " + std::string(avr ? "ATmega328P" : "Cortex-M4") + ": " + num(inf, "%.0f") + " cycles at " + num(clock / 1e6, "%.0f") + " MHz = " +
                num(seconds * 1e3, "%.3g") + " ms; at " + num(p_mw, "%.3g") + " mW about " + num(seconds * p_mw * 1e3, "%.3g") + " uJ per inference.\n";
    }
  }
  if (!targets.empty())
    s << "\nMeasured on the emulated chips with this model's golden vectors (bit-exact with the host firmware; flash includes the "
         "test vectors):\n\n| target | flash (bytes) | SRAM static + stack peak (bytes) | cycles per inference | cycles per control step (max) | cycles per MAC |\n"
         "|---|---|---|---|---|---|\n"
      << targets;
  if (o.budget_files.empty()) s << "\nNo MCU budget report given (`--budget build/mcu/budget_avr.json`, produced by the test suite).\n";
  s << "\n## Estimated energy per inference\n\n";
  if (energy.empty()) energy = "Needs a budget report with cycle counts (see above).\n";
  s << energy << "\nPower figures are stated assumptions, not measurements: ATmega328P " << num(o.avr_power_mw) << " mW (about 9 mA at 5 V, 16 MHz), "
    << "Cortex-M4 " << num(o.cortex_m4_power_mw) << " mW (about 3.3 mA at 3 V). Cortex-M figures come from instruction counts under QEMU "
       "(not cycle-accurate; 1 instruction is taken as 1 cycle).\n\n";

  s << "## Known limits (sim-to-real)\n\n";
  s << "- Servo model: a PD loop with 1 degree command resolution and a linear torque-speed curve; real P1S servos run blocking, "
       "interpolated moves (OpenCat) which the default simulation does not model (servo.blocking_moves).\n";
  s << "- IMU: the simulated MPU6050 reports true orientation plus noise, bias and latency; the real DMP output drifts in yaw and its mount may be "
       "rotated (the paper's robot: 180 degrees about y) - set imu.mount_rpy to match.\n";
  s << "- Contacts and friction are Bullet's; foot slip on real floors differs. Randomization covers friction [0.05, 0.75] but not compliant floors.\n";
  s << "- The control loop on the real robot may run slower than in training (the paper: 10 Hz instead of 30 Hz); the firmware's watchdog "
       "counts missed deadlines but the policy was not trained for a slower loop.\n";
  s << "- Only forward walking on flat ground and gentle slopes was evaluated.\n";
  ds.markdown = s.str();
  ds.html = markdown_to_html(ds.markdown, "Policy datasheet: " + md.robot);
  return ds;
}

}  // namespace tinywalk::pipeline
