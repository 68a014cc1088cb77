// Checkpoint files: the exact byte layout (golden bytes with a CRC computed
// by zlib), bit-exact round trips, determinism, and that every truncation,
// corruption, wrong magic, newer version and absurd length is an InputError
// naming the file, never a crash or a huge allocation.
#include "policy/checkpoint.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>

#include "common/atomic_file.h"
#include "tests/test_util.h"

using namespace tinywalk;
using namespace tinywalk::policy;
using tinywalk::test::error_of;

namespace {

std::string tmp(const std::string& name) { return ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_" + name; }

uint64_t bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}
double from_bits(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

void expect_bit_equal(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  ASSERT_EQ(a.size(), b.size());
  for (Eigen::Index i = 0; i < a.size(); ++i) EXPECT_EQ(bits(a[i]), bits(b[i])) << "element " << i;
}

Checkpoint small() {
  Checkpoint c;
  c.texts["kind"] = "mlp";
  c.texts["spec"] = "hidden: [4, 3]\nhidden_activation: tanh\n";
  Eigen::VectorXd p(5);
  p << 1.5, -0.0, 0.0, -2.25, 1e-300;
  c.arrays["params"] = p;
  c.arrays["empty"] = Eigen::VectorXd();
  c.arrays["one"] = Eigen::VectorXd::Constant(1, 3.0);
  return c;
}

void put_u32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

// Bit-at-a-time CRC-32 (IEEE), independent of the table-driven one under
// test: lets a test build corrupt bodies with a valid CRC.
uint32_t slow_crc32(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char byte : s) {
    c ^= byte;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}
void fix_crc(std::string& s) { put_u32(s, s.size() - 4, slow_crc32(s.substr(0, s.size() - 4))); }

}  // namespace

// The layout of checkpoint.h byte for byte; the CRC was computed with
// Python's zlib.crc32 (IEEE CRC-32), so this also checks the polynomial,
// the reflection and the final xor.
TEST(Checkpoint, GoldenBytes) {
  const unsigned char golden[] = {
      0x54, 0x57, 0x43, 0x4b, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04,
      0x00, 0x00, 0x00, 0x6b, 0x69, 0x6e, 0x64, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6d, 0x6c,
      0x70, 0x01, 0x00, 0x00, 0x00, 0x77, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x94, 0xbd, 0x45, 0xd9};
  Checkpoint c;
  c.texts["kind"] = "mlp";
  Eigen::VectorXd w(2);
  w << 1.0, -0.0;
  c.arrays["w"] = w;
  const std::string bytes = serialize_checkpoint(c);
  EXPECT_EQ(bytes, std::string(reinterpret_cast<const char*>(golden), sizeof golden));
  EXPECT_EQ(slow_crc32("123456789"), 0xCBF43926u);  // the standard check value

  const Checkpoint back = parse_checkpoint(std::string(reinterpret_cast<const char*>(golden), sizeof golden), "golden");
  EXPECT_EQ(back.text("kind", "golden"), "mlp");
  expect_bit_equal(back.array("w", "golden"), w);
}

TEST(Checkpoint, RoundTripIsBitExact) {
  Checkpoint c = small();
  Eigen::VectorXd special(9);
  special << -0.0, std::numeric_limits<double>::denorm_min(), -std::numeric_limits<double>::denorm_min(),
      from_bits(0x000FFFFFFFFFFFFFull),  // largest denormal
      std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::max(), std::nextafter(1.0, 2.0), 0.1;
  c.arrays["special"] = special;
  c.texts["binary"] = std::string("a\0b\xff\n", 5);  // texts are bytes, not C strings
  c.texts[""] = "empty name";

  const std::string path = tmp("rt.twck");
  save_checkpoint(path, c);
  const Checkpoint back = load_checkpoint(path);
  EXPECT_EQ(back.texts, c.texts);
  ASSERT_EQ(back.arrays.size(), c.arrays.size());
  for (const auto& [name, a] : c.arrays) {
    SCOPED_TRACE(name);
    expect_bit_equal(back.array(name, path), a);
  }
  EXPECT_TRUE(std::signbit(back.array("special", path)[0]));
  EXPECT_EQ(back.text("binary", path).size(), 5u);
  EXPECT_FALSE(std::ifstream(path + ".tmp." + std::to_string(::getpid())).good()) << "temporary file left behind";
  std::remove(path.c_str());
}

TEST(Checkpoint, NaNRoundTripsAsNaN) {
  Checkpoint c;
  c.arrays["nan"] = Eigen::VectorXd::Constant(2, std::numeric_limits<double>::quiet_NaN());
  const Checkpoint back = parse_checkpoint(serialize_checkpoint(c), "mem");
  EXPECT_TRUE(std::isnan(back.arrays.at("nan")[0]));
  EXPECT_TRUE(std::isnan(back.arrays.at("nan")[1]));
}

TEST(Checkpoint, EmptyCheckpointRoundTrips) {
  const std::string bytes = serialize_checkpoint(Checkpoint{});
  EXPECT_EQ(bytes.size(), 20u);
  const Checkpoint back = parse_checkpoint(bytes, "mem");
  EXPECT_TRUE(back.texts.empty());
  EXPECT_TRUE(back.arrays.empty());
}

// The same content serialises to the same bytes whatever the insertion order.
TEST(Checkpoint, SerializeIsDeterministic) {
  Checkpoint a, b;
  a.texts["z"] = "1";
  a.texts["a"] = "2";
  a.arrays["y"] = Eigen::VectorXd::Constant(3, 1.0);
  a.arrays["b"] = Eigen::VectorXd::Constant(2, 2.0);
  b.arrays["b"] = a.arrays["b"];
  b.arrays["y"] = a.arrays["y"];
  b.texts["a"] = "2";
  b.texts["z"] = "1";
  EXPECT_EQ(serialize_checkpoint(a), serialize_checkpoint(b));
  EXPECT_EQ(serialize_checkpoint(small()), serialize_checkpoint(small()));

  const std::string p1 = tmp("d1.twck"), p2 = tmp("d2.twck");
  save_checkpoint(p1, small());
  save_checkpoint(p2, parse_checkpoint(serialize_checkpoint(small()), "mem"));
  EXPECT_EQ(read_file(p1), read_file(p2));
  std::remove(p1.c_str());
  std::remove(p2.c_str());
}

// Every proper prefix is rejected with an InputError naming the source and
// a byte offset (run under ASan/valgrind this also shows no overrun).
TEST(Checkpoint, EveryTruncationIsAnInputError) {
  const std::string bytes = serialize_checkpoint(small());
  ASSERT_GT(bytes.size(), 100u);
  for (size_t len = 0; len < bytes.size(); ++len) {
    SCOPED_TRACE("length " + std::to_string(len));
    try {
      parse_checkpoint(bytes.substr(0, len), "cut.twck");
      ADD_FAILURE() << "a truncated checkpoint parsed";
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), "cut.twck");
      EXPECT_HAS(e.where(), "byte offset");
      EXPECT_HAS(std::string(e.what()), "truncated");
    }
  }
}

