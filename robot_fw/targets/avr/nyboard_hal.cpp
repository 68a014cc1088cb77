// NyBoard V1 HAL: TWI (MPU6050, PCA9685), Timer1 clock, UART0 ring buffer. See nyboard_hal.h.
#include "robot_fw/targets/avr/avr_runtime.h"
#include "robot_fw/targets/avr/nyboard_hal.h"

#include <math.h>

#if defined(__AVR__)
#include <avr/eeprom.h>
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <util/delay.h>
#endif

namespace tinywalk {
namespace nyboard {

namespace {
constexpr float kPi = 3.14159265f;
float wrap_pi(float a) {
  while (a > kPi) a -= 2 * kPi;
  while (a < -kPi) a += 2 * kPi;
  return a;
}
}  // namespace

// ---- Complementary filter (portable) ----
void attitude_update(AttitudeFilter& f, const float gyro[3], const float accel[3], float dt) {
  constexpr float kG = 9.80665f;
  // Tilt from the specific force: f = g * (-sin(pitch), sin(roll) cos(pitch), cos(roll) cos(pitch)).
  const float roll_acc = atan2f(accel[1], accel[2]);
  const float pitch_acc = atan2f(-accel[0], sqrtf(accel[1] * accel[1] + accel[2] * accel[2]));
  if (!f.seeded) {
    f.rpy[0] = roll_acc;
    f.rpy[1] = pitch_acc;
    f.rpy[2] = 0;
    f.seeded = true;
    return;
  }
  // Body rates -> ZYX Euler rates (pitch kept off +-90 deg for the tangent).
  const float sr = sinf(f.rpy[0]), cr = cosf(f.rpy[0]);
  float cp = cosf(f.rpy[1]);
  if (cp < 0.05f) cp = 0.05f;
  const float tp = sinf(f.rpy[1]) / cp;
  const float qr = gyro[1] * sr + gyro[2] * cr;
  f.rpy[0] = wrap_pi(f.rpy[0] + (gyro[0] + qr * tp) * dt);
  f.rpy[1] = f.rpy[1] + (gyro[1] * cr - gyro[2] * sr) * dt;
  f.rpy[2] = wrap_pi(f.rpy[2] + qr / cp * dt);
  // Accelerometer correction, only when |a| is near g (no impact, no free fall).
  const float an = sqrtf(accel[0] * accel[0] + accel[1] * accel[1] + accel[2] * accel[2]);
  if (an > 0.7f * kG && an < 1.3f * kG) {
    const float w = dt / (kTiltTimeConstant + dt);
    f.rpy[0] = wrap_pi(f.rpy[0] + w * wrap_pi(roll_acc - f.rpy[0]));
    f.rpy[1] = f.rpy[1] + w * (pitch_acc - f.rpy[1]);
  }
  if (f.rpy[1] > kPi / 2) f.rpy[1] = kPi / 2;
  if (f.rpy[1] < -kPi / 2) f.rpy[1] = -kPi / 2;
}

#if defined(__AVR__)

namespace {

// ---- Timer1: 4 us counts, overflow every 262.144 ms ----
volatile uint16_t t1_overflows;

// ---- UART0 RX ring ----
constexpr uint8_t kRxSize = 12;  // holds 11 bytes: the longest command, "telemetry\r\n"
volatile uint8_t rx_buf[kRxSize];
volatile uint8_t rx_head, rx_tail;  // head: written by the ISR; tail: by serial_read

uint8_t rx_next(uint8_t i) { return static_cast<uint8_t>(i + 1 == kRxSize ? 0 : i + 1); }
void rx_push(uint8_t b) {
  const uint8_t h = rx_head, n = rx_next(h);
  if (n == rx_tail) return;  // full: drop
  rx_buf[h] = b;
  rx_head = n;
}

// ---- TWI (I2C master), every wait bounded ----
constexpr uint16_t kTwiSpin = 2000;  // polls of TWINT, ~8 cycles each: about 1 ms at 16 MHz
constexpr uint8_t kStart = 0x08, kRepStart = 0x10, kSlaWAck = 0x18, kDataWAck = 0x28, kSlaRAck = 0x40, kDataRAck = 0x50,
                  kDataRNack = 0x58;

bool twi_wait() {
  for (uint16_t k = 0; k < kTwiSpin; ++k)
    if (TWCR & (1 << TWINT)) return true;
  return false;
}
uint8_t twi_status() { return TWSR & 0xF8; }
void twi_stop() {
  TWCR = (1 << TWINT) | (1 << TWSTO) | (1 << TWEN);
  for (uint16_t k = 0; k < kTwiSpin && (TWCR & (1 << TWSTO)); ++k) {
  }
}
void twi_init() {
  TWSR = 0;   // prescaler 1
  TWBR = 12;  // 16 MHz / (16 + 2 * 12) = 400 kHz
  TWCR = 1 << TWEN;
}
// After a failure: release the bus and restart the TWI (clears a stuck state machine).
bool twi_fail() {
  twi_stop();
  TWCR = 0;
  twi_init();
  return false;
}
// START (or repeated START) + address byte; sla is (addr << 1) | rw.
bool twi_start(uint8_t sla) {
  TWCR = (1 << TWINT) | (1 << TWSTA) | (1 << TWEN);
  if (!twi_wait()) return false;
  const uint8_t st = twi_status();
  if (st != kStart && st != kRepStart) return false;
  TWDR = sla;
  TWCR = (1 << TWINT) | (1 << TWEN);
  if (!twi_wait()) return false;
  return twi_status() == ((sla & 1) ? kSlaRAck : kSlaWAck);
}
bool twi_write(uint8_t b) {
  TWDR = b;
  TWCR = (1 << TWINT) | (1 << TWEN);
  return twi_wait() && twi_status() == kDataWAck;
}
bool twi_read(uint8_t* b, bool ack) {
  TWCR = (1 << TWINT) | (1 << TWEN) | (ack ? (1 << TWEA) : 0);
  if (!twi_wait()) return false;
  *b = TWDR;
  return twi_status() == (ack ? kDataRAck : kDataRNack);
}
// reg, then n bytes (n = 0: just the register byte).
bool i2c_write(uint8_t addr, uint8_t reg, const uint8_t* data, uint8_t n) {
  if (!twi_start(static_cast<uint8_t>(addr << 1)) || !twi_write(reg)) return twi_fail();
  for (uint8_t k = 0; k < n; ++k)
    if (!twi_write(data[k])) return twi_fail();
  twi_stop();
  return true;
}
bool i2c_write1(uint8_t addr, uint8_t reg, uint8_t v) { return i2c_write(addr, reg, &v, 1); }
bool i2c_read(uint8_t addr, uint8_t reg, uint8_t* data, uint8_t n) {
  if (!twi_start(static_cast<uint8_t>(addr << 1)) || !twi_write(reg)) return twi_fail();
  if (!twi_start(static_cast<uint8_t>((addr << 1) | 1))) return twi_fail();
  for (uint8_t k = 0; k < n; ++k)
    if (!twi_read(&data[k], k + 1 < n)) return twi_fail();
  twi_stop();
  return true;
}

// Frees a bus a slave holds low (reset mid-byte): up to 9 SCL pulses by hand, then a STOP.
void i2c_bus_recover() {
  TWCR = 0;
  DDRC &= static_cast<uint8_t>(~((1 << PC4) | (1 << PC5)));  // SDA PC4, SCL PC5: inputs (pulled up)
  PORTC |= (1 << PC4) | (1 << PC5);
  for (uint8_t k = 0; k < 9 && !(PINC & (1 << PC4)); ++k) {
    DDRC |= 1 << PC5;  // SCL low
    _delay_us(5);
    DDRC &= static_cast<uint8_t>(~(1 << PC5));  // SCL released
    _delay_us(5);
  }
  PORTC &= static_cast<uint8_t>(~((1 << PC4) | (1 << PC5)));  // external pull-ups only from here
  twi_init();
}

// MPU6050 registers.
constexpr uint8_t kSmplrtDiv = 0x19, kConfig = 0x1A, kGyroConfig = 0x1B, kAccelConfig = 0x1C, kAccelXoutH = 0x3B,
                  kPwrMgmt1 = 0x6B;
// PCA9685 registers.
constexpr uint8_t kMode1 = 0x00, kLed0OnL = 0x06, kAllLedOffH = 0xFD, kPreScale = 0xFE;
constexpr uint8_t kMode1Sleep = 0x10, kMode1Ai = 0x20;

// The leg table in flash (a compile-time copy of kLegServoTable: no SRAM).
const LegServo kLegServoFlash[kLegServos] PROGMEM = {kLegServoTable[0], kLegServoTable[1], kLegServoTable[2],
                                                     kLegServoTable[3], kLegServoTable[4], kLegServoTable[5],
                                                     kLegServoTable[6], kLegServoTable[7]};

}  // namespace

}  // namespace nyboard
}  // namespace tinywalk

