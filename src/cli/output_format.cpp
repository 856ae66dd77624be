#include "cli/output_format.h"

#include "util/error.h"

namespace vkcap::cli {

Format parse_format(const std::string& name) {
  if (name == "txt") return Format::Txt;
  if (name == "tsv") return Format::Tsv;
  if (name == "json") return Format::Json;
  if (name == "jsonl") return Format::Jsonl;
  if (name == "csv") return Format::Csv;
  throw Error("--format '" + name + "': expected txt, tsv, json, jsonl or csv");
}

nlohmann::json to_json(const CaptionRecord& r) {
  nlohmann::json j;
  j["image"] = r.image;
  if (!r.error.empty()) {
    j["error"] = r.error;
    return j;
  }
  j["caption"] = r.caption;
  j["tokens"] = r.tokens;
  j[r.score_kind.empty() ? "score" : r.score_kind] = r.score;
  j["finish_reason"] = r.finish_reason;
  j["timings"] = {{"encode_ms", r.encode_ms}, {"decode_ms", r.decode_ms}};
  for (auto& [k, v] : r.extra.items()) j[k] = v;
  return j;
}

namespace {

std::string csv_field(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s;
}

}  // namespace

void RecordWriter::write(const CaptionRecord& r) {
  switch (format_) {
    case Format::Txt:
      if (r.error.empty()) std::fprintf(out_, "%s\n", one_line(r.caption).c_str());
      break;
    case Format::Tsv:
      if (r.error.empty()) std::fprintf(out_, "%s\t%s\n", r.image.c_str(), one_line(r.caption).c_str());
      break;
    case Format::Csv:
      if (!header_) std::fprintf(out_, "image,caption,error\n"), header_ = true;
      std::fprintf(out_, "%s,%s,%s\n", csv_field(r.image).c_str(), csv_field(r.caption).c_str(),
                   csv_field(r.error).c_str());
      break;
    case Format::Jsonl:
      std::fprintf(out_, "%s\n", to_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      break;
    case Format::Json:
      std::fprintf(out_, "%s  %s", first_ ? "[\n" : ",\n",
                   to_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      break;
  }
  first_ = false;
  std::fflush(out_);
}

void RecordWriter::finish() {
  if (finished_) return;
  finished_ = true;
  if (format_ == Format::Json) std::fprintf(out_, first_ ? "[]\n" : "\n]\n");
  std::fflush(out_);
}

RecordWriter::~RecordWriter() { finish(); }

}  // namespace vkcap::cli
