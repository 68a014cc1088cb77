// Firmware-in-the-loop: the firmware core as a sim driver.
#include "pipeline/firmware_loop.h"

#include <cmath>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <vector>

#include "common/error.h"
#include "pipeline/firmware_config.h"
#include "robot_fw/controller_config.h"

namespace tinywalk::pipeline {

namespace {

// The HAL of the simulated robot: the simulated IMU as the MPU6050 driver would hand it over,
// the control-step clock in microseconds, servo writes captured in OpenCat degrees, and a
// serial line the loop can type commands into (as an operator would: "start\n").
class SimHal final : public fw::Hal {
 public:
  fw::ImuSample sample{};
  uint32_t now_us = 0;
  int16_t servo_deg[fw::kOpenCatJointCount] = {};
  std::string rx, tx;
  size_t rx_pos = 0;

  bool read_imu(fw::ImuSample& out) override {
    out = sample;
    return true;
  }
  void write_servos(const int16_t* deg16) override { std::memcpy(servo_deg, deg16, sizeof servo_deg); }
  uint32_t micros() override { return now_us; }
  int serial_read() override { return rx_pos < rx.size() ? static_cast<unsigned char>(rx[rx_pos++]) : -1; }
  void serial_write(const uint8_t* bytes, size_t n) override { tx.append(reinterpret_cast<const char*>(bytes), n); }
  void type(const std::string& line) {
    rx.erase(0, rx_pos);
    rx_pos = 0;
    rx += line;
  }
};

// The bytes a robot would hold: the model with its "tinywalk_fw" blob, in 16-byte-aligned storage.
// Made once per factory (all the offline float work) and shared read-only by every driver.
struct FirmwareImage {
  std::vector<std::max_align_t> storage;
  size_t size = 0;
  int joints = 0;
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(storage.data()); }
};

// Loads an image as the firmware does: in place, configuration from the blob.
fw::NetStatus load_image(const FirmwareImage& image, fw::NetworkView& net, fw::ControllerConfig& cfg) {
  fw::TfliteBlob blob{};
  const fw::NetStatus st = fw::tflite_load(image.bytes(), image.size, net, blob);
  if (st != fw::NetStatus::kOk) return st;
  if (fw::controller_config_read(blob.data, blob.size, cfg) != fw::BlobStatus::kOk || fw::controller_config_check(cfg, net) != fw::BlobStatus::kOk)
    return fw::NetStatus::kBadMetadata;
  return fw::NetStatus::kOk;
}

std::shared_ptr<const FirmwareImage> make_image(const quant::TfliteModel& model, const sim::CollectSetup& setup, bool postprocess) {
  quant::TfliteModel with_blob = model;
  with_blob.meta.firmware_blob = firmware_blob(model, firmware_config(model, setup.robot, firmware_settings(setup, postprocess)));
  const std::string bytes = quant::write_tflite(with_blob);
  auto image = std::make_shared<FirmwareImage>();
  image->storage.resize((bytes.size() + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t));
  std::memcpy(image->storage.data(), bytes.data(), bytes.size());
  image->size = bytes.size();
  image->joints = model.outputs();
  // Fail here, on the caller's thread, rather than in a rollout worker.
  fw::NetworkView net{};
  fw::ControllerConfig cfg{};
  const fw::NetStatus st = load_image(*image, net, cfg);
  if (st != fw::NetStatus::kOk) throw InputError("", "--model", std::string("the firmware cannot load this model: ") + fw::net_status_name(st));
  const fw::ControllerModel view{&net, &cfg, nullptr};
  fw::ControllerData probe{};
  std::vector<uint8_t> arena(fw::controller_arena_bytes(view));
  if (fw::controller_init(view, probe, arena.data(), arena.size()) != fw::CtlStatus::kOk)
    throw InputError("", "--model", "the firmware's controller rejects the model");
  return image;
}

// One firmware instance over a shared image: its own network view, configuration (read from the
// blob), arena and state.
class FirmwareDriver : public sim::Driver {
 public:
  FirmwareDriver(std::shared_ptr<const FirmwareImage> image, FirmwareCounters* counters, std::mutex* mu)
      : image_(std::move(image)), counters_(counters), mu_(mu) {
    TW_CHECK(load_image(*image_, net_, cfg_) == fw::NetStatus::kOk, "a firmware image checked by make_image must load");
    model_view_ = {&net_, &cfg_, nullptr};
    fw::parser_reset(parser_);
    arena_.resize(fw::controller_arena_bytes(model_view_));
    TW_CHECK(fw::controller_init(model_view_, data_, arena_.data(), arena_.size()) == fw::CtlStatus::kOk, "controller_init on a checked image");
    joints_ = image_->joints;
    targets_.resize(joints_);
  }
  ~FirmwareDriver() override { flush(); }

