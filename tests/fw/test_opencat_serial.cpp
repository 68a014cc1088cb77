// Tests for robot_fw/opencat_serial: exact encoder bytes, the byte-126 rule, capacity, parser.
#include "robot_fw/opencat_serial.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace {

using namespace tinywalk::fw;

std::vector<uint8_t> bytes(const uint8_t* b, size_t n) { return std::vector<uint8_t>(b, b + n); }

TEST(OpenCatSerial, EncodeIExactBytes) {
  const uint8_t idx[2] = {8, 9};
  const int16_t ang[2] = {-20, 125};
  uint8_t buf[kMaxICommandBytes];
  size_t n = 99;
  ASSERT_EQ(encode_I(idx, ang, 2, AnglePolicy::kReject, buf, sizeof buf, &n), SerialStatus::kOk);
  EXPECT_EQ(bytes(buf, n), (std::vector<uint8_t>{'I', 8, 0xEC, 9, 125, '~'}));
  // No payload byte equals the terminator.
  for (size_t k = 1; k + 1 < n; ++k) EXPECT_NE(buf[k], 126);
}

TEST(OpenCatSerial, EncodeLExactBytes) {
  int16_t ang[16] = {0, 0, 0, 0, 0, 0, 0, 0, 30, 30, 30, 30, 30, 30, 30, 30};
  ang[8] = -128;
  ang[15] = 125;
  uint8_t buf[kLCommandBytes];
  size_t n = 0;
  ASSERT_EQ(encode_L(ang, AnglePolicy::kReject, buf, sizeof buf, &n), SerialStatus::kOk);
  EXPECT_EQ(bytes(buf, n),
            (std::vector<uint8_t>{'L', 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 30, 30, 30, 30, 30, 30, 125, '~'}));
}

TEST(OpenCatSerial, EncodeAsciiExactBytes) {
  const uint8_t idx[2] = {8, 9};
  const int16_t ang[2] = {-20, -20};
  uint8_t buf[64];
  size_t n = 0;
  ASSERT_EQ(encode_i_ascii(idx, ang, 2, buf, sizeof buf, &n), SerialStatus::kOk);
  EXPECT_EQ(std::string(buf, buf + n), "i 8 -20 9 -20\n");
  const uint8_t idx3[3] = {0, 15, 12};
  const int16_t ang3[3] = {0, 200, -32768};
  ASSERT_EQ(encode_i_ascii(idx3, ang3, 3, buf, sizeof buf, &n), SerialStatus::kOk);
  EXPECT_EQ(std::string(buf, buf + n), "i 0 0 15 200 12 -32768\n");
  // Worst case fits the documented bound exactly.
  uint8_t idx16[16];
  int16_t ang16[16];
  for (int k = 0; k < 16; ++k) idx16[k] = 15, ang16[k] = -32768;
  uint8_t big[kMaxAsciiICommandBytes];
  ASSERT_EQ(encode_i_ascii(idx16, ang16, 16, big, sizeof big, &n), SerialStatus::kOk);
  EXPECT_EQ(n, kMaxAsciiICommandBytes);
}

TEST(OpenCatSerial, Byte126Rule) {
  const uint8_t idx[1] = {8};
  uint8_t buf[8] = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
  size_t n = 7;
  for (int16_t a : {126, 127, 128, 500, -129, -200}) {
    const int16_t ang[1] = {a};
    EXPECT_EQ(encode_I(idx, ang, 1, AnglePolicy::kReject, buf, sizeof buf, &n), SerialStatus::kAngleOutOfRange) << a;
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(buf[0], 0xAA);  // nothing written
  }
  // Clamp policy saturates to [-128, 125].
  const int16_t hi[1] = {126}, lo[1] = {-200};
  ASSERT_EQ(encode_I(idx, hi, 1, AnglePolicy::kClamp, buf, sizeof buf, &n), SerialStatus::kOk);
  EXPECT_EQ(bytes(buf, n), (std::vector<uint8_t>{'I', 8, 125, '~'}));
  ASSERT_EQ(encode_I(idx, lo, 1, AnglePolicy::kClamp, buf, sizeof buf, &n), SerialStatus::kOk);
  EXPECT_EQ(bytes(buf, n), (std::vector<uint8_t>{'I', 8, 0x80, '~'}));
  // Exhaustive: every angle in [-128, 125] encodes without a 126 byte; L rejects 126 too.
  for (int a = -128; a <= 125; ++a) {
    const int16_t ang[1] = {static_cast<int16_t>(a)};
    ASSERT_EQ(encode_I(idx, ang, 1, AnglePolicy::kReject, buf, sizeof buf, &n), SerialStatus::kOk);
    EXPECT_NE(buf[2], 126);
    EXPECT_EQ(static_cast<int8_t>(buf[2]), a);
  }
  int16_t l[16] = {};
  l[3] = 126;
  uint8_t lb[kLCommandBytes];
  EXPECT_EQ(encode_L(l, AnglePolicy::kReject, lb, sizeof lb, &n), SerialStatus::kAngleOutOfRange);
  ASSERT_EQ(encode_L(l, AnglePolicy::kClamp, lb, sizeof lb, &n), SerialStatus::kOk);
  EXPECT_EQ(lb[4], 125);
}

