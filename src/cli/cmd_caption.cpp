// `vkcap caption`: images in, captions out. Results go to stdout (or -o FILE), one record per
// image as soon as it is done; notices, progress and timings go to stderr. One bad image is
// reported and skipped; the exit code is 1 when any image failed.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include "api/step_adapter.h"
#include "cli/commands.h"
#include "cli/model_location.h"
#include "cli/output_format.h"
#include "cli/profile_table.h"
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
  std::vector<std::string> inputs;
  std::string input_list;
  bool recursive = false;
  std::string format = "tsv";
  std::string output;
  bool fp16 = false;
  std::string prompt;
  bool no_exif_rotate = false;
  // Generation, under Hugging Face's names.
  std::optional<int> max_new_tokens, min_new_tokens;
  int beams = 1;
  double length_penalty = 1.0, repetition_penalty = 1.0, temperature = 1.0, top_p = 1.0;
  int no_repeat_ngram = 0, top_k = 50;
  bool sample = false;
  uint64_t seed = 0;
};

bool looks_like_image(const fs::path& path) {
  unsigned char magic[12] = {0};
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(magic), sizeof magic);
  const auto n = in.gcount();
  if (n < 4) return false;
  return (magic[0] == 0x89 && magic[1] == 'P' && magic[2] == 'N' && magic[3] == 'G') ||
         (magic[0] == 0xFF && magic[1] == 0xD8) || (magic[0] == 'B' && magic[1] == 'M') ||
         (magic[0] == 'G' && magic[1] == 'I' && magic[2] == 'F');
}

