// libFuzzer target for the firmware's in-place .tflite loader and blob reader
// (robot_fw/network.cpp, controller_config.cpp): any byte string must give a
// status; what loads must run its network within its own bounds. A crash, a
// sanitizer report or a hang is a bug. Seed corpus: tests/data/tflite/ and
// configs/models/.
//
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DTINYWALK_FUZZ=ON
//   cmake --build build-fuzz --target fuzz_fw_tflite
//   mkdir -p /tmp/fw-corpus && build-fuzz/bin/fuzz_fw_tflite /tmp/fw-corpus configs/models tests/data/tflite -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "robot_fw/controller.h"
#include "robot_fw/controller_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tinywalk::fw;
  std::vector<uint32_t> aligned((size + 3) / 4 + 1);  // the loader wants 4-byte-aligned bytes
  std::memcpy(aligned.data(), data, size);
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(aligned.data());
  NetworkView net{};
  TfliteBlob blob{};
  if (tflite_load(bytes, size, net, blob) != NetStatus::kOk) return 0;
  std::vector<int8_t> in(static_cast<size_t>(net.inputs())), out(static_cast<size_t>(net.outputs())), scratch(network_scratch_bytes(net));
  if (network_run(net, in.data(), out.data(), scratch.data(), scratch.size()) != NetStatus::kOk) __builtin_trap();
  ControllerConfig cfg;
  if (controller_config_read(blob.data, blob.size, cfg) != BlobStatus::kOk || controller_config_check(cfg, net) != BlobStatus::kOk) return 0;
  // A model that loads with a valid configuration must run control steps.
  ControllerModel m{&net, &cfg, nullptr};
  ControllerData d{};
  std::vector<uint8_t> arena(controller_arena_bytes(m));
  if (controller_init(m, d, arena.data(), arena.size()) != CtlStatus::kOk) return 0;
  controller_start(m, d);
  ImuSample s{};
  s.accel[2] = 9.81f;
  for (uint32_t k = 1; k <= 3; ++k) {
    s.timestamp_us = k * cfg.control_period_us;
    controller_step(m, d, s, s.timestamp_us);
  }
  return 0;
}
