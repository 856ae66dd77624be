#pragma once
// What a Florence-2 answer adds to a json/jsonl record: the task, and for region tasks
// "regions": [{"label": ..., "box": [x1, y1, x2, y2]}] ("quad": 8 numbers for OCR lines,
// "polygons" for segmentation), in the original image's pixels, float32 written with the fewest
// digits that read back the same. The caption field holds the text (region tasks: the labels).
#include <nlohmann/json.hpp>

#include "vkcap/captioner.h"

namespace vkcap::cli {

// Adds "task" and, for region tasks, "regions" to `fields`; nothing for other models.
void add_florence2_fields(const Caption& caption, nlohmann::json& fields);

}  // namespace vkcap::cli
