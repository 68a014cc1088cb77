// The firmware core around the kernels: sensor decoding, the gait clock, the
// observation builder, the controller's safety layer, the serial front end over
// a HAL, and the no-heap guarantee of a control step.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "robot_fw/controller.h"
#include "robot_fw/controller_config.h"
#include "tests/alloc_counter.h"

using namespace tinywalk::fw;

namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// A two-layer network (4 -> 3 -> 2) with hand-picked weights, and a config around it.
struct TinyModel {
  int8_t w0[12] = {10, -20, 30, 5, 7, 8, -9, 10, 40, -3, 2, 1};
  int32_t b0[3] = {100, -50, 0};
  int32_t m0[3] = {1 << 30, 1 << 30, 1 << 30};
  int32_t s0[3] = {-4, -4, -4};
  int8_t w1[6] = {20, -10, 5, -7, 30, 11};
  int32_t b1[2] = {0, 10};
  int32_t m1[2] = {1 << 30, 1 << 30};
  int32_t s1[2] = {-3, -3};
  NetworkView net{};
  ControllerConfig cfg{};
  ControllerModel model{};

  TinyModel() {
    net.num_layers = 2;
    net.layers[0] = {4, 3, {0, -128, -128, 127}, w0, b0, m0, s0};
    net.layers[1] = {3, 2, {128, 0, -128, 127}, w1, b1, m1, s1};
    std::memset(&cfg, 0, sizeof cfg);
    cfg.control_period_us = 33000;
    // Features: imu_roll_pitch x1 (2) + last_action x1 (2 joints) = 4.
    ObservationConfig& o = cfg.obs;
    o.num_signals = 2;
    o.signal[0] = Signal::kImuRollPitch;
    o.history[0] = 1;
    o.signal[1] = Signal::kLastAction;
    o.history[1] = 1;
    o.num_joints = 2;
    o.num_features = 4;
    for (int f = 0; f < 4; ++f) o.feature[f] = {1, 0, 6};  // q = x / 64
    o.phase_step = 0x15000000u;
    PostprocessConfig& p = cfg.post;
    p.num_joints = 2;
    p.zero_point = 0;
    p.scale_shift = 0;
    p.ma_window = 1;
    p.b0 = 16384;
    for (int j = 0; j < 2; ++j) {
      p.scale_num[j] = 20;  // 0.2 deg per LSB
      p.offset_cdeg[j] = 3000;
      p.min_cdeg[j] = -9000;
      p.max_cdeg[j] = 9000;
      p.direction[j] = 1;
      p.index_map[j] = static_cast<uint8_t>(8 + j);
    }
    SafetyConfig& s = cfg.safety;
    s.fall_roll = 15708;
    s.fall_pitch = 15708;
    s.lift_pitch_min = -8727;
    s.lift_pitch_max = 13090;
    s.lift_steps = 3;
    s.fault_limit = 4;
    s.deadline_limit = 3;
    s.max_imu_age_us = 100000;
    s.deadline_slack_us = 16500;
    for (int k = 0; k < kOpenCatJointCount; ++k) s.safe_pose_deg[k] = static_cast<int16_t>(k >= 8 ? 30 : 0);
    model = {&net, &cfg};
  }
};

ImuSample level(uint32_t t_us, float roll = 0.01f, float pitch = -0.02f) {
  ImuSample s{};
  s.rpy[0] = roll;
  s.rpy[1] = pitch;
  s.accel[2] = 9.81f;
  s.timestamp_us = t_us;
  return s;
}

struct Running {
  TinyModel tm;
  ControllerData d{};
  std::vector<uint8_t> arena;
  uint32_t t = 0;
  Running() {
    arena.resize(controller_arena_bytes(tm.model));
    EXPECT_EQ(controller_init(tm.model, d, arena.data(), arena.size()), CtlStatus::kOk);
    controller_start(tm.model, d);
  }
  StepResult step(ImuSample s) { return controller_step(tm.model, d, s, t); }
  StepResult next(float roll = 0.01f, float pitch = -0.02f) {
    t += 33000;
    return step(level(t, roll, pitch));
  }
};

}  // namespace

