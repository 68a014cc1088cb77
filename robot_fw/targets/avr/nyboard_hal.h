// The NyBoard V1 (Petoi Bittle: ATmega328P @ 16 MHz) board HAL for the firmware core:
// tinywalk::fw::Hal over the real peripherals, no heap, no exceptions.
//
//   IMU     MPU6050 at I2C 0x68: raw accel (+-8 g) and gyro (+-2000 dps) registers, converted to
//           SI in the body frame (kImuAxes), roll/pitch by a complementary filter (gyro Euler-rate
//           integration blended with the accelerometer tilt), yaw by gyro integration relative to
//           the moment the policy starts (as the simulator's yaw_relative / the DMP's relative yaw).
//           Gyro bias averaged at boot (the robot must be still for ~0.2 s after power-up).
//   Servos  PCA9685 at I2C 0x40, prescale 24 (about 244 Hz, 1 count = 1 us with the nominal
//           25 MHz oscillator; OpenCat's SERVO_FREQ 240), OpenCat's angle-to-pulse rule (see
//           nyboard_servo_pulse_us), joints 8..15 only (kLegServos).
//   I2C     TWI registers at 400 kHz; every wait is bounded (kTwiSpin polls, about 1 ms), a
//           failed transfer resets the TWI and returns false: a missing or hung chip can never
//           hang the loop. A failed transfer is retried next tick; after kRetryTicks failing ticks in a row
//           the bus is recovered (9 SCL pulses) and the chip initialised again.
//   Clock   Timer1 at clk/64 (4 us, as Arduino's micros()) + a 16-bit overflow count (every
//           262 ms): micros() = overflows * 2^18 + counts * 4 wraps modulo 2^32 exactly.
//   Serial  UART0 115200 8N1 (U2X, UBRR 16, as the Arduino core), RX interrupt into a 12-byte
//           ring (11 bytes: a burst beyond it within one 33 ms tick is dropped and the core's parser
//           resynchronises at the next newline: send one command, read its reply), TX blocking.
//
// Float math lives here only (the core's inference path is integer-only; the HAL hands floats
// over in ImuSample). The pure rules (pulse, filter) are plain C++ so a host test can check them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "robot_fw/controller.h"

