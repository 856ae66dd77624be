#include "cli/resume.h"

#include <sstream>
#include <vector>

#include "cli/image_inputs.h"
#include "util/error.h"

namespace vkcap::cli {

namespace {

using nlohmann::json;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The fields of one csv line as RecordWriter writes it ("..." with "" for a quote), unescaped;
// nullopt when the line is not that shape.
std::optional<std::vector<std::string>> csv_fields(const std::string& line) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (true) {
    if (i >= line.size() || line[i] != '"') return std::nullopt;
    std::string field;
    for (++i;; ++i) {
      if (i >= line.size()) return std::nullopt;
      if (line[i] != '"') {
        field += line[i];
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        field += '"', ++i;
      } else {
        break;
      }
    }
    fields.push_back(unescape_field(field));
    if (++i == line.size()) return fields;
    if (line[i++] != ',') return std::nullopt;
  }
}

json parse_json(const std::string& text) { return json::parse(text, nullptr, /*allow_exceptions=*/false); }

// Each parser takes the file's whole lines and says whether vkcap wrote them in its format,
// noting finished images and the records' identity.
bool read_jsonl(const std::vector<std::string>& lines, ResumeState& state) {
  for (const std::string& line : lines) {
    if (line.empty()) continue;
    const json j = parse_json(line);
    if (!j.is_object() || !j.contains("image") || !j["image"].is_string()) return false;
    if (j.contains("error")) continue;
    state.finished.insert(canonical_image_path(j["image"].get<std::string>()));
    if (j.contains("model") && j["model"].is_string() && j.contains("generation") && j["generation"].is_object())
      state.identity = RunIdentity{j["model"].get<std::string>(), j["generation"]};
  }
  return true;
}

// "# vkcap tsv<TAB>model=M<TAB>settings={...}" (the bare first part is enough to be recognised).
void read_tsv_header(const std::string& line, ResumeState& state) {
  std::string model;
  json settings;
  std::istringstream fields(line);
  for (std::string field; std::getline(fields, field, '\t');) {
    if (field.starts_with("model=")) model = unescape_field(field.substr(6));
    if (field.starts_with("settings=")) settings = parse_json(unescape_field(field.substr(9)));
  }
  if (!model.empty() && settings.is_object()) state.identity = RunIdentity{model, settings};
}

bool read_tsv(const std::vector<std::string>& lines, ResumeState& state) {
  if (lines.empty() || !lines[0].starts_with(kTsvHeaderStart)) return false;
  for (const std::string& line : lines) {
    if (line.starts_with(kTsvHeaderStart)) {
      read_tsv_header(line, state);
    } else if (const size_t tab = line.find('\t'); tab != std::string::npos) {
      state.finished.insert(canonical_image_path(unescape_field(line.substr(0, tab))));
    } else if (!line.empty()) {
      return false;
    }
  }
  return true;
}

bool read_csv(const std::vector<std::string>& lines, ResumeState& state) {
  if (lines.empty() || (lines[0] != kCsvHeader && lines[0] != kCsvHeaderSixColumns)) return false;
  state.six_column_csv = lines[0] == kCsvHeaderSixColumns;
  const size_t columns = state.six_column_csv ? 6 : 8;
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto fields = csv_fields(lines[i]);
    if (!fields || fields->size() != columns) return false;
    const std::vector<std::string>& f = *fields;
    if (!f[5].empty()) continue;  // an error record: that image is retried
    state.finished.insert(canonical_image_path(f[0]));
    if (columns == 8 && !f[6].empty())
      if (const json settings = parse_json(f[7]); settings.is_object()) state.identity = RunIdentity{f[6], settings};
  }
  return true;
}

// Which of vkcap's formats the lines are, by their first line (and, for jsonl, every line).
std::optional<Format> recognised_format(const std::vector<std::string>& lines) {
  ResumeState scratch;
  if (lines.empty()) return std::nullopt;
  if (lines[0].starts_with(kTsvHeaderStart)) return Format::Tsv;
  if (lines[0] == kCsvHeader || lines[0] == kCsvHeaderSixColumns) return Format::Csv;
  if (lines[0] == "[" || lines[0] == "[]") return Format::Json;
  if (read_jsonl(lines, scratch)) return Format::Jsonl;
  return std::nullopt;
}

