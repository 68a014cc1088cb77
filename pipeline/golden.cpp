// Golden vectors: record (simulator + host firmware), replay (host firmware), render (C header, text).
#include "pipeline/golden.h"

#include <cmath>
#include <cstring>
#include <iomanip>
#include <limits>
#include <sstream>

#include "common/error.h"
#include "robot_fw/controller_config.h"
#include "robot_fw/network.h"
#include "robot_fw/opencat_serial.h"
#include "sim/rollout.h"
#include "sim/simulation.h"

namespace tinywalk::golden {

namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// The host firmware on the model's bytes, loaded in place exactly as on a 32-bit MCU.
struct HostFirmware {
  std::vector<uint32_t> storage;
  fw::NetworkView net{};
  fw::ControllerConfig cfg{};
  fw::ControllerModel model{};
  fw::ControllerData data{};
  std::vector<uint8_t> arena;

  explicit HostFirmware(const std::string& bytes) {
    storage.assign((bytes.size() + 3) / 4 + 4, 0u);
    std::memcpy(storage.data(), bytes.data(), bytes.size());
    fw::TfliteBlob blob{};
    const fw::NetStatus ns = fw::tflite_load(reinterpret_cast<const uint8_t*>(storage.data()), bytes.size(), net, blob);
    if (ns != fw::NetStatus::kOk) throw InputError("", "--model", std::string("the firmware cannot load this model: ") + fw::net_status_name(ns));
    if (fw::controller_config_read(blob.data, blob.size, cfg) != fw::BlobStatus::kOk ||
        fw::controller_config_check(cfg, net) != fw::BlobStatus::kOk)
      throw InputError("", "--model", "no valid \"tinywalk_fw\" controller configuration in the model (quantize it with tinywalk quantize)");
    model = {&net, &cfg};
    arena.assign(fw::controller_arena_bytes(model), 0);
    if (fw::controller_init(model, data, arena.data(), arena.size()) != fw::CtlStatus::kOk)
      throw InputError("", "--model", "the firmware's controller rejects the model");
  }
  fw::StepResult step(const SensorStep& s) {
    if (s.command == 1) fw::controller_command(model, data, fw::ParserEvent::kStart);
    if (s.command == 2) fw::controller_command(model, data, fw::ParserEvent::kStop);
    return fw::controller_step(model, data, s.imu, s.now_us);
  }
};

template <class T>
void row(std::ostream& o, const T* v, size_t n) {
  o << "{";
  for (size_t i = 0; i < n; ++i) o << (i ? ", " : "") << static_cast<long long>(v[i]);
  o << "}";
}

}  // namespace

uint32_t fnv1a(const std::string& bytes) {
  uint32_t h = 2166136261u;
  for (unsigned char c : bytes) h = (h ^ c) * 16777619u;
  return h;
}

