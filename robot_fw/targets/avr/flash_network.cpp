// network_run for AVR, reading the network's constant data from flash (see flash_loader.h).
#include "robot_fw/targets/avr/flash_loader.h"
#include "robot_fw/int8_kernels_fast.h"

namespace tinywalk {
namespace fw {

NetStatus tw_network_run_flash(const NetworkView& net, const int8_t* input, int8_t* output, int8_t* scratch, size_t scratch_bytes) {
  if (!input || !output || !scratch) return NetStatus::kNullPointer;
  const NetStatus st = network_validate(net);  // shapes and pointers only (the view is in RAM)
  if (st != NetStatus::kOk) return st;
  if (scratch_bytes < network_scratch_bytes(net)) return NetStatus::kArenaTooSmall;
  network_run_fast<FlashLoader>(net, input, output, scratch, net.max_width());
  return NetStatus::kOk;
}

}  // namespace fw
}  // namespace tinywalk