ISR(TIMER1_OVF_vect) { tinywalk::nyboard::t1_overflows = tinywalk::nyboard::t1_overflows + 1; }
ISR(USART_RX_vect) {
  const uint8_t st = UCSR0A;
  const uint8_t b = UDR0;
  if (!(st & ((1 << FE0) | (1 << DOR0)))) tinywalk::nyboard::rx_push(b);
}

namespace tinywalk {
namespace nyboard {

void NyboardHal::init() {
  // UART0: 115200 8N1, double speed, RX interrupt.
  UCSR0A = 1 << U2X0;
  UBRR0H = 0;
  UBRR0L = 16;
  UCSR0C = (1 << UCSZ01) | (1 << UCSZ00);
  UCSR0B = (1 << TXEN0) | (1 << RXEN0) | (1 << RXCIE0);
  // Timer1: normal mode, clk/64, overflow interrupt.
  TCCR1A = 0;
  TCCR1B = (1 << CS11) | (1 << CS10);
  TIMSK1 = 1 << TOIE1;
  sei();
  i2c_bus_recover();
#if !defined(TW_NYBOARD_EEPROM_CALIB) || TW_NYBOARD_EEPROM_CALIB
  // Servo calibration: OpenCat's EEPROM values when plausible (not blank, all small).
  bool plausible = true, blank = true;
  for (int k = 0; k < kLegServos; ++k) {
    const int8_t c = static_cast<int8_t>(eeprom_read_byte(reinterpret_cast<const uint8_t*>(kOpenCatEepromCalib + 8 + k)));
    if (c > kMaxAbsEepromCalib || c < -kMaxAbsEepromCalib) plausible = false;
    if (c != -1) blank = false;  // erased EEPROM reads 0xFF
  }
  if (plausible && !blank) flags_ |= kCalibEeprom;
#endif
  if (pca_init()) flags_ |= kPcaOk;
  if (mpu_init()) flags_ |= kImuOk;
}

int8_t NyboardHal::calib(int k) const {
  if (flags_ & kCalibEeprom) return static_cast<int8_t>(eeprom_read_byte(reinterpret_cast<const uint8_t*>(kOpenCatEepromCalib + 8 + k)));
  return static_cast<int8_t>(pgm_read_byte(&kLegServoFlash[k].calib));
}

bool NyboardHal::pca_init() {
  // Sleep, set the prescaler (only writable asleep), all outputs off, wake with auto-increment.
  const uint8_t off = 0x10;  // ALL_LED_OFF_H bit 4: full off
  if (!i2c_write1(kPcaAddress, kMode1, kMode1Sleep | kMode1Ai)) return false;
  if (!i2c_write1(kPcaAddress, kPreScale, kPcaPrescale)) return false;
  if (!i2c_write(kPcaAddress, kAllLedOffH, &off, 1)) return false;
  if (!i2c_write1(kPcaAddress, kMode1, kMode1Ai)) return false;
  _delay_us(500);  // oscillator start-up
  return true;
}

bool NyboardHal::mpu_init() {
  // Wake (PLL on gyro X), DLPF 44 Hz, 200 Hz sample rate, gyro +-2000 dps, accel +-8 g.
  if (!i2c_write1(kMpuAddress, kPwrMgmt1, 0x01)) return false;
  _delay_ms(30);  // gyro start-up
  if (!i2c_write1(kMpuAddress, kSmplrtDiv, 4) || !i2c_write1(kMpuAddress, kConfig, 3) ||
      !i2c_write1(kMpuAddress, kGyroConfig, 0x18) || !i2c_write1(kMpuAddress, kAccelConfig, 0x10))
    return false;
  _delay_ms(20);
  att_.seeded = false;
  if (flags_ & kBiasDone) return true;  // a re-initialisation while moving keeps the boot bias
  // Gyro bias: the mean of 32 readings at rest (5 ms apart).
  int32_t sum[3] = {0, 0, 0};
  for (uint8_t n = 0; n < 32; ++n) {
    int16_t raw[7];
    if (!mpu_read_raw(raw)) return false;
    for (int k = 0; k < 3; ++k) sum[k] += raw[4 + k];
    _delay_ms(5);
  }
  for (int k = 0; k < 3; ++k) gyro_bias_[k] = static_cast<int16_t>(sum[k] / 32);
  flags_ |= kBiasDone;
  return true;
}

// accel x y z, temperature, gyro x y z (chip axes, raw LSB).
bool NyboardHal::mpu_read_raw(int16_t raw[7]) {
  uint8_t b[14];
  if (!i2c_read(kMpuAddress, kAccelXoutH, b, sizeof b)) return false;
  for (int k = 0; k < 7; ++k) raw[k] = static_cast<int16_t>((static_cast<uint16_t>(b[2 * k]) << 8) | b[2 * k + 1]);
  return true;
}

bool NyboardHal::read_imu(fw::ImuSample& out) {
  // Zero the yaw when the policy (re)starts: yaw is relative to `start`, as in training.
  const bool running = ctl_ && ctl_->mode == fw::Mode::kRunning;
  if (running && !(flags_ & kWasRunning)) att_.rpy[2] = 0;
  flags_ = static_cast<uint8_t>(running ? flags_ | kWasRunning : flags_ & ~kWasRunning);
  const uint32_t t = micros();
  int16_t raw[7];
  // A failed read is retried next tick; after kRetryTicks failing ticks in a row (or when the
  // chip was missing at boot) the bus is recovered and the chip initialised again.
  bool got = (flags_ & kImuOk) && mpu_read_raw(raw);
  if (got) {
    imu_retry_ = 0;
  } else if (++imu_retry_ >= kRetryTicks) {
    imu_retry_ = 0;
    i2c_bus_recover();
    flags_ = static_cast<uint8_t>(mpu_init() ? flags_ | kImuOk : flags_ & ~kImuOk);
  }
#ifdef TW_NYBOARD_SIM_FAKE_IMU
  // Simulation only: no MPU6050 under simavr; a level robot at rest, in chip axes.
  if (!got) {
    for (int k = 0; k < 7; ++k) raw[k] = 0;
    raw[kImuAxes[2].axis] = static_cast<int16_t>(kImuAxes[2].sign * 4096);  // +1 g on body z
    for (int k = 0; k < 3; ++k) raw[4 + k] = gyro_bias_[k];                 // no rotation
    got = true;
  }
#endif
  if (!got) {
    att_.seeded = false;  // reseed from the accelerometer after an outage
    return false;
  }
  constexpr float kAccelPerLsb = 9.80665f / 4096.0f;           // +-8 g
  constexpr float kGyroPerLsb = 3.14159265f / 180.0f / 16.4f;  // +-2000 dps, rad/s
  // Chip -> body axes, unrolled so kImuAxes folds into the code (no SRAM copy).
#define TW_NY_AXIS(k)                                                                          \
  out.accel[k] = kImuAxes[k].sign * (raw[kImuAxes[k].axis] * kAccelPerLsb);                    \
  out.gyro[k] = kImuAxes[k].sign *                                                             \
                (static_cast<int16_t>(raw[4 + kImuAxes[k].axis] - gyro_bias_[kImuAxes[k].axis]) * kGyroPerLsb);
  TW_NY_AXIS(0)
  TW_NY_AXIS(1)
  TW_NY_AXIS(2)
#undef TW_NY_AXIS
  const uint16_t t16 = static_cast<uint16_t>(t >> 4);
  const float dt = static_cast<uint16_t>(t16 - last_read_) * 16e-6f;  // < 1.05 s: reseeded after an outage
  last_read_ = t16;
  attitude_update(att_, out.gyro, out.accel, dt > 0.1f ? 0.1f : dt);
  for (int k = 0; k < 3; ++k) out.rpy[k] = att_.rpy[k];
  // Stamped when read; firmware_tick reads the clock after this call, so the age is never negative.
  out.timestamp_us = t;
  return true;
}

void NyboardHal::write_servos(const int16_t* deg16) {
  // Commands are absolute, so a failed write is simply repeated next tick; after kRetryTicks
  // failing ticks in a row (or a chip missing at boot) the bus is recovered and the chip set up again.
  if (!(flags_ & kPcaOk) && pca_retry_ < kRetryTicks) {
    ++pca_retry_;
    return;
  }
  if (pca_retry_ >= kRetryTicks) {
    pca_retry_ = 0;
    i2c_bus_recover();
    flags_ = static_cast<uint8_t>(pca_init() ? flags_ | kPcaOk : flags_ & ~kPcaOk);
    if (!(flags_ & kPcaOk)) return;
  }
  for (int k = 0; k < kLegServos; ++k) {
    LegServo s;
    memcpy_P(&s, &kLegServoFlash[k], sizeof s);
    const uint16_t p = static_cast<uint16_t>(nyboard_servo_pulse_us(s, calib(k), deg16[s.joint]));
    // LEDn_ON = 0, LEDn_OFF = pulse counts (1 count = 1 us at prescale 24).
    const uint8_t regs[4] = {0, 0, static_cast<uint8_t>(p & 0xFF), static_cast<uint8_t>(p >> 8)};
    if (!i2c_write(kPcaAddress, static_cast<uint8_t>(kLed0OnL + 4 * s.channel), regs, 4)) {
      ++pca_retry_;  // the rest of this tick is skipped (bounded time on a dead bus)
      return;
    }
  }
  pca_retry_ = 0;
}

uint32_t NyboardHal::micros() {
  const uint32_t ticks = avr_rt::timer1_read(t1_overflows);  // 4 us per tick (prescaler 64)
  // 2^18 us per overflow: (overflows mod 2^14) decides the result, so it wraps modulo 2^32 exactly.
  uint32_t v = ticks << 2;
  // Defensive: never behind the last value (a lost overflow would otherwise look like a 262 ms
  // step back to the core's modular clock arithmetic); time only moves forward.
  if (static_cast<int32_t>(v - last_now_) < 0) v += 1UL << 18;
  last_now_ = v;
  return last_now_;
}

int NyboardHal::serial_read() {
  const uint8_t t = rx_tail;
  if (t == rx_head) return -1;
  const uint8_t b = rx_buf[t];
  rx_tail = rx_next(t);
  return b;
}

void NyboardHal::serial_write(const uint8_t* bytes, size_t n) {
  for (size_t k = 0; k < n; ++k) {
    while (!(UCSR0A & (1 << UDRE0))) {
    }
    UDR0 = bytes[k];
  }
}

void NyboardHal::inject_rx(const char* s) {
  const uint8_t sreg = SREG;
  cli();
  for (; *s; ++s) rx_push(static_cast<uint8_t>(*s));
  SREG = sreg;
}

void NyboardHal::print_P(const char* flash_s) {
  for (;; ++flash_s) {
    const uint8_t c = pgm_read_byte(flash_s);
    if (!c) break;
    serial_write(&c, 1);
  }
}

void NyboardHal::print_i(int32_t v) {
  char b[11];
  uint8_t n = 0;
  uint32_t u = v < 0 ? static_cast<uint32_t>(-(v + 1)) + 1u : static_cast<uint32_t>(v);
  do {
    b[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) b[n++] = '-';
  while (n) serial_write(reinterpret_cast<const uint8_t*>(&b[--n]), 1);
}

#endif  // __AVR__

}  // namespace nyboard
}  // namespace tinywalk