namespace tinywalk {
namespace nyboard {

constexpr uint8_t kMpuAddress = 0x68;  // MPU6050, AD0 low
constexpr uint8_t kPcaAddress = 0x40;  // PCA9685, all address pins low
constexpr uint8_t kPcaPrescale = 24;   // 25 MHz / (4096 * 25) = 244 Hz, 1.0 us per count
constexpr uint8_t kRetryTicks = 30;    // failing ticks before a chip is set up again (~1 s)

// ---- Servos: one table, OpenCat joints 8..15 (legs) ----
// channel: the PCA9685 output wired to the joint. THE NYBOARD'S WIRING IS NOT IN OUR REFERENCES:
// these channels are taken from the public OpenCat source (src/OpenCat.h, NyBoard_V1_0/1_1/1_2:
// pwm_pin[] = {12,11,4,3, 13,10,5,2, 14,9,6,1, 15,8,7,0}, entries 8..15) and must be checked on
// the user's board (docs/firmware-mcu.md, "Flashing a NyBoard") before the servos are powered.
// direction, middle_shift, min/max: OpenCat's Bittle tables (/work/shared/reference/paper-and-robot.md).
struct LegServo {
  uint8_t joint;         // OpenCat joint index (8..15)
  uint8_t channel;       // PCA9685 channel 0..15
  int8_t direction;      // +1 / -1
  int8_t middle_shift;   // deg, OpenCat's middleShift
  int8_t calib;          // deg, servo calibration (OpenCat's servoCalib), unless the EEPROM has one
  int16_t min_deg;       // OpenCat-frame angle limits, deg
  int16_t max_deg;
};
constexpr int kLegServos = 8;
//                                   joint channel dir shift calib  min   max      leg
constexpr LegServo kLegServoTable[kLegServos] = {
    {8, 14, 1, 55, 0, -200, 80},     // left-front shoulder
    {9, 9, -1, 55, 0, -200, 80},     // right-front shoulder
    {10, 6, -1, -55, 0, -80, 200},   // right-back shoulder
    {11, 1, 1, -55, 0, -80, 200},    // left-back shoulder
    {12, 15, -1, -55, 0, -80, 200},  // left-front knee
    {13, 8, 1, -55, 0, -80, 200},    // right-front knee
    {14, 7, 1, -55, 0, -80, 200},    // right-back knee
    {15, 0, -1, -55, 0, -80, 200},   // left-back knee
};
// The calib column is replaced by OpenCat's own calibration when the board's EEPROM holds a
// plausible one (OpenCat's `c` calibration stores int8 degrees at EEPROM address 16 + joint;
// "plausible": not all 0xFF, all within +-kMaxAbsEepromCalib). TW_NYBOARD_EEPROM_CALIB=0 disables it.
constexpr uint16_t kOpenCatEepromCalib = 16;
constexpr int8_t kMaxAbsEepromCalib = 30;

// OpenCat's rule (PCA9685servo.h / calibratedPWM): clamp the angle to [min, max]; servo angle
// s = 135 + direction * (middle_shift + calib + angle) (deg on the 270-degree P1S, 135 = middle);
// pulse = 600 + 7 * s us (OpenCat's integer factor (2500 - 500) / 270 = 7 us/deg and offset
// 4 * 150 counts), clipped to [500, 2500] us. Matching OpenCat exactly keeps an OpenCat
// calibration valid here.
constexpr int16_t kPulseOffsetUs = 600, kPulsePerDegUs = 7, kPulseMinUs = 500, kPulseMaxUs = 2500;
inline int16_t nyboard_servo_pulse_us(const LegServo& s, int8_t calib_deg, int16_t angle_deg) {  // calib_deg: s.calib or the EEPROM's
  int16_t a = angle_deg < s.min_deg ? s.min_deg : angle_deg > s.max_deg ? s.max_deg : angle_deg;
  const int16_t servo_deg = static_cast<int16_t>(135 + s.direction * (s.middle_shift + calib_deg + a));
  int16_t p = static_cast<int16_t>(kPulseOffsetUs + kPulsePerDegUs * servo_deg);
  if (p < kPulseMinUs) p = kPulseMinUs;
  if (p > kPulseMaxUs) p = kPulseMaxUs;
  return p;
}

// ---- IMU: chip axes -> body axes (x forward, y left, z up; the simulator's sensor frame) ----
// body[k] = sign[k] * chip[axis[k]], for the accelerometer and the gyro alike. Default: the
// paper's real Bittle, IMU frame rotated 180 deg about y relative to the simulator
// (configs/robots/bittle.yaml imu.mount_rpy comment): x -> -x, y -> y, z -> -z. NOT VERIFIED on a
// board here: with the robot standing level and still, the boot line must show az near +981
// (cm/s^2) and ax, ay near 0; nose down must give a positive pitch (docs/firmware-mcu.md).
struct ImuAxis {
  uint8_t axis;  // chip axis 0..2
  int8_t sign;   // +1 / -1
};
constexpr ImuAxis kImuAxes[3] = {{0, -1}, {1, 1}, {2, -1}};

// Complementary filter for roll / pitch and gyro-integrated yaw (ZYX Euler angles, rad).
struct AttitudeFilter {
  float rpy[3];      // rad
  bool seeded;
};
constexpr float kTiltTimeConstant = 0.5f;  // s: below it the gyro dominates, above it the accelerometer
// One update: gyro (rad/s, body), accel (m/s^2, body, +g on z when level), dt (s). The first call
// seeds roll/pitch from the accelerometer and yaw at 0. The accelerometer correction is skipped
// when |accel| is far from g (impacts, free fall). Angles wrapped to [-pi, pi].
void attitude_update(AttitudeFilter& f, const float gyro[3], const float accel[3], float dt);

// ---- The HAL ----
class NyboardHal final : public fw::Hal {
 public:
  // UART, Timer1, interrupts on, TWI, MPU6050 (with the gyro bias at rest), PCA9685 (outputs off
  // until the first write_servos). Bounded: returns even with no chip on the bus.
  void init();
  // The core's ControllerData, so read_imu can zero the yaw when the policy starts (the yaw is
  // relative to `start`, as in training). Optional.
  void watch(const fw::ControllerData* d) { ctl_ = d; }

  bool read_imu(fw::ImuSample& out) override;
  void write_servos(const int16_t* deg16) override;
  uint32_t micros() override;
  int serial_read() override;
  void serial_write(const uint8_t* bytes, size_t n) override;

  // Simulation / test hook: bytes as if received on UART0 (dropped when the ring is full).
  void inject_rx(const char* s);
  // Text output helpers (flash strings on AVR).
  void print_P(const char* flash_s);
  void print_i(int32_t v);
  bool imu_ok() const { return flags_ & kImuOk; }
  bool pca_ok() const { return flags_ & kPcaOk; }
  bool calib_from_eeprom() const { return flags_ & kCalibEeprom; }
  int8_t calib(int k) const;  // deg, leg k of kLegServoTable, as used

 private:
  bool mpu_init();
  bool pca_init();
  bool mpu_read_raw(int16_t raw[7]);

  // SRAM is the NyBoard's scarcest resource (2 KB, the core needs ~1.4 KB): 32 bytes here.
  enum : uint8_t { kImuOk = 1, kPcaOk = 2, kWasRunning = 4, kCalibEeprom = 8, kBiasDone = 16 };
  const fw::ControllerData* ctl_ = nullptr;
  AttitudeFilter att_ = {{0, 0, 0}, false};
  int16_t gyro_bias_[3] = {0, 0, 0};  // raw LSB, chip axes
  uint32_t last_now_ = 0;             // the last micros() value handed out
  uint16_t last_read_ = 0;            // micros() / 16 of the last good sensor read (filter dt)
  uint8_t flags_ = 0;
  uint8_t imu_retry_ = 0, pca_retry_ = 0;  // failing ticks in a row
};

}  // namespace nyboard
}  // namespace tinywalk
