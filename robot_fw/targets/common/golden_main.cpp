// The golden-vector program: every step of tests/data/golden/golden_vectors.h through the same
// controller code as the host (controller_command, controller_step), compared bit for bit:
// the int8 input features, the int8 network outputs, the OpenCat degrees, the encoded `L` frame
// and the step result (mode, ran_policy, imu_fault, deadline_miss). Prints every mismatch (the
// first 16 in full), the measured counts, and a last line `PASS steps=N ...` or `FAIL ...`.
#include <stddef.h>
#include <stdint.h>

#include "golden_vectors.h"
#include "robot_fw/controller.h"
#include "robot_fw/opencat_serial.h"
#include "robot_fw/targets/common/platform.h"

namespace fw = tinywalk::fw;

namespace {

// ---- Output without printf (small on AVR); string constants in flash (TW_FLASH_STR) ----
void out(const char* flash_s) {
  for (;; ++flash_s) {
    const char c = static_cast<char>(tw_golden_u8(reinterpret_cast<const uint8_t*>(flash_s)));
    if (!c) break;
    tw_plat_write(&c, 1);
  }
}
void out_u(uint32_t v) {
  char b[10];
  int n = 0;
  do {
    b[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  char r[10];
  for (int k = 0; k < n; ++k) r[k] = b[n - 1 - k];
  tw_plat_write(r, static_cast<size_t>(n));
}
void out_i(int32_t v) {
  if (v < 0) {
    out(TW_FLASH_STR("-"));
    out_u(static_cast<uint32_t>(-(v + 1)) + 1u);
  } else {
    out_u(static_cast<uint32_t>(v));
  }
}
void kv(const char* k, uint32_t v) {
  out(TW_FLASH_STR(" "));
  out(k);
  out(TW_FLASH_STR("="));
  out_u(v);
}
// v / 100 with two decimals.
void kv_centi(const char* k, uint32_t v100) {
  out(TW_FLASH_STR(" "));
  out(k);
  out(TW_FLASH_STR("="));
  out_u(v100 / 100);
  out(TW_FLASH_STR("."));
  out_u(v100 / 10 % 10);
  out_u(v100 % 10);
}

uint32_t mismatches = 0;
void mismatch(uint32_t step, const char* what, int idx, int32_t got, int32_t want) {
  if (++mismatches > 16) return;
  out(TW_FLASH_STR("MISMATCH step="));
  out_u(step);
  out(TW_FLASH_STR(" what="));
  out(what);
  out(TW_FLASH_STR(" idx="));
  out_i(idx);
  out(TW_FLASH_STR(" got="));
  out_i(got);
  out(TW_FLASH_STR(" want="));
  out_i(want);
  out(TW_FLASH_STR("\n"));
}

alignas(4) uint8_t arena[TW_GOLDEN_ARENA_BYTES];  // controller_arena_bytes() of the golden model
fw::ControllerData data;
int8_t infer_out[TW_GOLDEN_OUTPUTS];

struct Stat {
  uint32_t n, max;
  uint64_t sum;
  void add(uint32_t v) {
    ++n;
    sum += v;
    if (v > max) max = v;
  }
  uint32_t mean() const { return n ? static_cast<uint32_t>((sum + n / 2) / n) : 0; }
};

}  // namespace

int main() {
  tw_plat_init();
  out(TW_FLASH_STR("golden target="));
  out(tw_target_name);
  kv(TW_FLASH_STR("steps"), TW_GOLDEN_STEPS);
  out(TW_FLASH_STR("\n"));
  fw::ControllerModel model{nullptr, nullptr};
  if (!tw_model_bind(model)) {
    out(TW_FLASH_STR("FAIL model\n"));
    tw_plat_exit(2);
  }
  const fw::CtlStatus st = fw::controller_init(model, data, arena, sizeof arena);
  if (st != fw::CtlStatus::kOk || model.net->inputs() != TW_GOLDEN_FEATURES || model.net->outputs() != TW_GOLDEN_OUTPUTS) {
    out(TW_FLASH_STR("FAIL controller_init status="));
    out_u(static_cast<uint32_t>(st));
    out(TW_FLASH_STR(" (model and golden vectors disagree?)\n"));
    tw_plat_exit(2);
  }
  uint32_t macs = 0;
  for (int l = 0; l < model.net->num_layers; ++l)
    macs += static_cast<uint32_t>(model.net->layers[l].in) * static_cast<uint32_t>(model.net->layers[l].out);

  Stat step_all = {0, 0, 0}, step_policy = {0, 0, 0}, infer = {0, 0, 0};
  for (uint32_t k = 0; k < TW_GOLDEN_STEPS; ++k) {
    // The command received before this step (start / stop), as firmware_tick applies it.
    const uint8_t cmd = tw_golden_u8(&tw_golden_command[k]);
    if (cmd == 1) fw::controller_command(model, data, fw::ParserEvent::kStart);
    if (cmd == 2) fw::controller_command(model, data, fw::ParserEvent::kStop);
    fw::ImuSample s;
    uint32_t bits[9];
    for (int i = 0; i < 9; ++i) bits[i] = tw_golden_u32(&tw_golden_imu[k][i]);
    __builtin_memcpy(s.rpy, bits, 12);
    __builtin_memcpy(s.gyro, bits + 3, 12);
    __builtin_memcpy(s.accel, bits + 6, 12);
    s.timestamp_us = tw_golden_u32(&tw_golden_imu[k][9]);
    const uint32_t now = tw_golden_u32(&tw_golden_now_us[k]);

    const uint32_t t0 = tw_plat_ticks();
    const fw::StepResult r = fw::controller_step(model, data, s, now);
    const uint32_t dt = tw_plat_ticks() - t0;
    step_all.add(dt);

    const uint8_t want_res = tw_golden_u8(&tw_golden_result[k]);
    const uint8_t got_res = static_cast<uint8_t>(static_cast<uint8_t>(r.mode) | (r.ran_policy ? 8 : 0) | (r.imu_fault ? 16 : 0) |
                                                 (r.deadline_miss ? 32 : 0));
    if (got_res != want_res) mismatch(k, TW_FLASH_STR("result"), 0, got_res, want_res);
    if (r.ran_policy) {
      step_policy.add(dt);
      for (int i = 0; i < TW_GOLDEN_FEATURES; ++i) {
        const int8_t w = static_cast<int8_t>(tw_golden_u8(reinterpret_cast<const uint8_t*>(&tw_golden_features[k][i])));
        if (data.input[i] != w) mismatch(k, TW_FLASH_STR("feature"), i, data.input[i], w);
      }
      for (int i = 0; i < TW_GOLDEN_OUTPUTS; ++i) {
        const int8_t w = static_cast<int8_t>(tw_golden_u8(reinterpret_cast<const uint8_t*>(&tw_golden_outputs[k][i])));
        if (data.output[i] != w) mismatch(k, TW_FLASH_STR("output"), i, data.output[i], w);
      }
      // Inference alone on the same input: the same bytes, and its time.
      const uint32_t t1 = tw_plat_ticks();
      tw_model_infer(*model.net, data.input, infer_out, data.scratch);
      infer.add(tw_plat_ticks() - t1);
      for (int i = 0; i < TW_GOLDEN_OUTPUTS; ++i)
        if (infer_out[i] != data.output[i]) mismatch(k, TW_FLASH_STR("reinfer"), i, infer_out[i], data.output[i]);
    }
    for (int j = 0; j < fw::kOpenCatJointCount; ++j) {
      const int16_t w = static_cast<int16_t>(tw_golden_u16(reinterpret_cast<const uint16_t*>(&tw_golden_deg[k][j])));
      if (r.deg[j] != w) mismatch(k, TW_FLASH_STR("deg"), j, r.deg[j], w);
    }
    uint8_t frame[fw::kLCommandBytes];
    size_t n = 0;
    const fw::SerialStatus ss = fw::encode_L(r.deg, fw::AnglePolicy::kClamp, frame, sizeof frame, &n);
    if (ss != fw::SerialStatus::kOk || n != fw::kLCommandBytes) mismatch(k, TW_FLASH_STR("encode_L"), -1, static_cast<int32_t>(ss), 0);
    for (size_t i = 0; i < fw::kLCommandBytes; ++i) {
      const uint8_t w = tw_golden_u8(&tw_golden_serial[k][i]);
      if (frame[i] != w) mismatch(k, TW_FLASH_STR("serial"), static_cast<int>(i), frame[i], w);
    }
  }

  const uint32_t stack = tw_plat_stack_peak();
  if (mismatches) out(TW_FLASH_STR("FAIL"));
  else out(TW_FLASH_STR("PASS"));
  kv(TW_FLASH_STR("steps"), TW_GOLDEN_STEPS);
  kv(TW_FLASH_STR("policy_steps"), step_policy.n);
  kv(TW_FLASH_STR("mismatches"), mismatches);
  kv(TW_FLASH_STR("macs"), macs);
  // Counts in the target's unit (AVR: cycles; Cortex-M4 under QEMU -icount: instructions).
  const uint32_t u = tw_tick_scale;
  out(TW_FLASH_STR(" unit="));
  out(tw_tick_unit);
  kv(TW_FLASH_STR("per_step_mean"), step_policy.mean() * u);
  kv(TW_FLASH_STR("per_step_max"), step_policy.max * u);
  kv(TW_FLASH_STR("per_any_step_max"), step_all.max * u);
  kv(TW_FLASH_STR("per_inference_mean"), infer.mean() * u);
  kv(TW_FLASH_STR("per_inference_max"), infer.max * u);
  kv_centi(TW_FLASH_STR("per_mac"), macs ? static_cast<uint32_t>((static_cast<uint64_t>(infer.mean()) * u * 100 + macs / 2) / macs) : 0);
  kv(TW_FLASH_STR("stack_peak_bytes"), stack);
  out(TW_FLASH_STR("\n"));
  tw_plat_exit(mismatches ? 1 : 0);
  return 0;
}