TEST(Checkpoint, TruncatedFileOnDisk) {
  const std::string path = tmp("trunc.twck");
  const std::string bytes = serialize_checkpoint(small());
  write_file_atomic(path, bytes.substr(0, bytes.size() - 9));
  const std::string err = error_of([&] { load_checkpoint(path); });
  EXPECT_HAS(err, path);
  EXPECT_HAS(err, "truncated");
  std::remove(path.c_str());
}

// A flipped byte in any name, payload or the CRC itself is a CRC error;
// a flipped byte anywhere at all is some InputError (lengths and counts are
// caught by the bounds checks first).
TEST(Checkpoint, FlippedByteIsDetected) {
  const std::string bytes = serialize_checkpoint(small());
  const std::string path = tmp("flip.twck");

  std::string flipped = bytes;
  const size_t payload = bytes.find("hidden: [4, 3]");
  ASSERT_NE(payload, std::string::npos);
  flipped[payload + 3] ^= 0x20;
  write_file_atomic(path, flipped);
  std::string err = error_of([&] { load_checkpoint(path); });
  EXPECT_HAS(err, path);
  EXPECT_HAS(err, "CRC mismatch");
  EXPECT_HAS(err, "byte offset " + std::to_string(bytes.size() - 4));

  flipped = bytes;
  flipped[bytes.size() - 1] ^= 0x01;  // the CRC itself
  EXPECT_HAS(error_of([&] { parse_checkpoint(flipped, "c.twck"); }), "CRC mismatch");

  flipped = bytes;
  flipped[bytes.size() - 12] ^= 0x80;  // inside the last double
  EXPECT_HAS(error_of([&] { parse_checkpoint(flipped, "c.twck"); }), "CRC mismatch");

  for (size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xFF}) {
      flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ mask);
      const std::string e = error_of([&] { parse_checkpoint(flipped, "c.twck"); });
      EXPECT_HAS(e, "c.twck") << " (byte " << i << " ^ " << int(mask) << ")";
    }
  }
  std::remove(path.c_str());
}

