#include "model/zip_reader.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "util/error.h"

namespace vkcap::model {

namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kEndSize = 22, kCentralSize = 46, kLocalSize = 30, kZip64EndSize = 56;
// Entries up to this size get their CRC checked (data.pkl, version, byteorder); the tensor
// data is not, since hashing gigabytes would dominate load time.
constexpr uint64_t kCrcCheckLimit = 16u << 20;

// Bounds-checked little-endian field access into the archive.
class Fields {
 public:
  Fields(std::span<const uint8_t> bytes, const std::string& file) : bytes_(bytes), file_(file) {}
  uint64_t le(uint64_t at, size_t n, const char* what) const {
    if (at > bytes_.size() || n > bytes_.size() - at)
      throw Error(file_ + ": zip " + what + " at offset " + std::to_string(at) + " runs past the end of the file");
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | bytes_[size_t(at + i)];
    return v;
  }
  uint32_t u32(uint64_t at, const char* what) const { return uint32_t(le(at, 4, what)); }
  uint16_t u16(uint64_t at, const char* what) const { return uint16_t(le(at, 2, what)); }
  uint64_t u64(uint64_t at, const char* what) const { return le(at, 8, what); }
  std::span<const uint8_t> range(uint64_t at, uint64_t n, const char* what) const {
    le(at, 0, what);
    if (n > bytes_.size() - at)
      throw Error(file_ + ": zip " + what + " at offset " + std::to_string(at) + " runs past the end of the file");
    return bytes_.subspan(size_t(at), size_t(n));
  }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& file_;
};

struct Directory {
  uint64_t entries = 0, offset = 0, size = 0;
  uint64_t end = 0;  // where the end-of-directory records start: no entry data may reach it
};

Directory find_directory(const Fields& f, size_t file_size, const std::string& file) {
  if (file_size < kEndSize) throw Error(file + ": zip archive too small (" + std::to_string(file_size) + " bytes)");
  // The end record sits in the last 22 + (up to 65535 comment) bytes; scan backwards for it.
  size_t lowest = file_size - kEndSize > 0xffff ? file_size - kEndSize - 0xffff : 0;
  std::optional<size_t> at;
  for (size_t p = file_size - kEndSize + 1; p-- > lowest;)
    if (f.u32(p, "end record") == kEndSig && p + kEndSize + f.u16(p + 20, "end record") <= file_size) {
      at = p;
      break;
    }
  if (!at) throw Error(file + ": not a zip archive (no end-of-central-directory record)");
  Directory d;
  d.end = *at;
  if (f.u16(*at + 4, "end record") != 0 && f.u16(*at + 4, "end record") != 0xffff)
    throw Error(file + ": multi-disk zip archives are not supported");
  d.entries = f.u16(*at + 10, "end record");
  d.size = f.u32(*at + 12, "end record");
  d.offset = f.u32(*at + 16, "end record");

  if (d.entries == 0xffff || d.size == 0xffffffff || d.offset == 0xffffffff) {
    // zip64: a locator just before the end record points at the 64-bit end record.
    if (*at < 20 || f.u32(*at - 20, "zip64 locator") != kZip64LocatorSig)
      throw Error(file + ": zip end record needs zip64 values but has no zip64 locator");
    uint64_t z = f.u64(*at - 20 + 8, "zip64 locator");
    if (z + kZip64EndSize > *at - 20 || f.u32(z, "zip64 end record") != kZip64EndSig)
      throw Error(file + ": zip64 end record missing at offset " + std::to_string(z));
    d.entries = f.u64(z + 32, "zip64 end record");
    d.size = f.u64(z + 40, "zip64 end record");
    d.offset = f.u64(z + 48, "zip64 end record");
    d.end = z;
  }
  if (d.offset > d.end || d.size > d.end - d.offset)
    throw Error(file + ": zip central directory (offset " + std::to_string(d.offset) + ", " +
                std::to_string(d.size) + " bytes) lies outside the archive");
  if (d.entries > kZipMaxEntries || d.entries * kCentralSize > d.size)
    throw Error(file + ": zip central directory claims " + std::to_string(d.entries) +
                " entries, more than its " + std::to_string(d.size) + " bytes can hold");
  return d;
}

struct Placed {
  uint64_t header, data_end;
  const std::string* name;
};

}  // namespace

uint32_t crc32(std::span<const uint8_t> bytes) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xffffffffu;
  for (uint8_t b : bytes) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

