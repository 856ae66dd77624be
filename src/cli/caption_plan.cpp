#include "cli/caption_plan.h"

#include <set>

#include "cli/sidecar.h"
#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

CaptionPlan plan_captions(const CaptionOptions& o, const ResumeState& resume) {
  InputOptions input_options = o.inputs;
  if (!o.sidecar.empty()) input_options.quiet_extensions.push_back(sidecar_path("x", o.sidecar).extension().string());

  CaptionPlan plan;
  std::vector<InputItem> items;
  try {
    CollectedInputs collected = collect_inputs(input_options, o.notices());
    items = std::move(collected.items);
    plan.skipped = collected.skipped;
  } catch (const InvalidArgumentError&) {
    throw;
  } catch (const Error& e) {
    throw InvalidArgumentError(e.what());
  }
  if (o.shard) {
    const size_t before = items.size();
    std::erase_if(items, [&](const InputItem& item) { return !in_shard(canonical_image_path(item.path), *o.shard); });
    plan.other_shards = before - items.size();
    if (items.empty() && before > 0) return plan;  // every image belongs to other shards: nothing to do here
  }
  if (items.empty() && plan.skipped.not_image > 0)
    throw InvalidArgumentError("no images found (" + std::to_string(plan.skipped.not_image) +
                               " skipped: not an image)");
  if (items.empty()) throw InvalidArgumentError("no images given (pass files, directories, patterns or --input-list)");
  plan.total = items.size();

  const ExistingSidecar existing = parse_existing(o.existing);
  std::set<fs::path> sidecars;
  for (InputItem& item : items) {
    bool kept_sidecar = false;
    if (!o.sidecar.empty() && item.error.empty()) {
      const fs::path side = sidecar_path(item.path, o.sidecar);
      if (side == fs::path(item.path)) {
        item.error = item.path + ": --sidecar=" + o.sidecar + " would overwrite the image itself";
      } else if (!sidecars.insert(side).second) {
        item.error = item.path + ": its caption file " + side.string() + " belongs to another image as well";
      } else if (existing == ExistingSidecar::Skip) {
        std::error_code ec;
        kept_sidecar = fs::exists(side, ec);
      }
    }
    const bool in_file = !resume.finished.empty() && resume.finished.count(canonical_image_path(item.path)) > 0;
    if (in_file || kept_sidecar) {
      ++plan.already_done;
    } else if (!item.error.empty()) {
      CaptionRecord record;
      record.image = item.path;
      record.error = item.error;
      plan.failed.push_back(std::move(record));
    } else {
      plan.todo.push_back(item.path);
    }
  }
  return plan;
}

}  // namespace vkcap::cli
