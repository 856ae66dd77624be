// `vkcap merge OUT.jsonl PARTS...`: joins the jsonl files of sharded runs (--shard, or any runs
// over overlapping inputs) into one, one record per image: a caption wins over an error record,
// and the first of equal kinds is kept. With --inputs it also names the images that have no
// record at all. Images left without a caption (no record, or only an error record) are
// reported, optionally listed in a file that `caption --input-list` takes, and make the exit
// code 1, so a pipeline re-runs just those. Exit 2: usage errors (an unreadable or foreign part,
// OUT already there).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/image_inputs.h"
#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct MergeOptions {
  std::string output;
  std::vector<std::string> parts;
  InputOptions inputs;   // --inputs: the images the parts should cover
  std::string missing;   // --missing FILE: images still without a caption, one per line
  bool quiet = false;
};

struct Merged {
  std::vector<std::string> order;         // canonical image paths, first appearance first
  std::map<std::string, json> records;    // the record kept for each image
  size_t read = 0, duplicates = 0, torn = 0;
};

bool is_error_record(const json& record) { return record.contains("error"); }

void add_record(Merged& merged, json record) {
  ++merged.read;
  const std::string image = canonical_image_path(record["image"].get<std::string>());
  record["image"] = image;
  auto [it, inserted] = merged.records.try_emplace(image, record);
  if (inserted) {
    merged.order.push_back(image);
    return;
  }
  ++merged.duplicates;
  if (is_error_record(it->second) && !is_error_record(record)) it->second = std::move(record);
}

void read_part(const std::string& path, Merged& merged) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidArgumentError(path + ": cannot read this part");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  size_t begin = 0, line = 0;
  while (begin < text.size()) {
    const size_t end = text.find('\n', begin);
    const bool last_unfinished = end == std::string::npos;
    const std::string row = text.substr(begin, last_unfinished ? std::string::npos : end - begin);
    ++line;
    begin = last_unfinished ? text.size() : end + 1;
    if (row.empty()) continue;
    json record = json::parse(row, nullptr, false);
    if (record.is_discarded() || !record.is_object() || !record.contains("image") || !record["image"].is_string()) {
      if (last_unfinished) {  // a run killed mid-record: its image counts as not done
        ++merged.torn;
        continue;
      }
      throw InvalidArgumentError(path + ":" + std::to_string(line) +
                                 ": not a vkcap jsonl record (merge joins the jsonl files of caption runs)");
    }
    add_record(merged, std::move(record));
  }
}

void write_atomically(const std::string& path, const Merged& merged) {
  const fs::path tmp = fs::path(path).concat(".vkcap-merge.tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InvalidArgumentError(path + ": cannot write here");
    for (const std::string& image : merged.order) out << merged.records.at(image).dump() << '\n';
    out.flush();
    if (!out) throw Error(path + ": writing failed (disk full?)");
  }
  fs::rename(tmp, path);
}

int run_merge(const MergeOptions& o) {
  if (fs::path(o.output).extension() != ".jsonl")
    throw InvalidArgumentError(o.output + ": merge writes jsonl (name the output FILE.jsonl)");
  std::error_code ec;
  if (fs::exists(o.output, ec) && fs::file_size(o.output, ec) > 0)
    throw InvalidArgumentError(o.output + ": already exists; merge writes a new file");
  Merged merged;
  for (const std::string& part : o.parts) {
    if (fs::weakly_canonical(part, ec) == fs::weakly_canonical(o.output, ec))
      throw InvalidArgumentError(part + ": is the output too");
    read_part(part, merged);
  }

  std::vector<std::string> without_caption;
  size_t error_only = 0, no_record = 0;
  for (const std::string& image : merged.order)
    if (is_error_record(merged.records.at(image))) {
      without_caption.push_back(image);
      ++error_only;
    }
  if (!o.inputs.names.empty() || !o.inputs.input_list.empty()) {
    for (const InputItem& item : collect_inputs(o.inputs, o.quiet ? nullptr : stderr).items) {
      const std::string image = canonical_image_path(item.path);
      if (!merged.records.count(image)) {
        without_caption.push_back(image);
        ++no_record;
      }
    }
  }
  write_atomically(o.output, merged);
  if (!o.missing.empty()) {
    std::ofstream list(o.missing, std::ios::trunc);
    for (const std::string& image : without_caption) list << image << '\n';
    if (!list) throw Error(o.missing + ": cannot write the list of images without a caption");
  }
  if (!o.quiet) {
    std::fprintf(stderr,
                 "vkcap: %s: %zu image(s) from %zu record(s) in %zu part(s); %zu duplicate(s) dropped, %zu torn "
                 "line(s) skipped; %zu with only an error record, %zu with no record\n",
                 o.output.c_str(), merged.order.size(), merged.read, o.parts.size(), merged.duplicates, merged.torn,
                 error_only, no_record);
    for (const std::string& image : without_caption) std::fprintf(stderr, "vkcap: no caption: %s\n", image.c_str());
  }
  return without_caption.empty() ? 0 : 1;
}

}  // namespace

Run add_merge_command(CLI::App& app) {
  auto o = std::make_shared<MergeOptions>();
  auto* c = app.add_subcommand("merge", "join the jsonl outputs of sharded runs into one, one record per image");
  c->add_option("output", o->output, "the merged FILE.jsonl (must not exist yet)")->required();
  c->add_option("parts", o->parts, "the runs' jsonl files (e.g. captions.*-of-8.jsonl)")->required();
  c->add_option("--inputs", o->inputs.names,
                "the images the runs were given (files, directories, patterns): also report those with no record");
  c->add_option("--input-list", o->inputs.input_list, "the same as a file of paths ('-' = stdin)");
  c->add_flag("-r,--recursive", o->inputs.recursive, "with --inputs: descend into subdirectories");
  c->add_option("--missing", o->missing,
                "write the images still without a caption to this file, one per line (for caption --input-list)");
  c->add_flag("-q,--quiet", o->quiet, "no summary on stderr");
  return [o] { return run_merge(*o); };
}

}  // namespace vkcap::cli
