// Checkpoint files: a byte writer and a bounds-checked byte reader for the
// layout in checkpoint.h, CRC-32 (IEEE, reflected 0xEDB88320), atomic save.
//
// Integers and doubles are encoded byte by byte with shifts (little-endian
// on disk whatever the host's byte order); a double is its IEEE 754 bit
// pattern, so -0, denormals, infinities and NaN payloads survive exactly.
#include "policy/checkpoint.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "common/atomic_file.h"
#include "common/error.h"

namespace tinywalk::policy {

namespace {

constexpr char kMagic[4] = {'T', 'W', 'C', 'K'};
constexpr size_t kHeaderBytes = 16;  // magic, version, n_texts, n_arrays
constexpr size_t kCrcBytes = 4;

// CRC-32 lookup table, built at compile time.
constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

uint32_t crc32(const char* data, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = kCrcTable[(c ^ static_cast<unsigned char>(data[i])) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
void put_name(std::string& out, const std::string& name) {
  TW_CHECK(name.size() <= std::numeric_limits<uint32_t>::max(), "checkpoint name too long");
  put_u32(out, static_cast<uint32_t>(name.size()));
  out += name;
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

// Reads fields in order; every read first checks the bytes remaining before
// the CRC, so a corrupt length can neither overrun nor allocate beyond the file.
class Reader {
 public:
  Reader(const std::string& bytes, size_t end, const std::string& source) : bytes_(bytes), end_(end), source_(source) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return end_ - pos_; }

  [[noreturn]] void fail(size_t at, const std::string& what) const {
    throw InputError(source_, "byte offset " + std::to_string(at), what);
  }
  void need(uint64_t n, const std::string& what) const {
    if (n > remaining())
      fail(pos_, "truncated or corrupted checkpoint: " + what + " needs " + std::to_string(n) + " bytes, only " +
                     std::to_string(remaining()) + " remain before the CRC");
  }
  uint32_t u32(const std::string& what) {
    need(4, what);
    const uint32_t v = static_cast<uint32_t>(get_le(bytes_.data() + pos_, 4));
    pos_ += 4;
    return v;
  }
  uint64_t u64(const std::string& what) {
    need(8, what);
    const uint64_t v = get_le(bytes_.data() + pos_, 8);
    pos_ += 8;
    return v;
  }
  std::string str(uint64_t n, const std::string& what) {
    need(n, what);
    std::string s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string name(const char* kind) {
    const uint32_t n = u32(std::string(kind) + " name length");
    return str(n, std::string(kind) + " name");
  }
  void doubles(double* dst, uint64_t count) {  // the caller has checked the length
    TW_CHECK(count <= remaining() / 8, "checkpoint reader: unchecked array length");
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t bits = get_le(bytes_.data() + pos_, 8);
      std::memcpy(&dst[i], &bits, 8);
      pos_ += 8;
    }
  }

 private:
  const std::string& bytes_;
  size_t end_;
  const std::string& source_;
  size_t pos_ = 0;
};

std::string list_keys(const std::vector<std::string>& keys) {
  if (keys.empty()) return "none";
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : ", ") + k;
  return s;
}

template <class Map>
std::vector<std::string> keys_of(const Map& m) {
  std::vector<std::string> k;
  for (const auto& kv : m) k.push_back(kv.first);
  return k;
}

}  // namespace

const std::string& Checkpoint::text(const std::string& name, const std::string& file) const {
  auto it = texts.find(name);
  if (it == texts.end())
    throw InputError(file, "text '" + name + "'", "missing from the checkpoint (texts present: " + list_keys(keys_of(texts)) + ")");
  return it->second;
}

const Eigen::VectorXd& Checkpoint::array(const std::string& name, const std::string& file) const {
  auto it = arrays.find(name);
  if (it == arrays.end())
    throw InputError(file, "array '" + name + "'",
                     "missing from the checkpoint (arrays present: " + list_keys(keys_of(arrays)) + ")");
  return it->second;
}

// Header, texts and arrays in std::map (sorted) order, then the CRC.
std::string serialize_checkpoint(const Checkpoint& c) {
  TW_CHECK(c.texts.size() <= std::numeric_limits<uint32_t>::max() && c.arrays.size() <= std::numeric_limits<uint32_t>::max(),
           "too many checkpoint entries");
  size_t total = kHeaderBytes + kCrcBytes;
  for (const auto& [name, text] : c.texts) total += 4 + name.size() + 8 + text.size();
  for (const auto& [name, a] : c.arrays) total += 4 + name.size() + 8 + 8 * static_cast<size_t>(a.size());

  std::string out;
  out.reserve(total);
  out.append(kMagic, 4);
  put_u32(out, kCheckpointVersion);
  put_u32(out, static_cast<uint32_t>(c.texts.size()));
  put_u32(out, static_cast<uint32_t>(c.arrays.size()));
  for (const auto& [name, text] : c.texts) {
    put_name(out, name);
    put_u64(out, text.size());
    out += text;
  }
  for (const auto& [name, a] : c.arrays) {
    put_name(out, name);
    put_u64(out, static_cast<uint64_t>(a.size()));
    for (Eigen::Index i = 0; i < a.size(); ++i) {
      uint64_t bits;
      std::memcpy(&bits, &a[i], 8);
      put_u64(out, bits);
    }
  }
  put_u32(out, crc32(out.data(), out.size()));
  TW_CHECK(out.size() == total, "checkpoint size bookkeeping");
  return out;
}

// Magic, version, then the body with bounds checks, then the CRC.
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& source) {
  const size_t n = bytes.size();
  const size_t magic_have = std::min<size_t>(n, 4);
  if (std::memcmp(bytes.data(), kMagic, magic_have) != 0)
    throw InputError(source, "byte offset 0", "not a tinywalk checkpoint (wrong magic; expected \"TWCK\")");
  if (n < kHeaderBytes + kCrcBytes)
    throw InputError(source, "byte offset " + std::to_string(n),
                     "truncated checkpoint: " + std::to_string(n) + " bytes, a checkpoint has at least " +
                         std::to_string(kHeaderBytes + kCrcBytes));

  Reader r(bytes, n - kCrcBytes, source);
  r.str(4, "magic");
  const uint32_t version = r.u32("version");
  if (version > kCheckpointVersion)
    r.fail(4, "checkpoint version " + std::to_string(version) + " is newer than this program supports (" +
                  std::to_string(kCheckpointVersion) + ")");
  if (version == 0) r.fail(4, "invalid checkpoint version 0");

  const size_t counts_at = r.pos();
  const uint32_t n_texts = r.u32("text count");
  const uint32_t n_arrays = r.u32("array count");
  // Every entry takes at least 12 bytes (name length + payload length).
  if ((uint64_t{n_texts} + n_arrays) * 12 > r.remaining())
    r.fail(counts_at, "truncated or corrupted checkpoint: " + std::to_string(n_texts) + " texts and " +
                          std::to_string(n_arrays) + " arrays cannot fit in the " + std::to_string(r.remaining()) +
                          " bytes before the CRC");

  Checkpoint c;
  for (uint32_t i = 0; i < n_texts; ++i) {
    const size_t at = r.pos();
    std::string name = r.name("text");
    const uint64_t len = r.u64("length of text '" + name + "'");
    std::string text = r.str(len, "text '" + name + "'");
    if (!c.texts.emplace(std::move(name), std::move(text)).second) r.fail(at, "duplicate text name");
  }
  for (uint32_t i = 0; i < n_arrays; ++i) {
    const size_t at = r.pos();
    std::string name = r.name("array");
    const uint64_t count = r.u64("length of array '" + name + "'");
    if (count > r.remaining() / 8)
      r.fail(r.pos(), "truncated or corrupted checkpoint: array '" + name + "' claims " + std::to_string(count) +
                          " doubles, only " + std::to_string(r.remaining()) + " bytes remain before the CRC");
    Eigen::VectorXd a(static_cast<Eigen::Index>(count));
    r.doubles(a.data(), count);
    if (!c.arrays.emplace(std::move(name), std::move(a)).second) r.fail(at, "duplicate array name");
  }
  if (r.remaining() != 0)
    r.fail(r.pos(), "corrupted checkpoint: " + std::to_string(r.remaining()) + " unexpected bytes before the CRC");

  const uint32_t stored = static_cast<uint32_t>(get_le(bytes.data() + n - kCrcBytes, 4));
  const uint32_t computed = crc32(bytes.data(), n - kCrcBytes);
  if (stored != computed) {
    char msg[128];
    std::snprintf(msg, sizeof msg, "CRC mismatch (stored %08x, computed %08x): the checkpoint is corrupted", stored, computed);
    throw InputError(source, "byte offset " + std::to_string(n - kCrcBytes), msg);
  }
  return c;
}

void save_checkpoint(const std::string& path, const Checkpoint& c) { write_file_atomic(path, serialize_checkpoint(c)); }

Checkpoint load_checkpoint(const std::string& path) { return parse_checkpoint(read_file(path), path); }

}  // namespace tinywalk::policy
