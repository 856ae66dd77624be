#include "model/torch_checkpoint.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "model/pickle_reader.h"
#include "model/zip_reader.h"
#include "util/error.h"

namespace vkcap::model {

namespace {

bool starts_with(std::span<const uint8_t> b, std::initializer_list<uint8_t> magic) {
  return b.size() >= magic.size() && std::equal(magic.begin(), magic.end(), b.begin());
}

// The one top-level folder holding data.pkl (torch names it after the file; any name is fine).
std::string archive_prefix(const std::vector<ZipEntry>& entries, const std::string& file) {
  std::string prefix;
  int found = 0;
  for (const auto& e : entries) {
    const std::string_view n = e.name;
    if (n.size() >= 8 && n.substr(n.size() - 8) == "data.pkl" &&
        (n.size() == 8 || (n[n.size() - 9] == '/' && n.substr(0, n.size() - 9).find('/') == std::string_view::npos))) {
      prefix = std::string(n.substr(0, n.size() - 8));
      ++found;
    }
  }
  if (found != 1)
    throw Error(file + ": zip archive has " + std::to_string(found) +
                " data.pkl entries; not a torch.save checkpoint");
  return prefix;
}

// Largest element index the view touches, checked against overflow; -1 when it has no elements.
int64_t last_index(const TorchTensorRef& t, const std::string& where) {
  for (int64_t s : t.size)
    if (s == 0) return -1;
  if (t.offset < 0) throw Error(where + "negative storage offset " + std::to_string(t.offset));
  int64_t last = t.offset;
  for (size_t d = 0; d < t.size.size(); ++d) {
    const int64_t n = t.size[d] - 1, s = t.stride[d];
    if (s < 0) throw Error(where + "negative stride " + std::to_string(s));
    if (s != 0 && n > (INT64_MAX - last) / s) throw Error(where + "size and stride overflow");
    last += n * s;
  }
  return last;
}

bool is_row_major(const TorchTensorRef& t) {
  int64_t expected = 1;
  for (size_t d = t.size.size(); d-- > 0;) {
    if (t.size[d] != 1 && t.stride[d] != expected) return false;
    expected *= t.size[d];
  }
  return true;
}

// Copies a strided view into row-major order, element by element (only saved non-contiguous
// tensors take this path; state dicts of HF models have none).
std::vector<uint8_t> gather(const TorchTensorRef& t, const uint8_t* storage, size_t esize, int64_t count) {
  std::vector<uint8_t> out(size_t(count) * esize);
  std::vector<int64_t> index(t.size.size(), 0);
  int64_t src = t.offset;
  for (int64_t i = 0; i < count; ++i) {
    std::memcpy(out.data() + size_t(i) * esize, storage + size_t(src) * esize, esize);
    for (size_t d = t.size.size(); d-- > 0;) {  // odometer over the indices, last dim fastest
      if (++index[d] < t.size[d]) {
        src += t.stride[d];
        break;
      }
      src -= (t.size[d] - 1) * t.stride[d];
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace

TorchCheckpoint::TorchCheckpoint(const std::filesystem::path& path) : file_(path) {
  const std::string file = path.string();
  const auto bytes = file_.bytes();
  if (!starts_with(bytes, {'P', 'K', 3, 4})) {
    if (starts_with(bytes, {0x80, 0x02}) || (bytes.size() > 262 && std::memcmp(bytes.data() + 257, "ustar", 5) == 0))
      throw Error(file + ": legacy (PyTorch < 1.6) checkpoint format is not supported; re-save it with "
                         "a current torch.save, or convert it to model.safetensors");
    throw Error(file + ": not a PyTorch checkpoint (expected a zip archive written by torch.save)");
  }
  const auto entries = read_stored_zip(bytes, file);
  const std::string prefix = archive_prefix(entries, file);
  std::map<std::string_view, std::span<const uint8_t>> by_name;
  for (const auto& e : entries) by_name[e.name] = e.data;

  if (auto bo = by_name.find(prefix + "byteorder"); bo != by_name.end()) {
    std::string order(bo->second.begin(), bo->second.end());
    if (order != "little") throw Error(file + ": storages are '" + order + "'-endian; only little-endian is supported");
  }

  const auto state = read_torch_state_dict_pickle(by_name.at(prefix + "data.pkl"), file);
  std::map<std::string, DType> storage_dtypes;
  for (const auto& entry : state) {
    const TorchTensorRef& t = entry.tensor;
    const std::string where = file + ": tensor '" + entry.name + "': ";
    const auto& key = t.storage.key;
    auto it = by_name.find(prefix + "data/" + key);
    if (it == by_name.end()) throw Error(where + "storage '" + key + "' is missing from the archive");
    auto [known, inserted] = storage_dtypes.emplace(key, t.storage.dtype);
    if (!inserted && known->second != t.storage.dtype)
      throw Error(where + "storage '" + key + "' is used with two element types");

    const size_t esize = dtype_size(t.storage.dtype);
    const std::span<const uint8_t> storage = it->second;
    if (t.storage.numel > int64_t(storage.size() / esize) || storage.size() != size_t(t.storage.numel) * esize)
      throw Error(where + "storage '" + key + "' has " + std::to_string(storage.size()) + " bytes, expected " +
                  std::to_string(t.storage.numel) + " × " + std::to_string(esize));

    TensorView view;
    view.name = entry.name;
    view.dtype = t.storage.dtype;
    view.shape = t.size;
    const int64_t count = checked_element_count(view.shape, where + "shape");
    const int64_t last = last_index(t, where);
    if (last >= t.storage.numel)
      throw Error(where + "view (offset " + std::to_string(t.offset) + ", size " + shape_string(t.size) +
                  ", stride " + shape_string(t.stride) + ") reaches element " + std::to_string(last) +
                  " of a " + std::to_string(t.storage.numel) + "-element storage");
    if (count == 0) {
      view.bytes = {};
    } else if (is_row_major(t)) {
      view.bytes = storage.subspan(size_t(t.offset) * esize, size_t(count) * esize);
    } else {
      // A view that reads some element twice (stride 0, as expand() makes) would be copied to
      // more bytes than the file holds: 2^40 elements from one stored float. Real state dicts
      // never save one, so the copy is bounded by the storage it comes from.
      if (count > t.storage.numel)
        throw Error(where + "view (size " + shape_string(t.size) + ", stride " + shape_string(t.stride) + ") has " +
                    std::to_string(count) + " elements, more than its " + std::to_string(t.storage.numel) +
                    "-element storage (overlapping views are not supported)");
      copies_.push_back(gather(t, storage.data(), esize, count));
      view.bytes = copies_.back();
    }
    tensors_.push_back(std::move(view));
  }
  std::sort(tensors_.begin(), tensors_.end(), [](const TensorView& a, const TensorView& b) { return a.name < b.name; });
  for (size_t i = 1; i < tensors_.size(); ++i)
    if (tensors_[i].name == tensors_[i - 1].name)
      throw Error(file + ": tensor '" + tensors_[i].name + "': listed twice");
}

const TensorView* TorchCheckpoint::find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorView& t, std::string_view n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

}  // namespace vkcap::model