TEST(FloatBits, ConvertsToFixedPointWithRoundingHalfAwayFromZero) {
  int32_t v = 0;
  ASSERT_TRUE(float_bits_to_fixed(bits_of(0.5236f), 10000, 40000, &v));
  EXPECT_EQ(v, 5236);
  ASSERT_TRUE(float_bits_to_fixed(bits_of(-1.25f), 1000, 40000, &v));
  EXPECT_EQ(v, -1250);
  ASSERT_TRUE(float_bits_to_fixed(bits_of(0.625f), 4, 40000, &v));  // exactly 2.5: ties away from zero
  EXPECT_EQ(v, 3);
  ASSERT_TRUE(float_bits_to_fixed(bits_of(-0.625f), 4, 40000, &v));
  EXPECT_EQ(v, -3);
  ASSERT_TRUE(float_bits_to_fixed(bits_of(-0.00004f), 10000, 40000, &v));
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(float_bits_to_fixed(bits_of(1e-40f), 10000, 40000, &v));  // subnormal
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(float_bits_to_fixed(bits_of(0.0f), 10000, 40000, &v));
  EXPECT_EQ(v, 0);
  // Every value in a sweep matches round-half-away of the exact product.
  for (float x = -3.3f; x < 3.3f; x += 0.000731f) {
    ASSERT_TRUE(float_bits_to_fixed(bits_of(x), 10000, 40000, &v));
    const double exact = static_cast<double>(x) * 10000;
    EXPECT_EQ(v, static_cast<int32_t>(std::round(exact))) << x;
  }
}

TEST(FloatBits, RejectsNanInfinityAndOutOfRange) {
  int32_t v = 7;
  EXPECT_FALSE(float_bits_to_fixed(bits_of(std::numeric_limits<float>::quiet_NaN()), 10000, 40000, &v));
  EXPECT_FALSE(float_bits_to_fixed(bits_of(std::numeric_limits<float>::infinity()), 10000, 40000, &v));
  EXPECT_FALSE(float_bits_to_fixed(bits_of(-std::numeric_limits<float>::infinity()), 10000, 40000, &v));
  EXPECT_FALSE(float_bits_to_fixed(bits_of(4.1f), 10000, 40000, &v));
  EXPECT_FALSE(float_bits_to_fixed(bits_of(3e38f), 10000, 40000, &v));
  EXPECT_EQ(v, 7);  // untouched on failure
}

TEST(GaitClock, SinAndCosAreWithinOneLsbOfQ14) {
  int worst = 0;
  for (uint64_t p = 0; p < (1ull << 32); p += 65537 * 13) {
    const double a = 2 * M_PI * static_cast<double>(p) / 4294967296.0;
    worst = std::max(worst, std::abs(clock_sin_q14(static_cast<uint32_t>(p)) - static_cast<int>(std::lround(16384 * std::sin(a)))));
    worst = std::max(worst, std::abs(clock_cos_q14(static_cast<uint32_t>(p)) - static_cast<int>(std::lround(16384 * std::cos(a)))));
  }
  EXPECT_LE(worst, 1);
  EXPECT_EQ(clock_sin_q14(0), 0);
  EXPECT_EQ(clock_sin_q14(0x40000000u), 16384);
  EXPECT_EQ(clock_cos_q14(0), 16384);
  EXPECT_EQ(clock_sin_q14(0xC0000000u), -16384);
}

TEST(Observation, QuantizesFeaturesWithTheFoldedMap) {
  EXPECT_EQ(quantize_feature(100, {3, 7, 2}), 77);     // (300 + 7 + 2) >> 2 = 77
  EXPECT_EQ(quantize_feature(-100, {3, 7, 2}), -73);   // floor((-293 + 2) / 4) = -73
  EXPECT_EQ(quantize_feature(100000, {1, 0, 0}), 127);
  EXPECT_EQ(quantize_feature(-100000, {1, 0, 0}), -128);
}

