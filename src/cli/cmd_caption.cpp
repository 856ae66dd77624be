// `vkcap caption`: images in, captions out. Results go to stdout (or are appended to -o FILE),
// one record per image as soon as its batch is done (--device 0,1: each device's batches, as they
// finish); notices, progress and timings go to stderr.
// One bad image is reported and the run goes on. Exit code: 0 every image captioned, 1 some
// failed, 2 usage error, 130 interrupted.
//
// This file only parses flags and wires the steps together: caption_checks.cpp refuses what
// cannot work before anything loads, output_file.cpp holds -o FILE and resume.cpp reads what it
// already has, the engine (vkcap::Captioner) captions, caption_plan.cpp decides what is left to
// do, caption_output.cpp writes the results.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli/attention_map.h"
#include "cli/caption_checks.h"
#include "cli/caption_options.h"
#include "cli/caption_output.h"
#include "cli/caption_plan.h"
#include "cli/commands.h"
#include "cli/device_pool.h"
#include "cli/env_options.h"
#include "cli/notice.h"
#include "cli/output_file.h"
#include "cli/platform.h"
#include "cli/profile_table.h"
#include "cli/progress.h"
#include "cli/token_attention.h"
#include "util/error.h"
#include "vkcap/captioner.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

void report_plan(const CaptionOptions& o, const CaptionPlan& plan) {
  if (o.shard)
    print_notice(o.notices(), "shard %d of %d: %zu image(s) here, %zu in other shards%s%s", o.shard->index,
                 o.shard->count, plan.total, plan.other_shards, o.output.empty() ? "" : "; writing ",
                 o.output.c_str());
  if (plan.already_done)
    print_notice(o.notices(), "%zu of %zu image(s) already captioned; %zu to go", plan.already_done, plan.total,
                 plan.total - plan.already_done);
}

void cut_torn_record(const CaptionOptions& o, OutputFile& file, const ResumeState& resume) {
  if (!resume.torn_bytes) return;
  file.cut_to(resume.complete_bytes);
  print_notice(o.notices(), "%s: cut an unfinished last record (%zu bytes) from an interrupted run", o.output.c_str(),
               resume.torn_bytes);
}

void print_summary(const CaptionOptions& o, const CaptionPlan& plan, const CaptionOutput& output, const RunSummary& run,
                   const GenerationSettings& settings, double load_ms, double run_ms) {
  if (output.stopped_at_length() > 0)
    print_notice(o.notices(), "%zu caption(s) stopped at the length limit (max_length %d); raise --max-new-tokens",
                 output.stopped_at_length(), settings.max_length);
  std::string skipped;
  if (plan.skipped.not_image) skipped += ", " + std::to_string(plan.skipped.not_image) + " skipped: not an image";
  if (plan.skipped.subdirectories)
    skipped += ", " + std::to_string(plan.skipped.subdirectories) + " subdirector" +
               (plan.skipped.subdirectories == 1 ? "y" : "ies") + " not searched (add -r)";
  const size_t ok = run.captioned;
  print_notice(o.notices(),
               "%zu image(s) captioned, %zu failed%s; load %.0f ms, encode %.1f ms/image, decode %.2f ms/token, "
               "%.2f images/s",
               ok, output.failed(), skipped.c_str(), load_ms, ok ? run.encode_ms / double(ok) : 0.0,
               run.new_tokens ? run.decode_ms / double(run.new_tokens) : 0.0,
               run_ms > 0 ? double(ok) * 1000.0 / run_ms : 0.0);
}

// The engine's per-kernel times in the table every --profile prints (profile_table.cpp).
void print_kernel_times(const std::vector<KernelTime>& times) {
  vk::Profile profile;
  for (const KernelTime& t : times) profile[t.kernel] = {t.calls, t.total_ms};
  print_profile(profile, stderr);
}

int report_interrupt(const CaptionOptions& o, const RunSummary& run, size_t todo) {
  const bool resumable = !o.output.empty() || (!o.sidecar.empty() && o.existing == "skip");
  std::fprintf(stderr, "vkcap: interrupted with %zu of %zu image(s) not started; %s\n", run.not_started, todo,
               resumable ? "run the same command again to resume"
                         : "with -o FILE (or --sidecar) a re-run resumes where a run stopped");
  return 130;  // as a shell reports a process ended by SIGINT
}

// Captions plan.todo into `output`, with progress; the engines' summary.
RunSummary caption_all(const CaptionOptions& o, DevicePool& captioners, const GenerationOptions& generation,
                       const CaptionPlan& plan, CaptionOutput& output, bool show_progress) {
  Progress progress(plan.todo.size(), show_progress, is_terminal(stderr));
  progress.start();
  RunOptions run;
  run.batch = o.batch;
  run.on_result = [&](ImageResult&& result) {
    output.write(std::move(result));
    progress.update(output.done() - plan.failed.size(), output.failed());
  };
  run.stop_requested = interrupt_requested;
  stop_after_current_batch_on_interrupt();
  RunSummary summary = captioners.caption_each(plan.todo, generation, run);
  progress.finish();
  return summary;
}