std::vector<SensorStep> record_sensors(const std::string& model_bytes, const std::string& collect_yaml, int steps, uint64_t seed) {
  if (steps < 60 || steps > 2000) throw InputError("", "--steps", "expected 60..2000 steps (the fault schedule needs 60)");
  HostFirmware f(model_bytes);
  sim::CollectSetup setup = sim::load_collect(collect_yaml);
  sim::SimConfig sc = setup.config.sim;
  sc.randomize = false;
  sim::Simulation sim(setup.robot, sc);
  sim.reset(seed);
  const int joints = f.cfg.post.num_joints;
  std::vector<double> cmd(static_cast<size_t>(joints), 0.0);
  std::vector<SensorStep> out;
  uint32_t offset = 0, prev_ts = 0;
  const int fall_start = steps - 12;
  for (int k = 0; k < steps; ++k) {
    SensorStep s;
    const sim::ImuReading r = sim.read_imu();
    for (int i = 0; i < 3; ++i) {
      s.imu.rpy[i] = static_cast<float>(r.rpy[i]);
      s.imu.gyro[i] = static_cast<float>(r.gyro[i]);
      s.imu.accel[i] = static_cast<float>(r.accel[i]);
    }
    if (k == 40) offset += 20000, s.note = "late step: 20 ms after the deadline (deadline miss)";
    s.now_us = static_cast<uint32_t>(std::llround(sim.time() * 1e6)) + 500 + offset;
    s.imu.timestamp_us = static_cast<uint32_t>(std::llround(r.t * 1e6)) + offset;
    if (k == 0) s.command = 1, s.note = "start";
    if (k == 20) s.imu.gyro[1] = std::numeric_limits<float>::quiet_NaN(), s.note = "NaN gyro";
    if (k == 24) s.imu.accel[2] = std::numeric_limits<float>::infinity(), s.note = "+inf accel";
    if (k == 25) s.imu.rpy[2] = -std::numeric_limits<float>::infinity(), s.note = "-inf yaw";
    if (k == 28) s.imu.rpy[0] = 4.0f, s.note = "roll out of range (4 rad)";
    if (k == 30) s.imu.gyro[0] = -40.0f, s.note = "gyro out of range (-40 rad/s)";
    if (k == 32) s.imu.timestamp_us = prev_ts, s.note = "repeated timestamp (stale)";
    if (k == 36) s.imu.timestamp_us = s.now_us - 200000, s.note = "sample 200 ms old (stale)";
    if (k == 44) s.command = 2, s.note = "stop";
    if (k == 47) s.command = 1, s.note = "start again";
    if (k >= fall_start && k < fall_start + 6) {  // the robot tips over sideways
      s.imu.rpy[0] = static_cast<float>(0.3 * (k - fall_start + 1));
      s.note = "fall ramp: roll " + std::to_string(0.3 * (k - fall_start + 1)).substr(0, 3) + " rad";
    }
    if (k >= fall_start + 6) s.imu.rpy[0] = 1.9f, s.note = "lying on its side";
    if (k == steps - 4) s.command = 1, s.note = "start while lying on its side";
    if (k == steps - 2) s.command = 2, s.note = "stop";
    prev_ts = s.imu.timestamp_us;
    const fw::StepResult res = f.step(s);
    // The servos get exactly the emitted degrees, mapped back to the robot's joint frame.
    const fw::PostprocessConfig& p = f.cfg.post;
    for (int j = 0; j < joints; ++j) {
      const int32_t c = static_cast<int32_t>(res.deg[p.index_map[j]]) * 100 - p.calib_cdeg[j];
      cmd[static_cast<size_t>(j)] = p.direction[j] * c * M_PI / 18000.0;
    }
    sim.step(cmd.data());
    out.push_back(s);
  }
  return out;
}

Golden run_firmware(const std::string& model_bytes, const std::vector<SensorStep>& in) {
  HostFirmware f(model_bytes);
  Golden g;
  g.model_bytes = model_bytes;
  g.inputs = f.net.inputs();
  g.outputs = f.net.outputs();
  g.arena_bytes = f.arena.size();
  for (const SensorStep& s : in) {
    GoldenStep o;
    o.in = s;
    const fw::StepResult r = f.step(s);
    o.result = static_cast<uint8_t>(static_cast<uint8_t>(r.mode) | (r.ran_policy ? 8 : 0) | (r.imu_fault ? 16 : 0) | (r.deadline_miss ? 32 : 0));
    o.features.assign(static_cast<size_t>(g.inputs), 0);
    o.outputs.assign(static_cast<size_t>(g.outputs), 0);
    if (r.ran_policy) {
      std::memcpy(o.features.data(), f.data.input, o.features.size());
      std::memcpy(o.outputs.data(), f.data.output, o.outputs.size());
    }
    std::memcpy(o.deg, r.deg, sizeof o.deg);
    size_t n = 0;
    if (fw::encode_L(r.deg, fw::AnglePolicy::kClamp, o.serial, sizeof o.serial, &n) != fw::SerialStatus::kOk || n != sizeof o.serial)
      throw std::logic_error("encode_L failed on firmware output");
    g.steps.push_back(o);
  }
  return g;
}

