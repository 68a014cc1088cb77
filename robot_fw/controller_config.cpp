// Reading the "tinywalk_fw" blob: bounded little-endian reads through the shared field list.
#include "robot_fw/controller_config.h"

namespace tinywalk {
namespace fw {

namespace {

class BlobReader {
 public:
  BlobReader(const uint8_t* p, size_t n, size_t at) : p_(p), n_(n), at_(at) {}
  bool ok() const { return ok_; }
  size_t at() const { return at_; }
  bool raw(uint32_t* v) {
    if (!ok_ || at_ > n_ || n_ - at_ < 4) return ok_ = false;
    *v = static_cast<uint32_t>(p_[at_]) | static_cast<uint32_t>(p_[at_ + 1]) << 8 | static_cast<uint32_t>(p_[at_ + 2]) << 16 |
         static_cast<uint32_t>(p_[at_ + 3]) << 24;
    at_ += 4;
    return true;
  }
  bool signed_in(int32_t* v, int32_t lo, int32_t hi) {
    uint32_t u;
    if (!raw(&u)) return false;
    const int32_t s = u <= 0x7fffffffu ? static_cast<int32_t>(u) : -static_cast<int32_t>(~u) - 1;
    if (s < lo || s > hi) return bad_ = true, ok_ = false;
    *v = s;
    return true;
  }
  bool count(int& n, int lo, int hi) {
    int32_t v;
    if (!signed_in(&v, lo, hi)) return false;
    n = static_cast<int>(v);
    return true;
  }
  bool field(int32_t& x) { return signed_in(&x, -2147483647 - 1, 2147483647); }
  bool field(uint32_t& x) { return raw(&x); }
  bool field(int16_t& x) { return narrow(x, -32768, 32767); }
  bool field(uint16_t& x) { return narrow(x, 0, 65535); }
  bool field(int8_t& x) { return narrow(x, -128, 127); }
  bool field(uint8_t& x) { return narrow(x, 0, 255); }
  bool field(bool& x) {
    int32_t v;
    if (!signed_in(&v, 0, 1)) return false;
    x = v != 0;
    return true;
  }
  bool field(Signal& x) {
    int32_t v;
    if (!signed_in(&v, 0, 6)) return false;
    x = static_cast<Signal>(v);
    return true;
  }
  bool bad_field() const { return bad_; }

 private:
  template <class T>
  bool narrow(T& x, int32_t lo, int32_t hi) {
    int32_t v;
    if (!signed_in(&v, lo, hi)) return false;
    x = static_cast<T>(v);
    return true;
  }
  const uint8_t* p_;
  size_t n_, at_;
  bool ok_ = true, bad_ = false;
};

}  // namespace

BlobStatus controller_config_read(const uint8_t* blob, size_t size, ControllerConfig& cfg) {
  if (!blob) return BlobStatus::kNullPointer;
  if (size < 12) return BlobStatus::kTruncated;
  if (blob[0] != 'T' || blob[1] != 'W' || blob[2] != 'F' || blob[3] != 'W') return BlobStatus::kBadMagic;
  BlobReader r(blob, size, 4);
  uint32_t version = 0, layers = 0;
  r.raw(&version);
  r.raw(&layers);
  if (version != kFwBlobVersion) return BlobStatus::kBadVersion;
  if (layers > static_cast<uint32_t>(kMaxLayers)) return BlobStatus::kBadField;
  // Skip the layer section: out, multiplier[out], shift[out].
  for (uint32_t l = 0; l < layers; ++l) {
    uint32_t out = 0;
    if (!r.raw(&out)) return BlobStatus::kTruncated;
    if (out > static_cast<uint32_t>(kMaxWidth)) return BlobStatus::kBadField;
    for (uint32_t k = 0; k < 2 * out; ++k) {
      uint32_t skip;
      if (!r.raw(&skip)) return BlobStatus::kTruncated;
    }
  }
  uint32_t config_bytes = 0;
  if (!r.raw(&config_bytes)) return BlobStatus::kTruncated;
  if (config_bytes > size - r.at()) return BlobStatus::kTruncated;
  BlobReader c(blob, r.at() + config_bytes, r.at());
  // Zero everything first: arrays past the counts stay defined.
  uint8_t* raw = reinterpret_cast<uint8_t*>(&cfg);
  for (size_t k = 0; k < sizeof cfg; ++k) raw[k] = 0;
  if (!visit_controller_config(c, cfg)) return c.bad_field() ? BlobStatus::kBadField : BlobStatus::kTruncated;
  if (c.at() != r.at() + config_bytes) return BlobStatus::kBadField;  // trailing bytes: a different layout
  if (observation_validate(cfg.obs) != ObsStatus::kOk || postprocess_validate(cfg.post) != PostprocessStatus::kOk ||
      cfg.control_period_us == 0 || cfg.safety.fault_limit == 0 || cfg.safety.deadline_limit == 0 || cfg.safety.lift_steps == 0 || cfg.history_source > kHistoryPolicy)
    return BlobStatus::kInvalid;
  return BlobStatus::kOk;
}

BlobStatus controller_config_check(const ControllerConfig& cfg, const NetworkView& net) {
  if (cfg.obs.num_features != net.inputs() || cfg.post.num_joints != net.outputs() || cfg.obs.num_joints != cfg.post.num_joints)
    return BlobStatus::kInvalid;
  return BlobStatus::kOk;
}

}  // namespace fw
}  // namespace tinywalk