// The options of this shard's run: --shard resolved, -o FILE renamed to the shard's own file.
CaptionOptions with_shard(const CaptionOptions& options) {
  CaptionOptions o = options;
  if (o.shard_text.empty()) {
    if (o.shards) throw InvalidArgumentError("--shards needs --shard auto");
    return o;
  }
  o.shard = parse_shard(o.shard_text, o.shards);
  if (!o.output.empty()) o.output = shard_output_path(o.output, *o.shard);
  return o;
}

int run_caption(const CaptionOptions& o) {
  const auto t_start = Clock::now();
  const EnvironmentOptions environment = read_environment();
  const std::vector<std::string> devices =
      device_workers(o.device.device.empty() ? environment.device : o.device.device);  // a bad list: before loading
  const Format format = resolve_format(o);
  check_sidecar_word(o);
  const fs::path model_dir = model_directory(o);
  OutputFile file(o.output);
  const ResumeState resume = file.is_file() ? read_resume_state(file.read_all(), o.output, format) : ResumeState{};
  if (resume.identity) check_identity(o, resume, {model_dir.string(), resume.identity->settings});  // model only, yet
  const CaptionPlan plan = plan_captions(o, resume);
  report_plan(o, plan);
  check_flags(o, format, plan.todo.size());
  if (plan.todo.empty() && plan.failed.empty()) {
    cut_torn_record(o, file, resume);
    return 0;
  }

  std::optional<DevicePool> pool;  // one Captioner per --device entry
  Captioner* captioner = nullptr;   // the first: settings and shapes
  GenerationOptions generation = generation_options(o);
  GenerationSettings settings;
  std::optional<int> attention_layer;
  if (!plan.todo.empty()) {
    pool.emplace(model_dir.string(), devices, captioner_options(o), environment.fault_injection);
    captioner = &pool->first();
    settings = captioner->settings(generation);  // bad settings fail before any image
    if (o.wants_attention()) attention_layer = parse_attention_layer(o.attention_layer, captioner->decoder_layers());
  }
  const double load_ms = ms_since(t_start);
  const nlohmann::json identity = {{"model", captioner ? model_dir.string() : ""},
                                   {"generation", settings_json(settings, o)}};
  const RunIdentity run_identity{model_dir.string(), identity["generation"]};
  if (captioner) check_identity(o, resume, run_identity);
  cut_torn_record(o, file, resume);

  WriterOptions writer_options;
  writer_options.sync = o.fsync;
  writer_options.file = file.is_file();
  writer_options.six_column_csv = resume.six_column_csv;
  writer_options.identity = identity;
  // tsv names its records' identity in a header line: --resume-any mixing in another starts a new one.
  const bool new_identity = captioner && resume.identity && !identity_difference(*resume.identity, run_identity).empty();
  writer_options.header_written = resume.has_records && !(format == Format::Tsv && new_identity);
  RecordWriter writer(file.fd(), file.name(), format, writer_options);
  const bool show_progress = o.progress || (!o.quiet && is_terminal(stderr));
  CaptionOutput output(o, writer, settings, identity, attention_layer, captioner ? captioner->patch_grid() : 0,
                       show_progress && is_terminal(stderr));
  for (const CaptionRecord& record : plan.failed) output.write_failed(record);

  RunSummary summary;
  if (pool) summary = caption_all(o, *pool, generation, plan, output, show_progress);
  writer.finish();

  print_summary(o, plan, output, summary, settings, load_ms, ms_since(t_start) - load_ms);
  if (o.device.profile && pool) print_kernel_times(pool->kernel_times());
  if (summary.stopped) return report_interrupt(o, summary, plan.todo.size());
  return output.failed() || output.warned() ? 1 : 0;  // a side output that failed counts too
}

}  // namespace

