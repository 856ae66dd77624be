#include "cli/output_format.h"

#include <filesystem>

#include "cli/image_inputs.h"
#include "cli/platform.h"
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

std::string format_name(Format format) {
  switch (format) {
    case Format::Txt: return "txt";
    case Format::Tsv: return "tsv";
    case Format::Json: return "json";
    case Format::Jsonl: return "jsonl";
    case Format::Csv: return "csv";
  }
  return "";
}

std::optional<Format> format_of_extension(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext.size() < 2) return std::nullopt;
  try {
    return parse_format(ext.substr(1));
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string escape_field(const std::string& text, Format format) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += format == Format::Tsv ? "\\t" : "\t"; break;
      default: out += c;
    }
  }
  return out;
}

std::string unescape_field(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char next = text[++i];
    out += next == 'n' ? '\n' : next == 'r' ? '\r' : next == 't' ? '\t' : next;
  }
  return out;
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
  if (!r.warning.empty()) j["warning"] = r.warning;
  j["timings"] = {{"encode_ms", r.encode_ms}, {"decode_ms", r.decode_ms}};
  for (auto& [k, v] : r.extra.items()) j[k] = v;
  return j;
}

namespace {

std::string json_text(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// A quoted csv field: "..." with "" for a quote.
std::string csv_field(const std::string& s) {
  std::string out = "\"";
  for (char c : escape_field(s, Format::Csv)) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// txt names no image, so nothing reads it back: a line break is just a space there.
std::string single_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

std::string json_field(const nlohmann::json& extra, const char* key) {
  if (!extra.is_object() || !extra.contains(key)) return "";
  return extra[key].is_string() ? extra[key].get<std::string>() : json_text(extra[key]);
}

}  // namespace

std::string tsv_header_line(const nlohmann::json& identity) {
  return std::string(kTsvHeaderStart) + "\tmodel=" + escape_field(json_field(identity, "model"), Format::Tsv) +
         "\tsettings=" + escape_field(json_field(identity, "generation"), Format::Tsv) + "\n";
}

void RecordWriter::emit(const std::string& bytes) { write_record(fd_, bytes, options_.sync, name_); }

std::string RecordWriter::header() const {
  if (format_ == Format::Csv) return std::string(options_.six_column_csv ? kCsvHeaderSixColumns : kCsvHeader) + "\n";
  if (format_ == Format::Tsv && options_.file) return tsv_header_line(options_.identity);
  return "";
}

std::string RecordWriter::csv_line(const CaptionRecord& r) const {
  std::string tokens;
  for (int32_t t : r.tokens) tokens.append(tokens.empty() ? "" : " ").append(std::to_string(t));
  char score[32] = "";
  if (r.error.empty()) std::snprintf(score, sizeof score, "%.6g", r.score);
  std::vector<std::string> fields = {r.image, r.caption, tokens, r.finish_reason, score, r.error};
  if (!options_.six_column_csv) {
    fields.push_back(json_field(r.extra, "model"));
    fields.push_back(json_field(r.extra, "generation"));
  }
  std::string line;
  for (const std::string& field : fields) line.append(line.empty() ? "" : ",").append(csv_field(field));
  return line.append("\n");
}

void RecordWriter::write(const CaptionRecord& given) {
  CaptionRecord r = given;
  if (options_.file) r.image = canonical_image_path(r.image);  // what a resume compares
  std::string line;
  switch (format_) {
    case Format::Txt:
      if (r.error.empty()) line = single_line(r.caption) + "\n";
      break;
    case Format::Tsv:
      if (r.error.empty()) line = escape_field(r.image, Format::Tsv) + "\t" + escape_field(r.caption, Format::Tsv) + "\n";
      break;
    case Format::Csv:
      line = csv_line(r);
      break;
    case Format::Jsonl:
      line = json_text(to_json(r)) + "\n";
      break;
    case Format::Json:
      line = std::string(first_ ? "[\n  " : ",\n  ") + json_text(to_json(r));
      break;
  }
  first_ = false;
  if (line.empty()) return;
  if (!header_) {
    line = header() + line;  // one write: a torn header never stands alone before a record
    header_ = true;
  }
  emit(line);
}

void RecordWriter::finish() {
  if (finished_) return;
  finished_ = true;
  if (format_ == Format::Json) emit(first_ ? "[]\n" : "\n]\n");
}

RecordWriter::~RecordWriter() {
  try {
    finish();
  } catch (const Error&) {
    // Reported by an explicit finish(); a destructor must not throw.
  }
}

}  // namespace vkcap::cli
