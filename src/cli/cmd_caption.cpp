// `vkcap caption`: images in, captions out. Results go to stdout (or are appended to -o FILE),
// one record per image as soon as its batch is done; notices, progress and timings go to stderr.
// One bad image is reported and the run goes on. Exit code: 0 every image captioned, 1 some
// failed, 2 usage error.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>

#include "api/step_adapter.h"
#include "cli/attention_capture.h"
#include "cli/attention_map.h"
#include "cli/commands.h"
#include "cli/image_inputs.h"
#include "cli/model_location.h"
#include "cli/output_format.h"
#include "cli/platform.h"
#include "cli/presets.h"
#include "cli/profile_table.h"
#include "cli/progress.h"
#include "cli/resume.h"
#include "cli/embed_metadata.h"
#include "cli/sidecar.h"
#include "generate/generate.h"
#include "image/image.h"
#include "model/caption_model.h"
#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

struct CaptionOptions {
  DeviceOptions device;
  std::string model;
  InputOptions inputs;
  std::string format = "tsv";
  std::string output;
  bool fsync = false;
  std::string sidecar;  // the sidecar extension; empty: no sidecars
  std::string existing = "skip";
  std::string prefix, suffix;
  int batch = 1;
  bool progress = false;
  bool fp16 = false;
  std::string prompt;
  bool no_exif_rotate = false;
  bool write_metadata = false;  // the caption into the image's XMP / EXIF / IPTC
  // Cross-attention: --attention-map OUT (PNG or directory), --attention (JSON), the layer shown.
  std::string attention_map;
  bool attention = false;
  std::string attention_layer = "mean";
  // Generation, under Hugging Face's names; unset ones come from the preset.
  std::string preset = "hf";
  std::optional<int> max_new_tokens, min_new_tokens, beams, no_repeat_ngram, top_k;
  std::optional<double> length_penalty, repetition_penalty, temperature, top_p;
  bool sample = false;
  uint64_t seed = 0;
};

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

GenerationConfig generation_config(const CaptionOptions& o, const model::CaptionModel& m) {
  GenerationConfig config;
  config.eos_token_id = {m.eos_token_id()};
  config.pad_token_id = m.pad_token_id();
  apply_preset(o.preset, m.config().arch, config);
  if (o.max_new_tokens) config.max_new_tokens = *o.max_new_tokens;
  if (o.min_new_tokens) config.min_new_tokens = *o.min_new_tokens, config.min_length = 0;
  if (o.beams) config.num_beams = *o.beams;
  if (o.no_repeat_ngram) config.no_repeat_ngram_size = *o.no_repeat_ngram;
  if (o.top_k) config.top_k = *o.top_k;
  if (o.length_penalty) config.length_penalty = *o.length_penalty;
  if (o.repetition_penalty) config.repetition_penalty = *o.repetition_penalty;
  if (o.temperature) config.temperature = *o.temperature;
  if (o.top_p) config.top_p = *o.top_p;
  if (o.sample) config.do_sample = true;
  config.seed = o.seed;
  return config;
}

nlohmann::json settings_json(const CaptionOptions& o, const GenerationConfig& c, const ResolvedGeneration& r) {
  nlohmann::json j = {{"preset", o.preset},
                      {"max_length", r.max_length},
                      {"min_length", r.min_length},
                      {"num_beams", c.num_beams},
                      {"do_sample", c.do_sample},
                      {"length_penalty", c.length_penalty},
                      {"repetition_penalty", c.repetition_penalty},
                      {"no_repeat_ngram_size", c.no_repeat_ngram_size},
                      {"prompt", o.prompt},
                      {"weights", o.fp16 ? "f16" : "f32"}};
  if (c.max_new_tokens) j["max_new_tokens"] = *c.max_new_tokens;
  if (c.do_sample)
    j.update({{"temperature", c.temperature}, {"top_k", c.top_k}, {"top_p", c.top_p}, {"seed", c.seed}});
  return j;
}

// One image on its way through a batch.
struct Pending {
  CaptionRecord record;
  std::vector<float> pixels;  // empty when the image already failed
  Image image;                // the decoded image, kept only for --attention-map
  std::vector<cli::TokenAttention> attention;  // one map per new token, with attention output on
};