Run add_caption_command(CLI::App& app) {
  auto o = std::make_shared<CaptionOptions>();
  auto* c = app.add_subcommand("caption", "caption images (files, directories, patterns, or a list)");
  c->add_option("images", o->inputs.names, "image files, directories or quoted patterns ('photos/*.jpg')");
  c->add_option("-m,--model", o->model, "model directory or Hugging Face id in the local cache (default: bundled)");
  c->add_option("--input-list", o->inputs.input_list, "file with one image path per line ('-' = stdin)");
  c->add_flag("-r,--recursive", o->inputs.recursive, "descend into subdirectories");
  c->add_option("-f,--format", o->format,
                "txt, tsv (path<TAB>caption), json, jsonl or csv; default: -o FILE's extension, else tsv")
      ->check(CLI::IsMember({"txt", "tsv", "json", "jsonl", "csv"}));
  c->add_option("-o,--output", o->output,
                "append records to FILE, one per image as it completes; re-running with the same FILE "
                "skips images already in it (jsonl, tsv, csv). Only a file vkcap wrote in the same format, "
                "model and settings is appended to; anything else is refused untouched");
  c->add_flag("--resume-any", o->resume_any,
              "with -o FILE: append even when its records come from another model or other settings");
  c->add_flag("-q,--quiet", o->quiet, "no notices or summary on stderr: only results, warnings and errors");
  c->add_flag("--fsync", o->fsync, "fdatasync -o FILE after every record (survives power loss, not just a crash)");
  // A flag with an optional =VALUE, so `--sidecar photos/` never takes the directory as extension.
  c->add_flag("--sidecar{txt}", o->sidecar,
              "also write each caption to a file beside its image, extension replaced: photo.jpg -> "
              "photo.txt (--sidecar=caption -> photo.caption); atomic");
  c->add_flag("--write-metadata", o->write_metadata,
              "also write the caption into the image file's metadata (XMP dc:description and IPTC alt "
              "text, EXIF ImageDescription, IPTC Caption-Abstract); pixels untouched, atomic; JPEG, PNG, "
              "TIFF, WebP (no IPTC); not BMP, GIF, HEIF, AVIF");
  c->add_option("--existing", o->existing, "when a sidecar exists: skip (default), overwrite, append or prepend")
      ->check(CLI::IsMember({"skip", "overwrite", "append", "prepend"}));
  c->add_option("--prefix", o->prefix, "text put before every caption (sidecars and records)");
  c->add_option("--suffix", o->suffix, "text put after every caption (sidecars and records)");
  c->add_option("-b,--batch", o->batch, "images per encoder/decoder pass (default 1; halved on out-of-memory)")
      ->check(CLI::Range(1, 256));
  c->add_flag("--progress", o->progress, "show progress even when stderr is not a terminal");
  c->add_flag("--fp16", o->fp16, "store weights as fp16 (half the memory, faster decoding)");
  c->add_option("--prompt", o->prompt, "text the caption starts with (BLIP conditional captioning)");
  c->add_option("--task", o->task,
                "Florence-2 task: caption (default), detailed-caption, more-detailed-caption, ocr, ocr-with-region, "
                "od, dense-region-caption, region-proposal, phrase-grounding, open-vocabulary-detection, or a "
                "token such as '<OD>'");
  c->add_option("--text", o->task_text, "Florence-2: the task's input (phrase-grounding: the caption; "
                                        "open-vocabulary-detection: what to find)");
  c->add_flag("--no-exif-rotate", o->no_exif_rotate, "ignore EXIF orientation (as the model cards do)");
  c->add_option("--attention-map", o->attention_map,
                "write each image's cross-attention per generated word as a PNG grid: OUT.png for one image, "
                "else a directory (OUT/<image stem>.attention.png)");
  c->add_option("--draw-boxes", o->draw_boxes,
                "Florence-2 region tasks: draw the regions, labelled, over each image as a PNG: OUT.png for one "
                "image, else a directory (OUT/<image stem>.boxes.png)");
  c->add_flag("--attention", o->attention, "add each token's cross-attention patch grid to json/jsonl records");
  c->add_option("--attention-layer", o->attention_layer,
                "decoder layer the attention maps show: mean (over layers; default), last, or an index");
  c->add_option("-p,--preset", o->preset,
                "generation settings: hf (transformers defaults with the checkpoint's config; default for BLIP and "
                "ViT-GPT2), card (the model card's beam search; default for Florence-2: up to 1024 tokens), quality "
                "(5 beams, up to 40 tokens, no repeats); flags below override it")
      ->check(CLI::IsMember({"hf", "card", "quality"}));
  c->add_option("-n,--max-new-tokens", o->max_new_tokens,
                "most TOKENS to generate (not words; default: up to 20 positions including the start token)")
      ->check(CLI::PositiveNumber);
  c->add_option("--min-new-tokens", o->min_new_tokens, "fewest TOKENS to generate (EOS is masked before)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--beams", o->beams, "beam search width (1 = greedy)")->check(CLI::Range(1, 64));
  c->add_option("--length-penalty", o->length_penalty, "beam score = sum logprob / length^penalty");
  c->add_option("--repetition-penalty", o->repetition_penalty, "penalise tokens already present (1 = off)")
      ->check(CLI::PositiveNumber);
  c->add_option("--no-repeat-ngram", o->no_repeat_ngram, "forbid repeating n-grams of this size (0 = off)")
      ->check(CLI::NonNegativeNumber);
  c->add_flag("--sample", o->sample, "sample instead of greedy/beam (deterministic for a --seed)");
  c->add_option("--temperature", o->temperature, "sampling temperature (> 0)")->check(CLI::PositiveNumber);
  c->add_option("--top-k", o->top_k, "sample from the k most likely tokens (0 = all)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--top-p", o->top_p, "sample from the smallest set with this probability mass")
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--seed", o->seed, "random seed for sampling (default 0)");
  c->add_option("--shard", o->shard_text,
                "K/N (0-based): caption only the images whose canonical path hashes into shard K of N, and "
                "write -o FILE as FILE.K-of-N.ext ({shard} in FILE: there); auto: the index of a Slurm job "
                "array or a Kubernetes Indexed Job");
  c->add_option("--shards", o->shards, "with --shard auto on Kubernetes: the number of shards (also VKCAP_SHARDS)")
      ->check(CLI::PositiveNumber);
  add_device_options(*c, o->device);
  return [o, c] {
    check_option_combinations(*c, *o);
    return run_caption(with_shard(*o));
  };
}

}  // namespace vkcap::cli