std::string render_header(const Golden& g) {
  std::ostringstream h;
  const size_t n = g.steps.size();
  h << "// GENERATED by `tinywalk golden` (tools/golden.cpp): do not edit; regenerate with\n"
    << "//   build/bin/tinywalk golden --model tests/data/golden/model.tflite --out tests/data/golden --replay\n"
    << "// Golden vectors of the firmware core: per step the input (serial command, HAL clock, IMU sample\n"
    << "// as IEEE-754 bits) and what robot_fw must produce (step result, int8 features and outputs when\n"
    << "// the policy ran, OpenCat degrees, the binary `L` frame). Read by robot_fw/targets/common/golden_main.cpp\n"
    << "// on every target; on AVR the tables live in flash (PROGMEM), read with pgm_read_*.\n"
    << "#pragma once\n\n#include <stdint.h>\n\n"
    << "#ifndef TW_GOLDEN_CONST\n#if defined(__AVR__)\n#include <avr/pgmspace.h>\n#define TW_GOLDEN_CONST PROGMEM\n#else\n#define TW_GOLDEN_CONST\n#endif\n#endif\n\n"
    << "#define TW_GOLDEN_STEPS " << n << "\n#define TW_GOLDEN_FEATURES " << g.inputs << "\n#define TW_GOLDEN_OUTPUTS " << g.outputs
    << "\n#define TW_GOLDEN_ARENA_BYTES " << g.arena_bytes << "\n#define TW_GOLDEN_MODEL_BYTES " << g.model_bytes.size()
    << "\n#define TW_GOLDEN_MODEL_FNV1A 0x" << std::hex << std::setw(8) << std::setfill('0') << fnv1a(g.model_bytes) << std::dec
    << "u  // of model.tflite\n\n";
  h << "// Serial command applied before the step: 0 none, 1 start, 2 stop.\nstatic const uint8_t tw_golden_command[" << n << "] TW_GOLDEN_CONST = {";
  for (size_t k = 0; k < n; ++k) h << (k % 32 ? " " : "\n    ") << int(g.steps[k].in.command) << ",";
  h << "\n};\n// HAL clock at the step, us.\nstatic const uint32_t tw_golden_now_us[" << n << "] TW_GOLDEN_CONST = {";
  for (size_t k = 0; k < n; ++k) h << (k % 8 ? " " : "\n    ") << g.steps[k].in.now_us << "u,";
  h << "\n};\n// ImuSample: rpy[3], gyro[3], accel[3] as float bits, then timestamp_us.\nstatic const uint32_t tw_golden_imu[" << n
    << "][10] TW_GOLDEN_CONST = {\n";
  for (const GoldenStep& s : g.steps) {
    const fw::ImuSample& m = s.in.imu;
    const float* v[9] = {&m.rpy[0], &m.rpy[1], &m.rpy[2], &m.gyro[0], &m.gyro[1], &m.gyro[2], &m.accel[0], &m.accel[1], &m.accel[2]};
    h << "    {" << std::hex;
    for (int i = 0; i < 9; ++i) h << "0x" << std::setw(8) << std::setfill('0') << bits_of(*v[i]) << "u, ";
    h << std::dec << m.timestamp_us << "u},";
    if (!s.in.note.empty()) h << "  // " << s.in.note;
    h << "\n";
  }
  h << "};\n// Step result: mode | ran_policy << 3 | imu_fault << 4 | deadline_miss << 5.\nstatic const uint8_t tw_golden_result[" << n
    << "] TW_GOLDEN_CONST = {";
  for (size_t k = 0; k < n; ++k) h << (k % 16 ? " " : "\n    ") << int(g.steps[k].result) << ",";
  h << "\n};\n// int8 input features (zeros when the policy did not run).\nstatic const int8_t tw_golden_features[" << n << "]["
    << g.inputs << "] TW_GOLDEN_CONST = {\n";
  for (const GoldenStep& s : g.steps) row(h << "    ", s.features.data(), s.features.size()), h << ",\n";
  h << "};\n// int8 network outputs (zeros when the policy did not run).\nstatic const int8_t tw_golden_outputs[" << n << "][" << g.outputs
    << "] TW_GOLDEN_CONST = {\n";
  for (const GoldenStep& s : g.steps) row(h << "    ", s.outputs.data(), s.outputs.size()), h << ",\n";
  h << "};\n// OpenCat degrees, joint indices 0..15.\nstatic const int16_t tw_golden_deg[" << n << "][16] TW_GOLDEN_CONST = {\n";
  for (const GoldenStep& s : g.steps) row(h << "    ", s.deg, 16), h << ",\n";
  h << "};\n// encode_L(deg, kClamp): 'L', 16 angle bytes, '~'.\nstatic const uint8_t tw_golden_serial[" << n << "][18] TW_GOLDEN_CONST = {\n";
  for (const GoldenStep& s : g.steps) row(h << "    ", s.serial, 18), h << ",\n";
  h << "};\n";
  return h.str();
}