class Captioner {
 public:
  // attention_layer: the layer whose cross-attention is kept (kMeanOverLayers for the mean); unset: none.
  Captioner(model::CaptionModel& m, const GenerationConfig& config, std::vector<int32_t> prompt, int batch,
            std::optional<int> attention_layer = std::nullopt)
      : m_(m), step_model_(m), config_(config), prompt_(std::move(prompt)), batch_(batch),
        attention_layer_(attention_layer) {}

  int batch() const { return batch_; }
  double encode_ms = 0, decode_ms = 0;
  size_t tokens = 0, captioned = 0;

  // Captions every pending image that has pixels. Out of device memory: the group is split in
  // halves (and later batches are made smaller); a single image that still does not fit fails.
  void run(std::vector<Pending*> group) {
    if (group.empty()) return;
    try {
      caption(group);
    } catch (const OutOfMemoryError& e) {
      if (group.size() == 1) {
        group[0]->record.error = group[0]->record.image + ": " + e.what();
        return;
      }
      const int half = int(group.size() + 1) / 2;
      if (half < batch_) {
        std::fprintf(stderr, "vkcap: out of device memory with %zu images at once; continuing with --batch %d\n",
                     group.size(), half);
        batch_ = half;
      }
      run({group.begin(), group.begin() + half});
      run({group.begin() + half, group.end()});
    }
  }

 private:
  void caption(const std::vector<Pending*>& group) {
    std::vector<std::vector<float>> pixels;
    for (Pending* p : group) pixels.push_back(p->pixels);
    const auto t0 = std::chrono::steady_clock::now();
    m_.encode(pixels);
    const double encode = ms_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    std::optional<AttentionCapture> capture;
    if (attention_layer_) capture.emplace(m_, step_model_, *attention_layer_);
    StepModel& stepper = capture ? static_cast<StepModel&>(*capture) : step_model_;
    std::vector<GeneratedSequence> results = generate(stepper, prompt_, int(group.size()), config_);
    const double decode = ms_since(t1);
    encode_ms += encode;
    decode_ms += decode;
    for (const GeneratedSequence& s : results) {
      CaptionRecord& r = group.at(size_t(s.image))->record;
      if (capture) group.at(size_t(s.image))->attention = capture->maps_for(s);
      r.tokens = s.tokens;
      r.caption = m_.tokenizer().decode(s.tokens, /*skip_special_tokens=*/true);
      r.score = s.score;
      r.score_kind = config_.num_beams > 1 ? "sequence_score" : "mean_logprob";
      r.finish_reason = s.finish_reason;
      r.encode_ms = encode / double(group.size());  // the image's share of its batch
      r.decode_ms = decode / double(group.size());
      tokens += s.new_tokens.size();
      ++captioned;
    }
  }

  model::CaptionModel& m_;
  api::DecoderStepModel step_model_;
  GenerationConfig config_;
  std::vector<int32_t> prompt_;
  int batch_;
  std::optional<int> attention_layer_;
};

