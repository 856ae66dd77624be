#include "cli/caption_checks.h"

#include "cli/attention_map.h"
#include "cli/model_files.h"
#include "cli/model_location.h"
#include "cli/notice.h"
#include "text/florence2_tasks.h"
#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

// -f, else -o FILE's extension, else tsv. An -f that contradicts the extension is refused: the
// next run, without -f, would read the file as the other format.
Format resolve_format(const CaptionOptions& o) {
  const std::optional<Format> by_extension = o.output.empty() ? std::nullopt : format_of_extension(o.output);
  if (o.format.empty()) return by_extension.value_or(Format::Tsv);
  const Format chosen = parse_format(o.format);
  if (by_extension && *by_extension != chosen)
    throw InvalidArgumentError("-f " + o.format + " contradicts -o " + o.output + " (a ." + format_name(*by_extension) +
                               " name); make them agree");
  return chosen;
}

// Options that would do nothing in the combination given are refused, so a typo'd or
// misunderstood command never runs with settings other than the ones the person believes.
void check_option_combinations(const CLI::App& command, const CaptionOptions& o) {
  auto given = [&](const char* name) { return command.count(name) > 0; };
  std::string problem;
  for (const char* sampling : {"--temperature", "--top-k", "--top-p", "--seed"})
    if (problem.empty() && given(sampling) && !o.sample) problem = std::string(sampling) + " only applies with --sample";
  if (problem.empty() && given("--existing") && o.sidecar.empty()) problem = "--existing only applies with --sidecar";
  if (problem.empty() && given("--attention-layer") && !o.wants_attention())
    problem = "--attention-layer only applies with --attention or --attention-map";
  if (problem.empty() && o.fsync && o.output.empty()) problem = "--fsync only applies with -o FILE";
  if (problem.empty() && o.resume_any && o.output.empty()) problem = "--resume-any only applies with -o FILE";
  if (!problem.empty()) throw InvalidArgumentError(problem + " (it would do nothing here)");
}

// `--sidecar caption` leaves "caption" as an input: --sidecar's extension goes after '='.
void check_sidecar_word(const CaptionOptions& o) {
  if (o.sidecar.empty()) return;
  for (const std::string& name : o.inputs.names) {
    std::error_code ec;
    const bool word = !name.empty() && name.find_first_of("/.*?[") == std::string::npos;
    if (word && !fs::exists(fs::symlink_status(name, ec)))
      throw InvalidArgumentError("'" + name + "' is no file; to name the sidecar extension write --sidecar=" + name +
                                 " (--sidecar alone means .txt)");
  }
}

namespace {

// OUT of --attention-map or --draw-boxes: one PNG for one image, else a directory, made now.
void check_png_output(const std::string& flag, const std::string& out, size_t images) {
  if (out.empty()) return;
  if (!attention_map_is_directory(out) && images > 1)
    throw InvalidArgumentError(flag + " " + out + " names one PNG but there are " + std::to_string(images) +
                               " images; give a directory");
  std::error_code ec;
  if (attention_map_is_directory(out)) fs::create_directories(out, ec);
  if (ec) throw InvalidArgumentError(flag + " " + out + ": cannot create the directory (" + ec.message() + ")");
}

// --draw-boxes needs a task whose answer has regions; BLIP and ViT-GPT2 take no --task at all.
void check_draw_boxes_task(const CaptionOptions& o) {
  if (o.draw_boxes.empty()) return;
  const text::Florence2Task* task = text::find_florence2_task(o.task.empty() ? "caption" : o.task);
  if (!task || text::florence2_answer_type(task->token) == text::Florence2Answer::kPureText)
    throw InvalidArgumentError("--draw-boxes draws Florence-2 regions: give a region task (--task od, "
                               "dense-region-caption, region-proposal, phrase-grounding, open-vocabulary-detection "
                               "or ocr-with-region), not " + (o.task.empty() ? std::string("the default caption") : o.task));
}

}  // namespace

// Checks that need no model: combinations of flags that cannot work.
void check_flags(const CaptionOptions& o, Format format, size_t images) {
  if (o.attention && format != Format::Json && format != Format::Jsonl)
    throw InvalidArgumentError("--attention adds the maps to JSON records: use --format json or jsonl");
  check_draw_boxes_task(o);
  check_png_output("--attention-map", o.attention_map, images);
  check_png_output("--draw-boxes", o.draw_boxes, images);
}

// The model directory, canonical, checked complete: a usage error (exit 2) before anything loads.
fs::path model_directory(const CaptionOptions& o) {
  bool used_default = false;
  fs::path dir;
  try {
    dir = fs::weakly_canonical(locate_model(o.model, &used_default));
  } catch (const Error& e) {
    throw InvalidArgumentError(e.what());
  }
  if (const auto missing = missing_model_files(dir); !missing.empty())
    throw InvalidArgumentError(dir.string() + ": incomplete model directory (" + join_missing(missing) + ")");
  if (used_default)
    print_notice(o.notices(), "using the bundled default model %s (it knows only synthetic shapes; "
                              "use --model for BLIP or ViT-GPT2)", dir.c_str());
  return dir;
}

// Appending to records another model or other settings made is refused unless --resume-any.
void check_identity(const CaptionOptions& o, const ResumeState& resume, const RunIdentity& run) {
  if (!resume.identity || o.resume_any) return;
  const std::string difference = identity_difference(*resume.identity, run);
  if (!difference.empty())
    throw InvalidArgumentError("-o " + o.output + ": its records were made differently (" + difference +
                               "); use the same model and settings, another -o FILE, or --resume-any to add to it anyway");
}

}  // namespace vkcap::cli