std::string render_text(const Golden& g) {
  std::ostringstream t;
  t << "# tinywalk golden vectors (GENERATED by `tinywalk golden`; tests/data/golden/golden_vectors.h is the same data)\n"
    << "# model.tflite: " << g.model_bytes.size() << " bytes, fnv1a 0x" << std::hex << std::setw(8) << std::setfill('0') << fnv1a(g.model_bytes)
    << std::dec << "; inputs " << g.inputs << ", outputs " << g.outputs << ", steps " << g.steps.size() << "\n"
    << "# per step, input: cmd (0 none, 1 start, 2 stop) now_us ts_us, rpy/gyro/accel as float bits (decimal in the comment)\n"
    << "# per step, output: mode ran fault miss, features (int8), outputs (int8), deg (OpenCat 0..15), L frame bytes\n";
  static const char* modes[] = {"idle", "running", "fallen", "lifted", "fault"};
  for (size_t k = 0; k < g.steps.size(); ++k) {
    const GoldenStep& s = g.steps[k];
    const fw::ImuSample& m = s.in.imu;
    t << "step " << k << " cmd " << int(s.in.command) << " now_us " << s.in.now_us << " ts_us " << m.timestamp_us << std::hex;
    const float* v[9] = {&m.rpy[0], &m.rpy[1], &m.rpy[2], &m.gyro[0], &m.gyro[1], &m.gyro[2], &m.accel[0], &m.accel[1], &m.accel[2]};
    for (int i = 0; i < 9; ++i) t << (i % 3 ? " " : i == 0 ? " rpy " : i == 3 ? " gyro " : " accel ") << std::setw(8) << std::setfill('0') << bits_of(*v[i]);
    t << std::dec << "  #";
    for (int i = 0; i < 9; ++i) t << " " << std::setprecision(6) << *v[i];
    if (!s.in.note.empty()) t << " | " << s.in.note;
    t << "\n  out mode " << modes[s.result & 7] << " ran " << ((s.result >> 3) & 1) << " fault " << ((s.result >> 4) & 1) << " miss "
      << ((s.result >> 5) & 1) << "\n  features";
    for (int8_t x : s.features) t << " " << int(x);
    t << "\n  outputs";
    for (int8_t x : s.outputs) t << " " << int(x);
    t << "\n  deg";
    for (int16_t x : s.deg) t << " " << x;
    t << "\n  L";
    for (uint8_t x : s.serial) t << " " << int(x);
    t << "\n";
  }
  return t.str();
}

std::vector<SensorStep> parse_text_sensors(const std::string& text, const std::string& source) {
  std::vector<SensorStep> out;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.rfind("step ", 0) != 0) continue;
    std::istringstream l(line);
    std::string w, key;
    size_t index = 0;
    int cmd = 0;
    SensorStep s;
    uint32_t b[9];
    bool ok = static_cast<bool>(l >> w >> index >> key >> cmd) && key == "cmd" && index == out.size();
    ok = ok && (l >> key >> s.now_us) && key == "now_us" && (l >> key >> s.imu.timestamp_us) && key == "ts_us";
    for (int g = 0; ok && g < 3; ++g) {
      ok = static_cast<bool>(l >> key) && key == (g == 0 ? "rpy" : g == 1 ? "gyro" : "accel");
      for (int i = 0; ok && i < 3; ++i) ok = static_cast<bool>(l >> std::hex >> b[3 * g + i] >> std::dec);
    }
    if (!ok || cmd < 0 || cmd > 2) throw InputError(source, "line " + std::to_string(lineno), "expected `step <k> cmd <0..2> now_us <u> ts_us <u> rpy <3 hex> gyro <3 hex> accel <3 hex>`");
    s.command = static_cast<uint8_t>(cmd);
    for (int i = 0; i < 3; ++i) s.imu.rpy[i] = float_of(b[i]), s.imu.gyro[i] = float_of(b[3 + i]), s.imu.accel[i] = float_of(b[6 + i]);
    const size_t bar = line.find(" | ");
    if (bar != std::string::npos) s.note = line.substr(bar + 3);
    out.push_back(s);
  }
  if (out.empty()) throw InputError(source, "", "no `step` lines");
  return out;
}

}  // namespace tinywalk::golden
