// Cross builds and emulator runs of the firmware for a given model.
#include "pipeline/mcu_budget.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "pipeline/golden.h"
#include "quantize/export.h"
#include "quantize/tflite.h"

namespace tinywalk::pipeline {

namespace {
std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}
bool on_path(const std::string& tool) { return std::system(("command -v " + quote(tool) + " > /dev/null 2>&1").c_str()) == 0; }
bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}
// Runs a shell command appending its output to log; true on exit status 0.
bool sh(const std::string& cmd, const std::string& log) {
  return std::system((cmd + " >> " + quote(log) + " 2>&1").c_str()) == 0;
}
// Builds the NyBoard image of this model, copies its .hex and records its sizes (avr-size -A).
void nyboard_image(const std::string& build, const std::string& out_dir, McuRun& r) {
  const std::string sizes = build + "/tinywalk_nyboard.sizes.txt";
  if (!sh("cmake --build " + quote(build) + " --target tinywalk_nyboard -j2", r.log) ||
      std::system(("avr-size -A " + quote(build + "/tinywalk_nyboard.elf") + " > " + quote(sizes) + " 2>> " + quote(r.log)).c_str()) != 0)
    return;
  long text = -1, data = -1, bss = -1;
  std::istringstream in(read_file(sizes));
  std::string name;
  long size = 0, addr = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    if (!(l >> name >> size >> addr)) continue;
    if (name == ".text") text = size;
    if (name == ".data") data = size;
    if (name == ".bss") bss = size;
  }
  if (text < 0 || data < 0 || bss < 0) return;
  r.image_flash_bytes = text + data;
  r.image_sram_static_bytes = data + bss;
  r.image_hex = out_dir + "/tinywalk_nyboard.hex";
  write_file_atomic(r.image_hex, read_file(build + "/tinywalk_nyboard.hex"));
  write_file_atomic(out_dir + "/nyboard_image.json",
                    "{\"target\":\"nyboard\",\"image\":\"tinywalk_nyboard.hex\",\"flash_bytes\":" + std::to_string(r.image_flash_bytes) +
                        ",\"flash_limit\":32256,\"sram_static_bytes\":" + std::to_string(r.image_sram_static_bytes) +
                        ",\"sram_limit\":2048}\n");
}

}  // namespace

std::vector<McuRun> measure_on_mcus(const std::string& model_path, const std::string& out_dir, const std::string& collect_path) {
  const std::string src = TINYWALK_SOURCE_DIR;
  if (::mkdir(out_dir.c_str(), 0755) != 0 && errno != EEXIST) throw InputError(out_dir, "", "cannot create the directory");
  // Golden vectors for this model: a simulator sequence with bad samples and a fall, through the host firmware.
  const std::string model = read_file(model_path);
  const std::string gdir = out_dir + "/golden";
  ::mkdir(gdir.c_str(), 0755);
  const golden::Golden g = golden::run_firmware(model, golden::record_sensors(model, collect_path, 60, 7));
  write_file_atomic(gdir + "/golden_vectors.h", golden::render_header(g));
  write_file_atomic(gdir + "/golden_vectors.txt", golden::render_text(g));
  write_file_atomic(gdir + "/model.tflite", model);

  std::vector<McuRun> runs;
  for (const std::string target : {"avr", "cortex_m4"}) {
    McuRun r;
    r.target = target;
    r.log = out_dir + "/mcu_" + target + ".log";
    r.json = out_dir + "/mcu_budget_" + target + ".json";
    std::remove(r.json.c_str());
    std::remove(r.log.c_str());
    const bool avr = target == "avr";
    const std::vector<std::string> tools = avr ? std::vector<std::string>{"avr-g++", "avr-size", "simavr"}
                                               : std::vector<std::string>{"arm-none-eabi-g++", "arm-none-eabi-size", "qemu-system-arm"};
    for (const auto& t : tools)
      if (r.reason.empty() && !on_path(t)) r.reason = t + " not found: run scripts/install-deps.sh";
    if (r.reason.empty() && !avr && !exists("/usr/lib/arm-none-eabi/newlib")) r.reason = "newlib not found: run scripts/install-deps.sh";
    if (!r.reason.empty()) {
      runs.push_back(r);
      continue;
    }
    const std::string build = out_dir + "/build-" + target;
    std::string defs = " -DCMAKE_TOOLCHAIN_FILE=" + quote(src + "/cmake/" + (avr ? "avr.cmake" : "arm-none-eabi.cmake")) +
                       " -DCMAKE_BUILD_TYPE=MinSizeRel -DTINYWALK_TARGET=" + target + " -DTINYWALK_SOURCE_DIR=" + quote(src) +
                       " -DTINYWALK_GOLDEN_DIR=" + quote(gdir);
    if (avr) {
      const std::string msrc = out_dir + "/avr_model";
      quant::export_firmware(quant::read_tflite(model, model_path), "avr", msrc);
      defs += " -DTINYWALK_MODEL_SRC=" + quote(msrc);
    } else {
      defs += " -DTINYWALK_MODEL_TFLITE=" + quote(gdir + "/model.tflite");
    }
    const std::string elf = build + "/golden_" + target + ".elf";
    if (!sh("cmake -S " + quote(src + "/robot_fw/targets") + " -B " + quote(build) + defs, r.log) ||
        !sh("cmake --build " + quote(build) + " --target golden_" + target + " -j2", r.log)) {
      r.reason = "the cross build failed (see " + r.log + ")";
      runs.push_back(r);
      continue;
    }
    const std::string emu = avr ? " -DSIMAVR=" + quote("simavr") + " -DSIZE=avr-size" : " -DQEMU=qemu-system-arm -DSIZE=arm-none-eabi-size";
    r.ran = true;
    r.passed = sh("cmake -DMCU=" + target + " -DELF=" + quote(elf) + emu + " -DJSON=" + quote(r.json) + " -P " +
                      quote(src + "/cmake/run_mcu_golden.cmake"),
                  r.log);
    if (!r.passed) r.reason = "not bit-exact or over budget on the emulated chip (see " + r.log + ")";
    if (avr && r.passed) nyboard_image(build, out_dir, r);
    runs.push_back(r);
  }
  return runs;
}

}  // namespace tinywalk::pipeline