std::vector<ZipEntry> read_stored_zip(std::span<const uint8_t> archive, const std::string& file) {
  const Fields f(archive, file);
  const Directory dir = find_directory(f, archive.size(), file);
  std::vector<ZipEntry> entries;
  std::vector<Placed> placed;
  std::set<std::string> names;
  entries.reserve(size_t(dir.entries));

  uint64_t p = dir.offset;
  const uint64_t dir_end = dir.offset + dir.size;
  for (uint64_t i = 0; i < dir.entries; ++i) {
    if (p + kCentralSize > dir_end || f.u32(p, "central header") != kCentralHeaderSig)
      throw Error(file + ": zip central directory entry " + std::to_string(i) + " is malformed");
    const uint16_t flags = f.u16(p + 8, "central header");
    const uint16_t method = f.u16(p + 10, "central header");
    const uint32_t crc = f.u32(p + 16, "central header");
    uint64_t compressed = f.u32(p + 20, "central header");
    uint64_t size = f.u32(p + 24, "central header");
    const uint16_t name_len = f.u16(p + 28, "central header");
    const uint16_t extra_len = f.u16(p + 30, "central header");
    const uint16_t comment_len = f.u16(p + 32, "central header");
    uint64_t local = f.u32(p + 42, "central header");
    const uint64_t next = p + kCentralSize + name_len + extra_len + comment_len;
    if (next > dir_end) throw Error(file + ": zip central directory entry " + std::to_string(i) + " runs past the directory");
    auto name_bytes = f.range(p + kCentralSize, name_len, "entry name");
    std::string name(reinterpret_cast<const char*>(name_bytes.data()), name_bytes.size());
    const std::string where = file + ": zip entry '" + name + "': ";

    // zip64 extended information (0x0001) replaces, in this order, each field that is all ones.
    for (uint64_t e = p + kCentralSize + name_len; e + 4 <= p + kCentralSize + name_len + extra_len;) {
      const uint16_t id = f.u16(e, "extra field");
      const uint16_t len = f.u16(e + 2, "extra field");
      if (e + 4 + len > p + kCentralSize + name_len + extra_len) throw Error(where + "extra field runs past its header");
      if (id == 0x0001) {
        uint64_t q = e + 4, q_end = e + 4 + len;
        for (uint64_t* field : {&size, &compressed, &local}) {
          if (*field != 0xffffffffu) continue;
          if (q + 8 > q_end) throw Error(where + "zip64 extra field too short");
          *field = f.u64(q, "zip64 extra field");
          q += 8;
        }
      }
      e += 4 + len;
    }

    if (flags & 1) throw Error(where + "is encrypted");
    if (method != 0)
      throw Error(where + "is compressed (method " + std::to_string(method) +
                  (method == 8 ? ", deflate" : "") +
                  "); torch.save writes stored entries — re-save the file with torch.save");
    if (compressed != size)
      throw Error(where + "stored entry has compressed size " + std::to_string(compressed) +
                  " but size " + std::to_string(size));
    if (!names.insert(name).second) throw Error(where + "appears twice");

    // The local header repeats the name; its extra field (torch's alignment padding) may differ.
    if (local > dir.offset || dir.offset - local < kLocalSize || f.u32(local, "local header") != kLocalHeaderSig)
      throw Error(where + "local header at offset " + std::to_string(local) + " is missing");
    const uint16_t local_name_len = f.u16(local + 26, "local header");
    const uint16_t local_extra_len = f.u16(local + 28, "local header");
    auto local_name = f.range(local + kLocalSize, local_name_len, "local header name");
    if (local_name.size() != name_bytes.size() || !std::equal(local_name.begin(), local_name.end(), name_bytes.begin()))
      throw Error(where + "local header names a different file");
    const uint64_t data_at = local + kLocalSize + local_name_len + local_extra_len;
    if (data_at > dir.offset || size > dir.offset - data_at)
      throw Error(where + std::to_string(size) + " bytes at offset " + std::to_string(data_at) +
                  " run into the central directory (truncated or corrupt archive)");
    auto data = f.range(data_at, size, "entry data");
    if (size <= kCrcCheckLimit && crc32(data) != crc) throw Error(where + "CRC mismatch (corrupt archive)");

    entries.push_back({std::move(name), data});
    placed.push_back({local, data_at + size, nullptr});
    p = next;
  }
  for (size_t i = 0; i < placed.size(); ++i) placed[i].name = &entries[i].name;
  std::sort(placed.begin(), placed.end(), [](const Placed& a, const Placed& b) { return a.header < b.header; });
  for (size_t i = 1; i < placed.size(); ++i)
    if (placed[i].header < placed[i - 1].data_end)
      throw Error(file + ": zip entry '" + *placed[i].name + "': overlaps entry '" + *placed[i - 1].name + "'");
  return entries;
}

}  // namespace vkcap::model
