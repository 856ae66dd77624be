#pragma once
// Reader for the zip container torch.save writes (PyTorch ≥ 1.6): every entry STORED
// (uncompressed), data 64-byte aligned, zip64 records once the archive passes 4 GiB. The
// central directory, every local header, every size and offset is checked against the file
// before an entry's bytes are handed out; compressed or encrypted entries are refused.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vkcap::model {

inline constexpr size_t kZipMaxEntries = 1u << 20;

struct ZipEntry {
  std::string name;
  std::span<const uint8_t> data;  // the stored bytes, inside the archive
};

// All entries of a zip archive held in memory, in central-directory order. Throws vkcap::Error
// "<file>: zip ..." on anything malformed.
std::vector<ZipEntry> read_stored_zip(std::span<const uint8_t> archive, const std::string& file_label);

// CRC-32 (the zip / PNG polynomial), for checking small entries.
uint32_t crc32(std::span<const uint8_t> bytes);

}  // namespace vkcap::model
