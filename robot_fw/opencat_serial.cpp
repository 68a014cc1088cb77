// OpenCat serial encoders and the robot-side line parser. See opencat_serial.h for the contract.
// Outline: angle check (reject / clamp to [-128, 125]) -> binary encoders (validate everything,
// check capacity, then write) -> ASCII encoder (measure, then write) -> byte-wise parser.
#include "robot_fw/opencat_serial.h"

namespace tinywalk {
namespace fw {

namespace {

void set_written(size_t* written, size_t n) {
  if (written != nullptr) *written = n;
}

// Binary angle byte; false if it cannot be sent under kReject.
bool angle_byte(int16_t a, AnglePolicy policy, uint8_t* out) {
  if (a < kBinaryAngleMin || a > kBinaryAngleMax) {
    if (policy == AnglePolicy::kReject) return false;
    a = a < kBinaryAngleMin ? kBinaryAngleMin : kBinaryAngleMax;
  }
  *out = static_cast<uint8_t>(static_cast<int8_t>(a));  // two's complement; never 126 or 127
  return true;
}

// Decimal digits of v (with '-' for negatives) into tmp (reversed); returns the length.
size_t format_int(int32_t v, char* tmp) {
  size_t n = 0;
  const bool neg = v < 0;
  uint32_t u = neg ? static_cast<uint32_t>(-static_cast<int64_t>(v)) : static_cast<uint32_t>(v);
  do {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (neg) tmp[n++] = '-';
  return n;
}

bool line_is(const ParserState& p, const char* word) {
  uint8_t i = 0;
  for (; word[i] != '\0'; ++i)
    if (i >= p.len || p.line[i] != word[i]) return false;
  return i == p.len;
}

}  // namespace

SerialStatus encode_I(const uint8_t* indices, const int16_t* angles_deg, size_t n, AnglePolicy policy, uint8_t* buf,
                      size_t capacity, size_t* written) {
  set_written(written, 0);
  if (indices == nullptr || angles_deg == nullptr || buf == nullptr) return SerialStatus::kNullPointer;
  if (n < 1 || n > static_cast<size_t>(kOpenCatJoints)) return SerialStatus::kBadCount;
  uint8_t tmp[2 * kOpenCatJoints];
  for (size_t k = 0; k < n; ++k) {
    if (indices[k] >= kOpenCatJoints) return SerialStatus::kBadIndex;
    tmp[2 * k] = indices[k];
    if (!angle_byte(angles_deg[k], policy, &tmp[2 * k + 1])) return SerialStatus::kAngleOutOfRange;
  }
  const size_t total = 2 + 2 * n;
  if (capacity < total) return SerialStatus::kBufferTooSmall;
  buf[0] = 'I';
  for (size_t k = 0; k < 2 * n; ++k) buf[1 + k] = tmp[k];
  buf[total - 1] = kOpenCatTerminator;
  set_written(written, total);
  return SerialStatus::kOk;
}

SerialStatus encode_L(const int16_t* angles_deg16, AnglePolicy policy, uint8_t* buf, size_t capacity, size_t* written) {
  set_written(written, 0);
  if (angles_deg16 == nullptr || buf == nullptr) return SerialStatus::kNullPointer;
  uint8_t tmp[kOpenCatJoints];
  for (int k = 0; k < kOpenCatJoints; ++k)
    if (!angle_byte(angles_deg16[k], policy, &tmp[k])) return SerialStatus::kAngleOutOfRange;
  if (capacity < kLCommandBytes) return SerialStatus::kBufferTooSmall;
  buf[0] = 'L';
  for (int k = 0; k < kOpenCatJoints; ++k) buf[1 + k] = tmp[k];
  buf[kLCommandBytes - 1] = kOpenCatTerminator;
  set_written(written, kLCommandBytes);
  return SerialStatus::kOk;
}

SerialStatus encode_i_ascii(const uint8_t* indices, const int16_t* angles_deg, size_t n, uint8_t* buf,
                            size_t capacity, size_t* written) {
  set_written(written, 0);
  if (indices == nullptr || angles_deg == nullptr || buf == nullptr) return SerialStatus::kNullPointer;
  if (n < 1 || n > static_cast<size_t>(kOpenCatJoints)) return SerialStatus::kBadCount;
  // Pass 1: validate and measure.
  char tmp[8];
  size_t total = 2;  // 'i' and '\n'
  for (size_t k = 0; k < n; ++k) {
    if (indices[k] >= kOpenCatJoints) return SerialStatus::kBadIndex;
    total += 2 + format_int(indices[k], tmp) + format_int(angles_deg[k], tmp);
  }
  if (capacity < total) return SerialStatus::kBufferTooSmall;
  // Pass 2: write.
  size_t w = 0;
  buf[w++] = 'i';
  for (size_t k = 0; k < n; ++k) {
    const int32_t vals[2] = {indices[k], angles_deg[k]};
    for (int32_t v : vals) {
      buf[w++] = ' ';
      size_t len = format_int(v, tmp);
      while (len > 0) buf[w++] = static_cast<uint8_t>(tmp[--len]);
    }
  }
  buf[w++] = '\n';
  set_written(written, w);
  return SerialStatus::kOk;
}

void parser_reset(ParserState& p) {
  p.len = 0;
  p.discard = false;
  p.cr = false;
}

ParserEvent parser_feed(ParserState& p, uint8_t byte) {
  if (p.len > kParserMaxLine) parser_reset(p);  // defensive: never index out of bounds
  if (byte == '\n') {
    ParserEvent ev = ParserEvent::kNone;
    if (p.discard) {
      ev = ParserEvent::kDiscarded;
    } else if (p.len == 0) {
      ev = ParserEvent::kNone;
    } else if (line_is(p, "start")) {
      ev = ParserEvent::kStart;
    } else if (line_is(p, "stop")) {
      ev = ParserEvent::kStop;
    } else if (line_is(p, "status")) {
      ev = ParserEvent::kStatus;
    } else if (line_is(p, "telemetry")) {
      ev = ParserEvent::kTelemetry;
    } else {
      ev = ParserEvent::kUnknown;
    }
    parser_reset(p);
    return ev;
  }
  if (p.discard) return ParserEvent::kNone;
  if (p.cr) {  // '\r' not followed by '\n'
    p.discard = true;
    return ParserEvent::kNone;
  }
  if (byte == '\r') {
    p.cr = true;
  } else if (byte < 0x20 || byte > 0x7E) {
    p.discard = true;
  } else if (p.len >= kParserMaxLine) {
    p.discard = true;
  } else {
    p.line[p.len++] = static_cast<char>(byte);
  }
  return ParserEvent::kNone;
}

}  // namespace fw
}  // namespace tinywalk