std::vector<std::string> expand_inputs(const CaptionOptions& o) {
  std::vector<std::string> names = o.inputs;
  if (!o.input_list.empty()) {
    std::istream* in = &std::cin;
    std::ifstream file;
    if (o.input_list != "-") {
      file.open(o.input_list);
      if (!file) throw Error(o.input_list + ": cannot open the input list");
      in = &file;
    }
    for (std::string line; std::getline(*in, line);)
      if (!line.empty()) names.push_back(line);
  }
  std::vector<std::string> images;
  for (const std::string& name : names) {
    std::error_code ec;
    if (fs::is_directory(name, ec)) {
      std::vector<std::string> found;
      auto visit = [&](const fs::directory_entry& e) {
        if (!e.is_regular_file(ec)) return;
        if (looks_like_image(e.path()))
          found.push_back(e.path().string());
        else if (e.path().filename().string()[0] != '.' && e.path().extension() != ".txt")
          std::fprintf(stderr, "vkcap: skipping %s: not a supported image\n", e.path().c_str());
      };
      if (o.recursive)
        for (const auto& e : fs::recursive_directory_iterator(name, ec)) visit(e);
      else
        for (const auto& e : fs::directory_iterator(name, ec)) visit(e);
      std::sort(found.begin(), found.end());
      images.insert(images.end(), found.begin(), found.end());
    } else {
      images.push_back(name);  // explicit: an error later if it is not an image
    }
  }
  return images;
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

int run_caption(const CaptionOptions& o) {
  const auto t_start = std::chrono::steady_clock::now();
  const Format format = parse_format(o.format);
  std::vector<std::string> images = expand_inputs(o);
  if (images.empty()) {
    std::fprintf(stderr, "vkcap: no images given (pass files, directories, or --input-list)\n");
    return 2;
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
  const double load_ms = ms_since(t_start);

  GenerationConfig config;
  config.eos_token_id = {m.eos_token_id()};
  config.pad_token_id = m.pad_token_id();
  config.max_new_tokens = o.max_new_tokens;
  config.min_new_tokens = o.min_new_tokens;
  config.num_beams = o.beams;
  config.length_penalty = o.length_penalty;
  config.repetition_penalty = o.repetition_penalty;
  config.no_repeat_ngram_size = o.no_repeat_ngram;
  config.do_sample = o.sample;
  config.temperature = o.temperature;
  config.top_k = o.top_k;
  config.top_p = o.top_p;
  config.seed = o.seed;
  const std::vector<int32_t> prompt = m.decoder_prompt(o.prompt);
  resolve_generation(config, int(prompt.size()));  // reject bad settings before any image

  nlohmann::json settings = {{"max_new_tokens", o.max_new_tokens ? nlohmann::json(*o.max_new_tokens) : nlohmann::json()},
                             {"num_beams", o.beams},
                             {"do_sample", o.sample},
                             {"prompt", o.prompt},
                             {"weights", o.fp16 ? "f16" : "f32"}};

  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  if (!o.output.empty()) {
    file.reset(std::fopen(o.output.c_str(), "a"));
    if (!file) throw Error(o.output + ": cannot open for writing");
    out = file.get();
  }
  RecordWriter writer(out, format);
  api::DecoderStepModel step_model(m);
  int failed = 0, truncated = 0;
  double encode_total = 0, decode_total = 0;
  size_t tokens_total = 0;
  for (const std::string& path : images) {
    CaptionRecord record;
    record.image = path;
    try {
      DecodeOptions decode_options;
      decode_options.apply_exif_orientation = !o.no_exif_rotate;
      Image image = decode_image(path, decode_options);
      auto t0 = std::chrono::steady_clock::now();
      m.encode({m.pixel_values(image)});
      record.encode_ms = ms_since(t0);
      auto t1 = std::chrono::steady_clock::now();
      std::vector<GeneratedSequence> result = generate(step_model, prompt, 1, config);
      record.decode_ms = ms_since(t1);
      const GeneratedSequence& best = result.at(0);
      record.tokens = best.tokens;
      record.caption = m.tokenizer().decode(best.tokens, /*skip_special_tokens=*/true);
      record.score = best.score;
      record.score_kind = o.beams > 1 ? "sequence_score" : "mean_logprob";
      record.finish_reason = best.finish_reason;
      record.extra = {{"model", model_dir.string()}, {"generation", settings}};
      encode_total += record.encode_ms;
      decode_total += record.decode_ms;
      tokens_total += best.new_tokens.size();
      if (best.finish_reason == "length") ++truncated;
    } catch (const Error& e) {
      ++failed;
      record.error = e.what();
      std::fprintf(stderr, "vkcap: %s\n", e.what());
      if (dynamic_cast<const DeviceLostError*>(&e)) {
        writer.write(record);
        break;
      }
    }
    writer.write(record);
  }
  writer.finish();
  const size_t done = images.size() - failed;
  if (truncated > 0)
    std::fprintf(stderr, "vkcap: %d caption(s) stopped at the length limit; raise --max-new-tokens\n", truncated);
  const double total_ms = ms_since(t_start);
  std::fprintf(stderr, "vkcap: %zu image(s), %d failed; load %.0f ms, encode %.1f ms/image, decode %.2f ms/token, "
               "%.2f images/s\n", images.size(), failed, load_ms, done ? encode_total / done : 0.0,
               tokens_total ? decode_total / tokens_total : 0.0, done / ((total_ms - load_ms) / 1000.0 + 1e-9));
  if (o.device.profile) print_profile(ctx.profile(), stderr);
  return failed ? 1 : 0;
}

}  // namespace

Run add_caption_command(CLI::App& app) {
  auto o = std::make_shared<CaptionOptions>();
  auto* c = app.add_subcommand("caption", "caption images (files, directories, or a list)");
  c->add_option("images", o->inputs, "image files or directories");
  c->add_option("-m,--model", o->model, "model directory or Hugging Face id in the local cache (default: bundled)");
  c->add_option("--input-list", o->input_list, "file with one image path per line ('-' = stdin)");
  c->add_flag("-r,--recursive", o->recursive, "descend into subdirectories");
  c->add_option("-f,--format", o->format, "txt, tsv (default), json, jsonl or csv");
  c->add_option("-o,--output", o->output, "append results to FILE instead of stdout");
  c->add_flag("--fp16", o->fp16, "store weights as fp16 (half the memory, faster decoding)");
  c->add_option("--prompt", o->prompt, "text the caption starts with (BLIP conditional captioning)");
  c->add_flag("--no-exif-rotate", o->no_exif_rotate, "ignore EXIF orientation (as the model cards do)");
  c->add_option("--max-new-tokens", o->max_new_tokens, "most tokens to generate (tokens, not words)");
  c->add_option("--min-new-tokens", o->min_new_tokens, "fewest tokens to generate (EOS masked before)");
  c->add_option("--beams", o->beams, "beam search width (1 = greedy)")->check(CLI::Range(1, 64));
  c->add_option("--length-penalty", o->length_penalty, "beam score = sum logprob / length^penalty");
  c->add_option("--repetition-penalty", o->repetition_penalty, "penalise tokens already present (1 = off)");
  c->add_option("--no-repeat-ngram", o->no_repeat_ngram, "forbid repeating n-grams of this size");
  c->add_flag("--sample", o->sample, "sample instead of greedy/beam");
  c->add_option("--temperature", o->temperature, "sampling temperature");
  c->add_option("--top-k", o->top_k, "sample from the k most likely tokens");
  c->add_option("--top-p", o->top_p, "sample from the smallest set with this probability mass");
  c->add_option("--seed", o->seed, "random seed for sampling");
  add_device_options(*c, o->device);
  return [o] { return run_caption(*o); };
}

}  // namespace vkcap::cli