int run_caption(const CaptionOptions& o) {
  const auto t_start = std::chrono::steady_clock::now();
  const Format format = parse_format(o.format);
  const ExistingSidecar existing = parse_existing(o.existing);
  InputOptions input_options = o.inputs;
  if (!o.sidecar.empty()) input_options.quiet_extensions.push_back(sidecar_path("x", o.sidecar).extension().string());

  std::vector<InputItem> items;
  ResumeState resume;
  try {
    items = collect_inputs(input_options, stderr);
    if (!o.output.empty()) resume = prepare_resume(o.output, format);
  } catch (const Error& e) {
    std::fprintf(stderr, "vkcap: %s\n", e.what());
    return 2;
  }
  if (o.attention && format != Format::Json && format != Format::Jsonl) {
    std::fprintf(stderr, "vkcap: --attention adds the maps to JSON records: use --format json or jsonl\n");
    return 2;
  }
  if (items.empty()) {
    std::fprintf(stderr, "vkcap: no images given (pass files, directories, patterns or --input-list)\n");
    return 2;
  }
  if (resume.torn_bytes)
    std::fprintf(stderr, "vkcap: %s: cut an unfinished last record (%zu bytes) from an interrupted run\n",
                 o.output.c_str(), resume.torn_bytes);

  // What is already done: records in -o FILE, or sidecars that --existing skip keeps.
  std::vector<InputItem> todo;
  size_t already = 0;
  std::set<fs::path> sidecars;
  for (InputItem& item : items) {
    const bool finished = resume.finished.count(item.path) > 0;
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
    if (finished || kept_sidecar)
      ++already;
    else
      todo.push_back(std::move(item));
  }
  if (already)
    std::fprintf(stderr, "vkcap: %zu of %zu image(s) already captioned; %zu to go\n", already, items.size(),
                 todo.size());
  if (todo.empty()) return 0;
  if (!o.attention_map.empty()) {
    if (!attention_map_is_directory(o.attention_map) && todo.size() > 1) {
      std::fprintf(stderr, "vkcap: --attention-map %s names one PNG but there are %zu images; give a directory\n",
                   o.attention_map.c_str(), todo.size());
      return 2;
    }
    std::error_code ec;
    if (attention_map_is_directory(o.attention_map)) fs::create_directories(o.attention_map, ec);
    if (ec) {
      std::fprintf(stderr, "vkcap: --attention-map %s: cannot create the directory (%s)\n", o.attention_map.c_str(),
                   ec.message().c_str());
      return 2;
    }
  }

  bool used_default = false;
  const fs::path model_dir = locate_model(o.model, &used_default);
  if (used_default)
    std::fprintf(stderr, "vkcap: using the bundled default model %s (it knows only synthetic shapes; "
                         "use --model for BLIP or ViT-GPT2)\n", model_dir.c_str());

  vk::ContextOptions context_options;
  context_options.device = o.device.device;
  context_options.profile = o.device.profile;
  context_options.notice = [](const std::string& text) { std::fprintf(stderr, "vkcap: %s\n", text.c_str()); };
  vk::Context ctx(context_options);
  model::ModelOptions model_options;
  model_options.weights = o.fp16 ? kernels::WeightType::F16 : kernels::WeightType::F32;
  model::CaptionModel m(ctx, model_dir, model_options);

  const GenerationConfig config = generation_config(o, m);
  const std::vector<int32_t> prompt = m.decoder_prompt(o.prompt);
  ResolvedGeneration resolved;
  try {
    resolved = resolve_generation(config, int(prompt.size()));  // bad settings fail before any image
  } catch (const Error& e) {
    std::fprintf(stderr, "vkcap: %s\n", e.what());
    return 2;
  }
  std::optional<int> attention_layer;
  if (o.attention || !o.attention_map.empty()) {
    try {
      attention_layer = parse_attention_layer(o.attention_layer, m.decoder().spec().layers);
    } catch (const Error& e) {
      std::fprintf(stderr, "vkcap: %s\n", e.what());
      return 2;
    }
  }
  const int attention_grid = m.patch_grid();
  const nlohmann::json extra = {{"model", model_dir.string()}, {"generation", settings_json(o, config, resolved)}};
  const double load_ms = ms_since(t_start);

  int fd = STDOUT_FILENO;
  std::string out_name = "stdout";
  if (!o.output.empty()) {
    fd = ::open(o.output.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(o.output + ": cannot open for writing (" + std::strerror(errno) + ")");
    out_name = o.output;
  }
  struct Closer {
    int fd;
    ~Closer() {
      if (fd != STDOUT_FILENO) ::close(fd);
    }
  } closer{fd};
  RecordWriter writer(fd, out_name, format, o.fsync, resume.has_records);

  Captioner captioner(m, config, prompt, std::max(1, o.batch), attention_layer);
  const bool show_progress = o.progress || is_terminal(stderr);
  Progress progress(todo.size(), show_progress, is_terminal(stderr));
  progress.start();
  DecodeOptions decode_options;
  decode_options.apply_exif_orientation = !o.no_exif_rotate;
  size_t done = 0, failed = 0, truncated = 0;
  bool device_lost = false;

  stop_after_current_batch_on_interrupt();
  for (size_t next = 0; next < todo.size() && !interrupt_requested();) {
    const size_t n = std::min(todo.size() - next, size_t(captioner.batch()));
    std::vector<Pending> batch(n);
    std::vector<Pending*> ready;
    for (size_t i = 0; i < n; ++i) {
      const InputItem& item = todo[next + i];
      Pending& p = batch[i];
      p.record.image = item.path;
      p.record.error = item.error;
      if (!p.record.error.empty() || device_lost) continue;
      try {
        Image decoded = decode_image(item.path, decode_options);
        p.pixels = m.pixel_values(decoded);
        if (!o.attention_map.empty()) p.image = std::move(decoded);
        ready.push_back(&p);
      } catch (const Error& e) {
        p.record.error = e.what();
      }
    }
    try {
      if (!device_lost) captioner.run(ready);
    } catch (const Error& e) {
      // After a lost device nothing more can run: the rest are reported as not run.
      device_lost = dynamic_cast<const DeviceLostError*>(&e) != nullptr;
      for (Pending* p : ready)
        if (p->record.finish_reason.empty()) p->record.error = p->record.image + ": " + e.what();
    }
    for (Pending& p : batch) {
      CaptionRecord& r = p.record;
      if (device_lost && r.error.empty() && r.finish_reason.empty()) r.error = r.image + ": not run (device lost)";
      if (r.error.empty()) {
        r.caption = o.prefix + r.caption + o.suffix;
        r.extra = extra;
        if (o.attention)
          r.extra["attention"] = attention_json(m.tokenizer(), p.attention, attention_grid, attention_grid, *attention_layer);
        if (!o.attention_map.empty()) {
          try {
            const AttentionTiles tiles = attention_tiles(m.tokenizer(), p.attention);
            write_attention_grid(attention_map_path(o.attention_map, r.image), p.image, tiles.words, tiles.grids,
                                 attention_grid, attention_grid);
          } catch (const Error& e) {
            r.error = e.what();
          }
        }
        if (r.finish_reason == "length") ++truncated;
        if (!o.sidecar.empty()) {
          try {
            write_sidecar(sidecar_path(r.image, o.sidecar), existing, r.caption);
          } catch (const Error& e) {
            r.error = e.what();
          }
        }
        if (o.write_metadata && r.error.empty()) {
          try {
            embed_caption_metadata(r.image, r.caption);
          } catch (const Error& e) {
            r.error = e.what();
          }
        }
      }
      if (!r.error.empty()) {
        ++failed;
        std::fprintf(stderr, "%svkcap: %s\n", show_progress && is_terminal(stderr) ? "\r\x1b[K" : "",
                     r.error.c_str());
      }
      writer.write(r);
      ++done;
    }
    next += n;
    progress.update(done, failed);
  }
  writer.finish();
  progress.finish();

  if (truncated > 0)
    std::fprintf(stderr, "vkcap: %zu caption(s) stopped at the length limit (max_length %d); raise --max-new-tokens\n",
                 truncated, resolved.max_length);
  const double run_s = (ms_since(t_start) - load_ms) / 1000.0;
  const size_t ok = captioner.captioned;
  std::fprintf(stderr,
               "vkcap: %zu image(s) captioned, %zu failed; load %.0f ms, encode %.1f ms/image, "
               "decode %.2f ms/token, %.2f images/s\n",
               ok, failed, load_ms, ok ? captioner.encode_ms / double(ok) : 0.0,
               captioner.tokens ? captioner.decode_ms / double(captioner.tokens) : 0.0,
               run_s > 0 ? double(ok) / run_s : 0.0);
  if (o.device.profile) print_profile(ctx.profile(), stderr);
  if (interrupt_requested()) {
    const bool resumable = !o.output.empty() || (!o.sidecar.empty() && existing == ExistingSidecar::Skip);
    std::fprintf(stderr, "vkcap: interrupted with %zu of %zu image(s) not started; %s\n", todo.size() - done,
                 todo.size(),
                 resumable ? "run the same command again to resume"
                           : "with -o FILE (or --sidecar) a re-run resumes where a run stopped");
    return 130;  // as a shell reports a process ended by SIGINT
  }
  return failed ? 1 : 0;
}

}  // namespace

