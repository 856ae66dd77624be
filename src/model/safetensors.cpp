#include "model/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "util/error.h"
#include "util/json_limits.h"

namespace vkcap::model {

namespace {

using json = nlohmann::json;

// A non-negative JSON integer, or nullopt (floats, negatives, strings, ... are all "not one").
std::optional<uint64_t> as_unsigned(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return uint64_t(v.get<int64_t>());
  return std::nullopt;
}

// Parses the header object, rejecting duplicate top-level names (JSON parsers silently keep one
// of them, which would hide a tensor).
json parse_header(std::string_view text, const std::string& file) {
  check_json_depth(text, file);
  std::set<std::string> seen;
  std::string duplicate;
  auto on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && duplicate.empty()) {
      auto key = parsed.get<std::string>();
      if (!seen.insert(key).second) duplicate = key;
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text.begin(), text.end(), on_event);
  } catch (const json::exception& e) {
    throw Error(file + ": header is not valid JSON (" + e.what() + ")");
  }
  if (!header.is_object()) throw Error(file + ": header is not a JSON object");
  if (!duplicate.empty()) throw Error(file + ": tensor '" + duplicate + "': listed twice");
  return header;
}

struct Span {
  uint64_t begin, end;
  const std::string* name;
};

// The 8-byte little-endian header length, checked against the limit and the file size.
uint64_t read_header_length(std::span<const uint8_t> bytes, const std::string& file) {
  if (bytes.size() < 8)
    throw Error(file + ": too small for a safetensors file (" + std::to_string(bytes.size()) +
                " bytes)");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[size_t(i)];
  if (header_len > kSafetensorsMaxHeaderBytes)
    throw Error(file + ": header length " + std::to_string(header_len) + " exceeds the limit of " +
                std::to_string(kSafetensorsMaxHeaderBytes) + " bytes");
  if (header_len > bytes.size() - 8)
    throw Error(file + ": header length " + std::to_string(header_len) + " runs past the end of the " +
                std::to_string(bytes.size()) + "-byte file (truncated?)");
  return header_len;
}

DType parse_entry_dtype(const json& dtype, const std::string& where) {
  if (!dtype.is_string()) throw Error(where + "'dtype' is not a string");
  auto parsed = parse_dtype(dtype.get<std::string>());
  if (!parsed)
    throw Error(where + "unsupported dtype '" + dtype.get<std::string>() +
                "' (supported: F32, F16, BF16; integer buffers I64, I32, I16, I8, U8, BOOL)");
  return *parsed;
}

// The shape's dimensions, and its size in bytes (checked for overflow).
uint64_t parse_entry_shape(const json& shape, DType dtype, const std::string& where, std::vector<int64_t>& dims) {
  if (!shape.is_array() || shape.size() > 8)
    throw Error(where + "'shape' must be an array of at most 8 dimensions, got " + shape.dump());
  for (const auto& d : shape) {
    auto dim = as_unsigned(d);
    if (!dim || *dim > (uint64_t{1} << 62))
      throw Error(where + "shape " + shape.dump() + " has an invalid dimension " + d.dump());
    dims.push_back(int64_t(*dim));
  }
  int64_t count = 0;
  try {
    count = checked_element_count(dims, "shape");
  } catch (const Error&) {
    throw Error(where + "shape " + shape.dump() + " has too many elements");
  }
  const uint64_t elem = dtype_size(dtype);
  if (uint64_t(count) > UINT64_MAX / elem)
    throw Error(where + "shape " + shape.dump() + " has too many bytes");
  return uint64_t(count) * elem;
}