TEST(Checkpoint, WrongMagic) {
  std::string bytes = serialize_checkpoint(small());
  bytes[0] = 'X';
  const std::string err = error_of([&] { parse_checkpoint(bytes, "model.h5"); });
  EXPECT_HAS(err, "model.h5: byte offset 0");
  EXPECT_HAS(err, "magic");
  // A file that is not a checkpoint at all, even a short one.
  EXPECT_HAS(error_of([&] { parse_checkpoint("{\"json\": 1}", "x.json"); }), "magic");
  EXPECT_HAS(error_of([&] { parse_checkpoint("TX", "x"); }), "magic");
}

TEST(Checkpoint, NewerVersionIsRejected) {
  std::string bytes = serialize_checkpoint(small());
  put_u32(bytes, 4, kCheckpointVersion + 1);
  fix_crc(bytes);
  const std::string err = error_of([&] { parse_checkpoint(bytes, "new.twck"); });
  EXPECT_HAS(err, "new.twck: byte offset 4");
  EXPECT_HAS(err, "newer");
  EXPECT_HAS(err, std::to_string(kCheckpointVersion + 1));
  put_u32(bytes, 4, 0);
  fix_crc(bytes);
  EXPECT_HAS(error_of([&] { parse_checkpoint(bytes, "new.twck"); }), "version 0");
}

// Absurd lengths (a consistent CRC, so only the bounds checks can catch
// them) are errors with the offset, and nothing is allocated for them.
TEST(Checkpoint, AbsurdLengthsAreRejectedWithoutAllocating) {
  Checkpoint c;
  c.arrays["a"] = Eigen::VectorXd::Constant(2, 1.0);
  const std::string good = serialize_checkpoint(c);
  // Layout: header 16 | u32 name_len @16 | "a" @20 | u64 count @21 | ...
  // Huge array count: 2^61 doubles would be 16 EiB.
  std::string bad = good;
  for (int i = 0; i < 8; ++i) bad[21 + i] = 0;
  bad[21 + 7] = 0x20;
  fix_crc(bad);
  std::string err = error_of([&] { parse_checkpoint(bad, "huge.twck"); });
  EXPECT_HAS(err, "huge.twck: byte offset 29");
  EXPECT_HAS(err, "array 'a'");

  // Huge name length.
  bad = good;
  put_u32(bad, 16, 0xFFFFFFF0u);
  fix_crc(bad);
  err = error_of([&] { parse_checkpoint(bad, "huge.twck"); });
  EXPECT_HAS(err, "byte offset 20");
  EXPECT_HAS(err, "array name");

  // Absurd entry counts.
  bad = good;
  put_u32(bad, 8, 0xFFFFFFFFu);
  fix_crc(bad);
  err = error_of([&] { parse_checkpoint(bad, "huge.twck"); });
  EXPECT_HAS(err, "byte offset 8");
  EXPECT_HAS(err, "4294967295 texts");

  // Trailing garbage before the CRC.
  bad = good;
  bad.insert(bad.size() - 4, "junk");
  fix_crc(bad);
  EXPECT_HAS(error_of([&] { parse_checkpoint(bad, "t.twck"); }), "4 unexpected bytes");
}

TEST(Checkpoint, MissingEntriesNameTheItemAndFile) {
  const Checkpoint c = small();
  std::string err = error_of([&] { c.array("adam_m", "run/checkpoint.twck"); });
  EXPECT_HAS(err, "run/checkpoint.twck");
  EXPECT_HAS(err, "array 'adam_m'");
  EXPECT_HAS(err, "params");  // lists what is there
  err = error_of([&] { c.text("robot", "run/checkpoint.twck"); });
  EXPECT_HAS(err, "run/checkpoint.twck");
  EXPECT_HAS(err, "text 'robot'");
  EXPECT_HAS(err, "kind");
  EXPECT_EQ(c.text("kind", "x"), "mlp");
  EXPECT_EQ(c.array("one", "x").size(), 1);
}

TEST(Checkpoint, MissingFileIsAnInputError) {
  const std::string path = tmp("does_not_exist.twck");
  EXPECT_HAS(error_of([&] { load_checkpoint(path); }), path);
}

// save is atomic: a failed save leaves the previous file intact.
TEST(Checkpoint, FailedSaveKeepsOldFile) {
  const std::string path = tmp("keep.twck");
  save_checkpoint(path, small());
  const std::string before = read_file(path);
  EXPECT_THROW(save_checkpoint(tmp("no_such_dir/keep.twck"), small()), InputError);
  EXPECT_EQ(read_file(path), before);
  std::remove(path.c_str());
}