Run add_caption_command(CLI::App& app) {
  auto o = std::make_shared<CaptionOptions>();
  auto* c = app.add_subcommand("caption", "caption images (files, directories, patterns, or a list)");
  c->add_option("images", o->inputs.names, "image files, directories or quoted patterns ('photos/*.jpg')");
  c->add_option("-m,--model", o->model, "model directory or Hugging Face id in the local cache (default: bundled)");
  c->add_option("--input-list", o->inputs.input_list, "file with one image path per line ('-' = stdin)");
  c->add_flag("-r,--recursive", o->inputs.recursive, "descend into subdirectories");
  c->add_option("-f,--format", o->format, "txt, tsv (default: path<TAB>caption), json, jsonl or csv")
      ->check(CLI::IsMember({"txt", "tsv", "json", "jsonl", "csv"}));
  c->add_option("-o,--output", o->output,
                "append records to FILE, one per image as it completes; re-running with the same FILE "
                "skips images already in it (jsonl, tsv, csv)");
  c->add_flag("--fsync", o->fsync, "fdatasync -o FILE after every record (survives power loss, not just a crash)");
  // A flag with an optional =VALUE, so `--sidecar photos/` never takes the directory as extension.
  c->add_flag("--sidecar{txt}", o->sidecar,
              "also write each caption to a file beside its image, extension replaced: photo.jpg -> "
              "photo.txt (--sidecar=caption -> photo.caption); atomic");
  c->add_flag("--write-metadata", o->write_metadata,
              "also write the caption into the image file's metadata (XMP dc:description and IPTC alt "
              "text, EXIF ImageDescription, IPTC Caption-Abstract); pixels untouched, atomic; JPEG, PNG, "
              "TIFF, WebP");
  c->add_option("--existing", o->existing, "when a sidecar exists: skip (default), overwrite, append or prepend")
      ->check(CLI::IsMember({"skip", "overwrite", "append", "prepend"}));
  c->add_option("--prefix", o->prefix, "text put before every caption (sidecars and records)");
  c->add_option("--suffix", o->suffix, "text put after every caption (sidecars and records)");
  c->add_option("-b,--batch", o->batch, "images per encoder/decoder pass (default 1; halved on out-of-memory)")
      ->check(CLI::Range(1, 256));
  c->add_flag("--progress", o->progress, "show progress even when stderr is not a terminal");
  c->add_flag("--fp16", o->fp16, "store weights as fp16 (half the memory, faster decoding)");
  c->add_option("--prompt", o->prompt, "text the caption starts with (BLIP conditional captioning)");
  c->add_flag("--no-exif-rotate", o->no_exif_rotate, "ignore EXIF orientation (as the model cards do)");
  c->add_option("--attention-map", o->attention_map,
                "write each image's cross-attention per generated word as a PNG grid: OUT.png for one image, "
                "else a directory (OUT/<image stem>.attention.png)");
  c->add_flag("--attention", o->attention, "add each token's cross-attention patch grid to json/jsonl records");
  c->add_option("--attention-layer", o->attention_layer,
                "decoder layer the attention maps show: mean (over layers; default), last, or an index");
  c->add_option("-p,--preset", o->preset,
                "generation settings: hf (transformers defaults, greedy; default), card (the model card's "
                "beam search), quality (5 beams, up to 40 tokens, no repeats); flags below override it")
      ->check(CLI::IsMember(preset_names()));
  c->add_option("-n,--max-new-tokens", o->max_new_tokens,
                "most TOKENS to generate (not words; default: up to 20 positions including the start token)");
  c->add_option("--min-new-tokens", o->min_new_tokens, "fewest TOKENS to generate (EOS is masked before)");
  c->add_option("--beams", o->beams, "beam search width (1 = greedy)")->check(CLI::Range(1, 64));
  c->add_option("--length-penalty", o->length_penalty, "beam score = sum logprob / length^penalty");
  c->add_option("--repetition-penalty", o->repetition_penalty, "penalise tokens already present (1 = off)");
  c->add_option("--no-repeat-ngram", o->no_repeat_ngram, "forbid repeating n-grams of this size");
  c->add_flag("--sample", o->sample, "sample instead of greedy/beam (deterministic for a --seed)");
  c->add_option("--temperature", o->temperature, "sampling temperature");
  c->add_option("--top-k", o->top_k, "sample from the k most likely tokens");
  c->add_option("--top-p", o->top_p, "sample from the smallest set with this probability mass");
  c->add_option("--seed", o->seed, "random seed for sampling (default 0)");
  add_device_options(*c, o->device);
  return [o] { return run_caption(*o); };
}

}  // namespace vkcap::cli