  void reset(uint64_t) override {
    flush();
    // Power-on state, then the operator's `start` over serial (handled by the first tick).
    fw::controller_stop(model_view_, data_);
    fw::parser_reset(parser_);
    hal_.tx.clear();
    hal_.type("start\n");
    step_ = 0;
    stopped_ = false;
    base_ = counters_snapshot();
  }

  std::vector<double> act(const sim::Observation& obs) override {
    // One firmware tick over the simulator's HAL: serial, IMU, clock, control step, servo write.
    for (int k = 0; k < 3; ++k) {
      hal_.sample.rpy[k] = static_cast<float>(obs.imu.rpy[k]);
      hal_.sample.gyro[k] = static_cast<float>(obs.imu.gyro[k]);
      hal_.sample.accel[k] = static_cast<float>(obs.imu.accel[k]);
    }
    hal_.now_us = static_cast<uint32_t>(step_ * cfg_.control_period_us);
    hal_.sample.timestamp_us = hal_.now_us;
    ++step_;
    const fw::StepResult r = fw::firmware_tick(model_view_, data_, hal_, parser_);
    if (r.mode != fw::Mode::kRunning) stopped_ = true;
    // The servos get exactly the integer degrees the firmware emits, mapped back through the
    // robot's index and direction table: angle = direction * (deg - calibration).
    const fw::PostprocessConfig& p = cfg_.post;
    for (int j = 0; j < joints_; ++j) {
      const int32_t c = static_cast<int32_t>(hal_.servo_deg[p.index_map[j]]) * 100 - p.calib_cdeg[j];
      targets_[j] = p.direction[j] * c * M_PI / 18000.0;
    }
    return targets_;
  }

 private:
  struct Snap {
    uint32_t steps, faults, misses;
  };
  Snap counters_snapshot() const { return {data_.steps, data_.imu_faults, data_.deadline_misses}; }
  void flush() {
    if (!counters_ || step_ == 0) return;
    std::lock_guard<std::mutex> lock(*mu_);
    counters_->steps += data_.steps - base_.steps;
    counters_->imu_faults += data_.imu_faults - base_.faults;
    counters_->deadline_misses += data_.deadline_misses - base_.misses;
    counters_->safe_stops += stopped_ ? 1 : 0;
    step_ = 0;
  }

  std::shared_ptr<const FirmwareImage> image_;
  fw::NetworkView net_{};
  fw::ControllerConfig cfg_{};
  fw::ControllerModel model_view_{};
  fw::ControllerData data_{};
  fw::ParserState parser_{};
  SimHal hal_;
  std::vector<uint8_t> arena_;
  FirmwareCounters* counters_;
  std::mutex* mu_;
  Snap base_{};
  int joints_ = 0;
  int64_t step_ = 0;
  bool stopped_ = false;
  std::vector<double> targets_;
};

}  // namespace

sim::DriverFactory firmware_driver(std::shared_ptr<const quant::TfliteModel> model, const sim::CollectSetup& setup, bool postprocess,
                                   FirmwareCounters* counters) {
  if (!model || !model->int8) throw InputError("", "--model", "firmware-in-the-loop needs an int8 .tflite model");
  if (model->meta.joints != setup.robot.config.joints)
    throw InputError("", "--model", "the model was trained for joints of robot '" + model->meta.robot + "', not those of '" + setup.robot.config.name + "'");
  auto mu = std::make_shared<std::mutex>();
  const std::shared_ptr<const FirmwareImage> image = make_image(*model, setup, postprocess);
  return [image, counters, mu] { return std::make_unique<FirmwareDriver>(image, counters, mu.get()); };
}

EvalReport evaluate_firmware(std::shared_ptr<const quant::TfliteModel> model, const sim::CollectSetup& setup, int episodes, uint64_t seed,
                             int threads, const std::function<void(int, int)>& progress, FirmwareCounters* counters, bool postprocess,
                             const ExpertRun* expert) {
  return evaluate_driver(firmware_driver(model, setup, postprocess, counters), setup, episodes, seed, threads, progress, expert);
}

}  // namespace tinywalk::pipeline