TEST(OpenCatSerial, BadArgumentsAndBufferTooSmall) {
  const uint8_t idx[2] = {8, 9};
  const int16_t ang[2] = {10, 20};
  uint8_t buf[64];
  size_t n = 5;
  EXPECT_EQ(encode_I(idx, ang, 2, AnglePolicy::kReject, buf, 5, &n), SerialStatus::kBufferTooSmall);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(encode_I(idx, ang, 2, AnglePolicy::kReject, buf, 6, &n), SerialStatus::kOk);
  EXPECT_EQ(n, 6u);
  int16_t l[16] = {};
  EXPECT_EQ(encode_L(l, AnglePolicy::kReject, buf, 17, &n), SerialStatus::kBufferTooSmall);
  EXPECT_EQ(encode_L(l, AnglePolicy::kReject, buf, 18, &n), SerialStatus::kOk);
  EXPECT_EQ(encode_i_ascii(idx, ang, 2, buf, 11, &n), SerialStatus::kBufferTooSmall);  // "i 8 10 9 20\n" is 12 bytes
}

TEST(OpenCatSerial, AsciiCapacityBoundary) {
  const uint8_t idx[2] = {8, 9};
  const int16_t ang[2] = {-20, -20};
  uint8_t buf[64];
  size_t n = 0;
  EXPECT_EQ(encode_i_ascii(idx, ang, 2, buf, 13, &n), SerialStatus::kBufferTooSmall);
  EXPECT_EQ(encode_i_ascii(idx, ang, 2, buf, 14, &n), SerialStatus::kOk);
  EXPECT_EQ(n, 14u);
  const uint8_t bad_idx[1] = {16};
  EXPECT_EQ(encode_i_ascii(bad_idx, ang, 1, buf, 64, &n), SerialStatus::kBadIndex);
  EXPECT_EQ(encode_I(bad_idx, ang, 1, AnglePolicy::kReject, buf, 64, &n), SerialStatus::kBadIndex);
  EXPECT_EQ(encode_I(idx, ang, 0, AnglePolicy::kReject, buf, 64, &n), SerialStatus::kBadCount);
  EXPECT_EQ(encode_I(idx, ang, 17, AnglePolicy::kReject, buf, 64, &n), SerialStatus::kBadCount);
  EXPECT_EQ(encode_i_ascii(idx, ang, 0, buf, 64, &n), SerialStatus::kBadCount);
  EXPECT_EQ(encode_L(nullptr, AnglePolicy::kReject, buf, 64, &n), SerialStatus::kNullPointer);
  EXPECT_EQ(encode_I(idx, ang, 2, AnglePolicy::kReject, nullptr, 64, &n), SerialStatus::kNullPointer);
}

std::vector<ParserEvent> feed(ParserState& p, const std::string& s) {
  std::vector<ParserEvent> ev;
  for (unsigned char c : s) {
    const ParserEvent e = parser_feed(p, c);
    if (e != ParserEvent::kNone) ev.push_back(e);
  }
  return ev;
}

using E = ParserEvent;

TEST(OpenCatParser, NormalCommandsAndCrlf) {
  ParserState p;
  parser_reset(p);
  EXPECT_EQ(feed(p, "start\nstop\nstatus\ntelemetry\n"), (std::vector<E>{E::kStart, E::kStop, E::kStatus, E::kTelemetry}));
  EXPECT_EQ(feed(p, "start\r\nstop\r\n"), (std::vector<E>{E::kStart, E::kStop}));
  EXPECT_EQ(feed(p, "\n\r\n\n"), (std::vector<E>{}));  // empty lines
  EXPECT_EQ(feed(p, "sta"), (std::vector<E>{}));        // incomplete
  EXPECT_EQ(feed(p, "rt\n"), (std::vector<E>{E::kStart}));
}

TEST(OpenCatParser, GarbageAndOverlong) {
  ParserState p;
  parser_reset(p);
  EXPECT_EQ(feed(p, "Start\nstart \n starts\nstopstop\n"), (std::vector<E>{E::kUnknown, E::kUnknown, E::kUnknown, E::kUnknown}));
  EXPECT_EQ(feed(p, std::string("st\xff" "art\n", 7)), (std::vector<E>{E::kDiscarded}));
  EXPECT_EQ(feed(p, std::string("sta\0rt\n", 7)), (std::vector<E>{E::kDiscarded}));
  EXPECT_EQ(feed(p, "sta\rrt\n"), (std::vector<E>{E::kDiscarded}));
  EXPECT_EQ(feed(p, "start\r\r\n"), (std::vector<E>{E::kDiscarded}));
  EXPECT_EQ(feed(p, std::string(kParserMaxLine, 'a') + "\n"), (std::vector<E>{E::kUnknown}));  // exactly full
  EXPECT_EQ(feed(p, std::string(kParserMaxLine + 1, 'a') + "\n"), (std::vector<E>{E::kDiscarded}));
  EXPECT_EQ(feed(p, std::string(10000, 'x') + "start\nstart\n"), (std::vector<E>{E::kDiscarded, E::kStart}));
  EXPECT_EQ(feed(p, "telemetry\n"), (std::vector<E>{E::kTelemetry}));
}

TEST(OpenCatParser, FuzzMillionRandomBytes) {
  ParserState p;
  parser_reset(p);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> byte(0, 255), pick(0, 3);
  const char* words[] = {"start", "stop", "status", "telemetry"};
  long events = 0;
  for (int i = 0; i < 1000000; ++i) {
    // Bias towards protocol-ish bytes every so often to exercise matches and CR handling.
    int b = byte(rng);
    if ((i & 15) == 0) b = "\n\rsto"[pick(rng)];
    const ParserEvent e = parser_feed(p, static_cast<uint8_t>(b));
    ASSERT_LE(p.len, kParserMaxLine);
    if (e != E::kNone) ++events;
  }
  EXPECT_GT(events, 0);
  // After arbitrary garbage, "\n" resynchronises and each command is recognised.
  const E want[] = {E::kStart, E::kStop, E::kStatus, E::kTelemetry};
  for (int k = 0; k < 4; ++k) {
    feed(p, "\n");
    EXPECT_EQ(feed(p, std::string(words[k]) + "\r\n"), (std::vector<E>{want[k]}));
  }
}

}  // namespace
