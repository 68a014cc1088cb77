// libFuzzer target for the .tflite reader: any byte string must either read
// to a model or end in InputError; a crash, a sanitizer report, a hang or any
// other exception is a bug. Seed corpus: tests/data/tflite/.
//
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DTINYWALK_FUZZ=ON
//   cmake --build build-fuzz --target fuzz_tflite
//   mkdir -p /tmp/tflite-corpus && build-fuzz/bin/fuzz_tflite /tmp/tflite-corpus tests/data/tflite -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "quantize/tflite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const tinywalk::quant::TfliteModel m = tinywalk::quant::read_tflite(bytes, "fuzz");
    // What was accepted must write back and read again to the same model.
    const std::string again = tinywalk::quant::write_tflite(m);
    if (tinywalk::quant::write_tflite(tinywalk::quant::read_tflite(again, "fuzz-rewrite")) != again) __builtin_trap();
  } catch (const tinywalk::InputError&) {
  }
  return 0;
}
