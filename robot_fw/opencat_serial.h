// OpenCat serial protocol: command encoders (robot controller -> OpenCat board) and a small
// line parser for text commands received by the robot.
//
// Freestanding C++: no heap, no exceptions, no RTTI, no standard library beyond
// <stdint.h>/<stddef.h>. Integer only. All buffers are owned by the caller.
//
// Binary commands (reference: "Binary commands end with `~` (byte 126), so binary angles must
// stay at or below 125"):
//   'I' idx0 ang0 idx1 ang1 ... '~'     index/angle byte pairs
//   'L' ang0 ... ang15 '~'              all 16 angles, OpenCat index order
// An angle is sent as one int8 byte (two's complement). The reference limits the ANGLE to
// <= 125, it does not forbid negative angles: -128..-1 encode as bytes 0x80..0xFF, which can
// never be the terminator 126 (0x7E). So the sendable binary range is [-128, 125]; 126 and 127
// are not sendable (127 is excluded too because the reference says "at or below 125").
// Angles outside [-128, 125] are handled by AnglePolicy: kReject returns kAngleOutOfRange and
// writes nothing; kClamp saturates them to [-128, 125]. Indices must be 0..15 (so an index
// byte is never 126 either). Hence no payload byte is ever 126.
//
// ASCII 'i' command: "i 8 -20 9 -20\n" - 'i', then for each pair a space, the decimal index,
// a space and the decimal angle (optional '-', no leading zeros), ending with '\n'. Any int16
// angle can be sent in ASCII (OpenCat clamps to its own per-joint limits).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace tinywalk {
namespace fw {

constexpr uint8_t kOpenCatTerminator = 126;   // '~'
constexpr int kOpenCatJoints = 16;
constexpr int16_t kBinaryAngleMin = -128;
constexpr int16_t kBinaryAngleMax = 125;
constexpr size_t kMaxICommandBytes = 2 + 2 * kOpenCatJoints;  // 34
constexpr size_t kLCommandBytes = 2 + kOpenCatJoints;         // 18
constexpr size_t kMaxAsciiICommandBytes = 2 + kOpenCatJoints * 10;  // "i" + 16 x " 15 -32768" + "\n" = 162

enum class SerialStatus : uint8_t {
  kOk = 0,
  kNullPointer,       // a required pointer was null
  kBufferTooSmall,    // capacity below the encoded size; nothing written
  kBadCount,          // pair count outside 1..16
  kBadIndex,          // joint index outside 0..15
  kAngleOutOfRange,   // binary angle outside [-128, 125] with AnglePolicy::kReject
};

enum class AnglePolicy : uint8_t { kReject, kClamp };

// Each encoder writes into buf[0..capacity) and, on kOk, sets *written to the number of bytes
// (no NUL terminator). On any error nothing is written to buf and *written is 0 (if non-null).

// 'I' + n (index, angle) pairs + '~'; n in 1..16; 2 + 2n bytes.
SerialStatus encode_I(const uint8_t* indices, const int16_t* angles_deg, size_t n, AnglePolicy policy, uint8_t* buf,
                      size_t capacity, size_t* written);
// 'L' + 16 angles (OpenCat index order) + '~'; always 18 bytes.
SerialStatus encode_L(const int16_t* angles_deg16, AnglePolicy policy, uint8_t* buf, size_t capacity, size_t* written);
// "i <idx> <angle> ...\n"; n in 1..16.
SerialStatus encode_i_ascii(const uint8_t* indices, const int16_t* angles_deg, size_t n, uint8_t* buf,
                            size_t capacity, size_t* written);

// ---- Robot-side text command parser ----
//
// Feed received bytes one at a time. A line ends at '\n'; one '\r' directly before it is
// ignored (CRLF). Recognised lines (exact, case-sensitive): "start", "stop", "status",
// "telemetry". Robustness: a line longer than kParserMaxLine bytes, or containing a byte outside
// printable ASCII 0x20..0x7E (other than the final '\r'), is discarded up to and including the
// next '\n' and reported as kDiscarded. Empty lines (and a bare "\r\n") give kNone. Any byte
// sequence is accepted; the parser state is always valid, so a valid command after any garbage
// is recognised as soon as a '\n' has resynchronised the parser.
constexpr int kParserMaxLine = 16;

enum class ParserEvent : uint8_t {
  kNone = 0,   // no complete line yet, or an empty line
  kStart,
  kStop,
  kStatus,
  kTelemetry,
  kUnknown,    // a complete printable line that is not a command
  kDiscarded,  // a complete line that was too long or had non-printable bytes
};

struct ParserState {
  char line[kParserMaxLine];  // printable bytes of the current line
  uint8_t len;
  bool discard;               // the current line is invalid; drop it at '\n'
  bool cr;                    // the last byte was '\r' (only legal right before '\n')
};

void parser_reset(ParserState& p);
ParserEvent parser_feed(ParserState& p, uint8_t byte);

}  // namespace fw
}  // namespace tinywalk