// The tensor's bytes within `data`: data_offsets must be in range and hold exactly `nbytes`.
std::span<const uint8_t> entry_bytes(const json& offsets, std::span<const uint8_t> data, const TensorView& view,
                                     uint64_t nbytes, const std::string& where) {
  if (!offsets.is_array() || offsets.size() != 2)
    throw Error(where + "'data_offsets' must be [begin, end], got " + offsets.dump());
  auto begin = as_unsigned(offsets[0]);
  auto end = as_unsigned(offsets[1]);
  if (!begin || !end || *begin > *end)
    throw Error(where + "invalid data_offsets " + offsets.dump());
  if (*end > data.size())
    throw Error(where + "data_offsets " + offsets.dump() + " run past the end of the data (" +
                std::to_string(data.size()) + " bytes; truncated file?)");
  if (*end - *begin != nbytes)
    throw Error(where + "data_offsets " + offsets.dump() + " hold " +
                std::to_string(*end - *begin) + " bytes but " +
                std::string(dtype_name(view.dtype)) + " " + shape_string(view.shape) +
                " needs " + std::to_string(nbytes));
  return data.subspan(size_t(*begin), size_t(nbytes));
}

TensorView parse_tensor_entry(const std::string& name, const json& entry, std::span<const uint8_t> data,
                              const std::string& file) {
  const std::string where = file + ": tensor '" + name + "': ";
  if (name.empty()) throw Error(file + ": a tensor has an empty name");
  if (!entry.is_object()) throw Error(where + "entry is not a JSON object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!entry.contains(key)) throw Error(where + "missing '" + key + "'");
  TensorView view;
  view.name = name;
  view.dtype = parse_entry_dtype(entry["dtype"], where);
  const uint64_t nbytes = parse_entry_shape(entry["shape"], view.dtype, where, view.shape);
  view.bytes = entry_bytes(entry["data_offsets"], data, view, nbytes, where);
  return view;
}

// No two tensors may share bytes: a writer never does this, and a reader that trusted it would
// let one weight silently alias another.
void check_no_overlap(const std::vector<TensorView>& tensors, std::span<const uint8_t> data, const std::string& file) {
  std::vector<Span> spans;
  for (const auto& t : tensors)
    if (!t.bytes.empty())
      spans.push_back({uint64_t(t.bytes.data() - data.data()),
                       uint64_t(t.bytes.data() - data.data()) + t.bytes.size(), &t.name});
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < spans.size(); ++i)
    if (spans[i].begin < spans[i - 1].end)
      throw Error(file + ": tensor '" + *spans[i].name + "': data overlaps tensor '" +
                  *spans[i - 1].name + "'");
}

}  // namespace

SafetensorsContents parse_safetensors(std::span<const uint8_t> bytes, const std::string& file) {
  const uint64_t header_len = read_header_length(bytes, file);
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + 8), size_t(header_len));
  const json header = parse_header(text, file);
  if (header.size() > kSafetensorsMaxTensors + 1)
    throw Error(file + ": header lists " + std::to_string(header.size()) +
                " entries, more than the limit of " + std::to_string(kSafetensorsMaxTensors));

  const std::span<const uint8_t> data = bytes.subspan(8 + size_t(header_len));
  SafetensorsContents out;
  out.tensors.reserve(header.size());
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw Error(file + ": '__metadata__' is not a JSON object");
      for (const auto& [key, value] : entry.items())
        if (value.is_string()) out.metadata[key] = value.get<std::string>();
      continue;
    }
    out.tensors.push_back(parse_tensor_entry(name, entry, data, file));
  }
  check_no_overlap(out.tensors, data, file);
  std::sort(out.tensors.begin(), out.tensors.end(),
            [](const TensorView& a, const TensorView& b) { return a.name < b.name; });
  return out;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : file_(path) {
  contents_ = parse_safetensors(file_.bytes(), path.string());
}

const TensorView* SafetensorsFile::find(std::string_view name) const {
  auto it = std::lower_bound(contents_.tensors.begin(), contents_.tensors.end(), name,
                             [](const TensorView& t, std::string_view n) { return t.name < n; });
  return it != contents_.tensors.end() && it->name == name ? &*it : nullptr;
}

}  // namespace vkcap::model