InvalidArgumentError not_vkcap_output(const std::string& file, const std::vector<std::string>& lines) {
  std::string hint = "give another -o FILE";
  bool tsv_like = !lines.empty();
  for (const std::string& line : lines) tsv_like = tsv_like && line.find('\t') != std::string::npos;
  if (tsv_like)
    hint += "; if an older vkcap wrote it, add the line '" + std::string(kTsvHeaderStart) + "' at its top to resume it";
  return InvalidArgumentError(file + ": not a file vkcap wrote, so vkcap will not append to it (left untouched); " +
                              hint);
}

// Whether a line without its newline can be the start of a record vkcap writes in `format`
// (after `lines`, which are already known to be vkcap's).
bool torn_record(const std::string& tail, const std::vector<std::string>& lines, Format format) {
  if (lines.empty()) {  // only a torn header can stand alone: vkcap writes it with the first record
    const std::string_view header = format == Format::Tsv ? kTsvHeaderStart : format == Format::Csv ? kCsvHeader : "";
    return !header.empty() && (header.starts_with(tail) || tail.starts_with(header));
  }
  if (format == Format::Jsonl) return tail.starts_with("{");
  if (format == Format::Csv) return tail.starts_with("\"");
  return true;  // tsv: any text after vkcap's header is a record's start
}

}  // namespace

ResumeState read_resume_state(const std::string& text, const std::string& file, Format format) {
  ResumeState state;
  if (text.empty()) return state;
  const size_t newline = text.rfind('\n');
  state.complete_bytes = newline == std::string::npos ? 0 : newline + 1;
  const std::vector<std::string> lines = split_lines(text.substr(0, state.complete_bytes));
  const std::string tail = text.substr(state.complete_bytes);

  const std::optional<Format> found = lines.empty() ? std::optional<Format>(format) : recognised_format(lines);
  if (found == Format::Json && format == Format::Json)
    throw InvalidArgumentError(file + ": already holds records, and a JSON array cannot be appended to; "
                               "use --format jsonl to resume, or remove the file");
  if (format == Format::Txt)
    throw InvalidArgumentError(file + ": already has content, and txt lines do not name their images so the "
                               "run cannot resume (left untouched); use --format tsv, jsonl or csv, or another -o FILE");
  if (!found) throw not_vkcap_output(file, lines);
  if (*found != format)
    throw InvalidArgumentError(file + ": holds vkcap " + format_name(*found) + " records but this run writes " +
                               format_name(format) + " (left untouched); use -f " + format_name(*found) +
                               " or another -o FILE");
  const bool ours = format == Format::Jsonl ? read_jsonl(lines, state)
                    : format == Format::Tsv ? lines.empty() || read_tsv(lines, state)
                                            : lines.empty() || read_csv(lines, state);
  if (!ours) throw not_vkcap_output(file, lines);
  if (!tail.empty() && !torn_record(tail, lines, format)) throw not_vkcap_output(file, lines);
  state.torn_bytes = tail.size();
  state.has_records = !lines.empty();
  return state;
}

std::string identity_difference(const RunIdentity& file, const RunIdentity& run) {
  std::string differences;
  auto add = [&](const std::string& what) { differences += (differences.empty() ? "" : "; ") + what; };
  if (canonical_image_path(file.model) != canonical_image_path(run.model))
    add("model " + file.model + " vs " + run.model);
  json keys = file.settings;
  keys.update(run.settings);
  for (const auto& [key, unused] : keys.items()) {
    const json a = file.settings.value(key, json()), b = run.settings.value(key, json());
    if (a != b) add(key + " " + (a.is_null() ? "unset" : a.dump()) + " vs " + (b.is_null() ? "unset" : b.dump()));
  }
  return differences;
}

}  // namespace vkcap::cli
