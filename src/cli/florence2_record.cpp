#include "cli/florence2_record.h"

#include "text/florence2_postprocess.h"

namespace vkcap::cli {

void add_florence2_fields(const Caption& caption, nlohmann::json& fields) {
  if (caption.task.empty()) return;
  fields["task"] = caption.task;
  if (!caption.region_task) return;
  // The text layer's writer, so records and `vkcap tokenize --decode` print regions alike.
  text::Florence2Result result;
  result.task = caption.task;
  result.answer = text::Florence2Answer::kDescriptionWithBboxes;
  for (const Region& r : caption.regions) {
    text::Florence2Region region;
    region.label = r.label;
    region.points = r.points;
    region.polygons = r.polygons;
    region.shape = !r.polygons.empty() ? text::Florence2Region::Shape::kPolygons
                 : r.quad             ? text::Florence2Region::Shape::kQuad
                                      : text::Florence2Region::Shape::kBox;
    result.regions.push_back(std::move(region));
  }
  fields["regions"] = text::florence2_result_json(result).value("regions", nlohmann::json::array());
}

}  // namespace vkcap::cli