TEST(Observation, HistoryIsNewestFirstAndTheFirstFrameFillsIt) {
  ObservationConfig c{};
  c.num_signals = 2;
  c.signal[0] = Signal::kImuRpy;
  c.history[0] = 2;
  c.signal[1] = Signal::kGaitClock;
  c.history[1] = 1;
  c.num_joints = 1;
  c.num_features = 8;
  for (int f = 0; f < 8; ++f) c.feature[f] = {1, 0, 0};
  c.phase_step = 0x40000000u;  // a quarter turn per step
  ASSERT_EQ(observation_validate(c), ObsStatus::kOk);
  ObservationState s{};
  observation_reset(s);
  int8_t f[8];
  const int32_t action[1] = {0};
  SensorFrame a{{1, 2, 3}, {0, 0, 0}, {0, 0, 0}}, b{{4, 5, 6}, {0, 0, 0}, {0, 0, 0}};
  ASSERT_EQ(observation_build(c, s, a, action, f), ObsStatus::kOk);
  EXPECT_EQ((std::vector<int>{f[0], f[1], f[2], f[3], f[4], f[5]}), (std::vector<int>{1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(f[6], 0);    // sin(0) = 0
  EXPECT_EQ(f[7], 127);  // cos(0) = 16384, clamped
  ASSERT_EQ(observation_build(c, s, b, action, f), ObsStatus::kOk);
  EXPECT_EQ((std::vector<int>{f[0], f[1], f[2], f[3], f[4], f[5]}), (std::vector<int>{4, 5, 6, 1, 2, 3}));
  EXPECT_EQ(f[6], 127);  // step 1: phase a quarter turn, sin = 1
  EXPECT_EQ(f[7], 0);
  // A new episode starts the history and the clock again.
  observation_reset(s);
  ASSERT_EQ(observation_build(c, s, b, action, f), ObsStatus::kOk);
  EXPECT_EQ((std::vector<int>{f[3], f[4], f[5], f[6]}), (std::vector<int>{4, 5, 6, 0}));
  c.num_features = 9;
  EXPECT_EQ(observation_validate(c), ObsStatus::kBadConfig);
}

TEST(Controller, RunsThePolicyOnGoodSamplesAndIdlesInTheSafePoseBeforeStart) {
  TinyModel tm;
  ControllerData d{};
  std::vector<uint8_t> arena(controller_arena_bytes(tm.model));
  EXPECT_EQ(controller_init(tm.model, d, arena.data(), arena.size() - 1), CtlStatus::kArenaTooSmall);
  ASSERT_EQ(controller_init(tm.model, d, arena.data(), arena.size()), CtlStatus::kOk);
  StepResult r = controller_step(tm.model, d, level(0), 0);
  EXPECT_EQ(r.mode, Mode::kIdle);
  EXPECT_FALSE(r.ran_policy);
  EXPECT_EQ(r.deg[8], 30);
  controller_start(tm.model, d);
  r = controller_step(tm.model, d, level(33000), 33000);
  EXPECT_EQ(r.mode, Mode::kRunning);
  EXPECT_TRUE(r.ran_policy);
  // The output equals the network run by hand and post-processed by hand.
  int8_t in[4], out[2], scratch[64];
  in[0] = quantize_feature(100, tm.cfg.obs.feature[0]);   // roll 0.01 rad = 100
  in[1] = quantize_feature(-200, tm.cfg.obs.feature[1]);  // pitch -0.02 rad
  in[2] = quantize_feature(3000, tm.cfg.obs.feature[2]);  // last action: the standing pose
  in[3] = quantize_feature(3000, tm.cfg.obs.feature[3]);
  ASSERT_EQ(network_run(tm.net, in, out, scratch, sizeof scratch), NetStatus::kOk);
  for (int j = 0; j < 2; ++j) EXPECT_EQ(r.deg[8 + j], cdeg_to_deg(3000 + 20 * out[j])) << j;
  EXPECT_EQ(d.last_action_cdeg[0], 3000 + 20 * out[0]);
  EXPECT_EQ(r.deg[0], 0);  // joints outside the index map keep the safe pose
}

TEST(Controller, NanAndStaleSamplesHoldTheLastCommandThenFault) {
  Running run;
  run.next();
  run.next();
  const int16_t held8 = run.d.deg[8], held9 = run.d.deg[9];
  ImuSample bad = level(run.t += 33000);
  bad.gyro[1] = std::numeric_limits<float>::quiet_NaN();
  StepResult r = run.step(bad);
  EXPECT_TRUE(r.imu_fault);
  EXPECT_FALSE(r.ran_policy);
  EXPECT_EQ(r.mode, Mode::kRunning);
  EXPECT_EQ(r.deg[8], held8);
  EXPECT_EQ(r.deg[9], held9);
  EXPECT_EQ(run.d.imu_faults, 1u);
  EXPECT_EQ(run.d.last_fault, ImuCheck::kNotFinite);
  // A good sample recovers; the fault counter keeps its total.
  EXPECT_TRUE(run.next().ran_policy);
  // A sample whose timestamp did not advance is stale; so is an old one.
  run.t += 33000;
  r = run.step(level(run.d.last_imu_us));
  EXPECT_TRUE(r.imu_fault);
  EXPECT_EQ(run.d.last_fault, ImuCheck::kStale);
  run.t += 33000;
  r = run.step(level(run.t - 200000));
  EXPECT_EQ(run.d.last_fault, ImuCheck::kStale);
  // Out of range, then infinity: fault_limit (4) consecutive faults stop the policy.
  ImuSample far = level(run.t += 33000);
  far.accel[0] = 500.0f;
  run.step(far);
  EXPECT_EQ(run.d.last_fault, ImuCheck::kOutOfRange);
  ImuSample inf = level(run.t += 33000);
  inf.rpy[2] = std::numeric_limits<float>::infinity();
  r = run.step(inf);
  EXPECT_EQ(r.mode, Mode::kFault);
  EXPECT_EQ(r.deg[8], 30);  // safe pose
  EXPECT_EQ(run.d.safe_stops, 1u);
  // The policy stays stopped on good samples until `start`.
  EXPECT_FALSE(run.next().ran_policy);
  controller_command(run.tm.model, run.d, ParserEvent::kStart);
  EXPECT_TRUE(run.next().ran_policy);
}

TEST(Controller, FallAndLiftGoToTheSafePose) {
  Running run;
  run.next();
  StepResult r = run.next(1.7f, 0.0f);  // rolled past 90 degrees
  EXPECT_EQ(r.mode, Mode::kFallen);
  EXPECT_EQ(r.deg[9], 30);
  Running lift;
  lift.next();
  EXPECT_EQ(lift.next(0.0f, -1.0f).mode, Mode::kRunning);  // pitch -57 deg: lifted after 3 steps
  EXPECT_EQ(lift.next(0.0f, -1.0f).mode, Mode::kRunning);
  EXPECT_EQ(lift.next(0.0f, -1.0f).mode, Mode::kLifted);
}

TEST(Controller, WatchdogCountsLateStepsAndStopsAfterTheLimit) {
  Running run;
  run.next();
  run.t += 60000;  // 60 ms after the previous step: deadline 33 + 16.5 ms missed
  StepResult r = run.step(level(run.t));
  EXPECT_TRUE(r.deadline_miss);
  EXPECT_EQ(r.mode, Mode::kRunning);
  EXPECT_FALSE(run.next().deadline_miss);
  for (int k = 0; k < 3; ++k) {
    run.t += 80000;
    r = run.step(level(run.t));
  }
  EXPECT_EQ(run.d.deadline_misses, 4u);
  EXPECT_EQ(r.mode, Mode::kFault);
}

TEST(Controller, AControlStepNeverTouchesTheHeap) {
  Running run;
  run.next();
  tinywalk::test::start_counting_allocations();
  for (int k = 0; k < 50; ++k) run.next(0.01f * (k % 5), -0.01f);
  const long n = tinywalk::test::stop_counting_allocations();
  EXPECT_EQ(n, 0);
  EXPECT_EQ(run.d.policy_steps, 51u);
}

namespace {
class FakeHal : public Hal {
 public:
  std::vector<uint8_t> rx, tx;
  size_t rx_pos = 0;
  uint32_t now = 0;
  int16_t servo[16] = {};
  int writes = 0;
  bool read_imu(ImuSample& out) override {
    out = level(now);
    return true;
  }
  void write_servos(const int16_t* deg) override {
    std::memcpy(servo, deg, sizeof servo);
    ++writes;
  }
  uint32_t micros() override { return now; }
  int serial_read() override { return rx_pos < rx.size() ? rx[rx_pos++] : -1; }
  void serial_write(const uint8_t* b, size_t n) override { tx.insert(tx.end(), b, b + n); }
};
}  // namespace

TEST(Controller, SerialCommandsStartStopAndReportThroughTheHal) {
  TinyModel tm;
  ControllerData d{};
  std::vector<uint8_t> arena(controller_arena_bytes(tm.model));
  ASSERT_EQ(controller_init(tm.model, d, arena.data(), arena.size()), CtlStatus::kOk);
  ParserState parser;
  parser_reset(parser);
  FakeHal hal;
  // Garbage (binary, overlong lines) before the commands must not matter.
  const char* input = "\xff\x00\x7e~~\nzzzzzzzzzzzzzzzzzzzzzzzzzzzz\nstart\r\n";
  hal.rx.assign(input, input + 35);
  for (size_t k = 0; k < std::strlen("start\r\n"); ++k) hal.rx.push_back(static_cast<uint8_t>("start\r\n"[k]));
  StepResult r = firmware_tick(tm.model, d, hal, parser);
  EXPECT_EQ(r.mode, Mode::kRunning);
  EXPECT_EQ(hal.writes, 1);
  hal.now += 33000;
  const char* status = "status\ntelemetry\n";
  hal.rx.assign(status, status + std::strlen(status));
  hal.rx_pos = 0;
  r = firmware_tick(tm.model, d, hal, parser);
  const std::string reply(hal.tx.begin(), hal.tx.end());
  EXPECT_EQ(reply.rfind("mode=running steps=1 ", 0), 0u) << reply;
  EXPECT_NE(reply.find("\nt "), std::string::npos) << reply;
  hal.tx.clear();
  const char* stop = "stop\n";
  hal.rx.assign(stop, stop + 5);
  hal.rx_pos = 0;
  hal.now += 33000;
  r = firmware_tick(tm.model, d, hal, parser);
  EXPECT_EQ(r.mode, Mode::kIdle);
  EXPECT_EQ(hal.servo[8], 30);
}

TEST(ControllerConfig, BlobReaderRejectsEveryTruncationAndBadMagic) {
  // A minimal valid blob, written by hand through the same field list.
  struct Writer {
    std::vector<uint8_t> out;
    void raw(uint32_t v) {
      for (int k = 0; k < 4; ++k) out.push_back(static_cast<uint8_t>(v >> (8 * k)));
    }
    bool count(int& n, int, int) { return raw(static_cast<uint32_t>(n)), true; }
    bool field(int32_t v) { return raw(static_cast<uint32_t>(v)), true; }
    bool field(uint32_t v) { return raw(v), true; }
    bool field(int16_t v) { return field(static_cast<int32_t>(v)); }
    bool field(uint16_t v) { return field(static_cast<int32_t>(v)); }
    bool field(int8_t v) { return field(static_cast<int32_t>(v)); }
    bool field(uint8_t v) { return field(static_cast<int32_t>(v)); }
    bool field(bool v) { return field(static_cast<int32_t>(v)); }
    bool field(Signal v) { return field(static_cast<int32_t>(v)); }
  };
  TinyModel tm;
  Writer cfgw;
  visit_controller_config(cfgw, tm.cfg);
  Writer w;
  w.out = {'T', 'W', 'F', 'W'};
  w.raw(1);
  w.raw(0);
  w.raw(static_cast<uint32_t>(cfgw.out.size()));
  w.out.insert(w.out.end(), cfgw.out.begin(), cfgw.out.end());
  ControllerConfig back;
  ASSERT_EQ(controller_config_read(w.out.data(), w.out.size(), back), BlobStatus::kOk);
  EXPECT_EQ(back.obs.num_features, 4);
  EXPECT_EQ(back.post.offset_cdeg[1], 3000);
  EXPECT_EQ(back.safety.safe_pose_deg[15], 30);
  for (size_t n = 0; n < w.out.size(); ++n) EXPECT_NE(controller_config_read(w.out.data(), n, back), BlobStatus::kOk) << n;
  std::vector<uint8_t> bad = w.out;
  bad[0] = 'X';
  EXPECT_EQ(controller_config_read(bad.data(), bad.size(), back), BlobStatus::kBadMagic);
  // A count out of range (num_signals = 99) is a bad field, not an overrun.
  bad = w.out;
  bad[20] = 99;
  EXPECT_EQ(controller_config_read(bad.data(), bad.size(), back), BlobStatus::kBadField);
}

TEST(Controller, TheCommandHistoryHoldsThePolicysTargetsOrTheSentCommands) {
  for (uint8_t source : {kHistoryPolicy, kHistorySent}) {
    Running run;
    run.tm.cfg.history_source = source;
    run.tm.cfg.post.ma_window = 4;       // smoothing makes the two differ
    run.tm.cfg.post.dead_zone_cdeg = 150;
    controller_start(run.tm.model, run.d);
    for (int k = 0; k < 6; ++k) run.next(0.05f * k, -0.03f * k);
    bool differ = false;
    for (int j = 0; j < 2; ++j) {
      const int32_t policy = postprocess_dequantize(run.tm.cfg.post, j, run.d.output[j]);
      differ |= policy != run.d.post.cmd_cdeg[j];
      EXPECT_EQ(run.d.last_action_cdeg[j], source == kHistoryPolicy ? policy : run.d.post.cmd_cdeg[j]) << j;
    }
    EXPECT_TRUE(differ);  // the test would not tell the two apart otherwise
  }
}
