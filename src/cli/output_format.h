#pragma once
// One caption result and the ways it is written: txt (caption only), tsv (path<TAB>caption,
// the default), json (one array), jsonl (one object per line), csv.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vkcap::cli {

struct CaptionRecord {
  std::string image;
  std::string caption;
  std::vector<int32_t> tokens;
  double score = 0;
  std::string score_kind;  // "sequence_score" (beam) or "mean_logprob"
  std::string finish_reason;
  std::string error;       // non-empty: this image failed
  double encode_ms = 0, decode_ms = 0;
  nlohmann::json extra;    // model, generation settings
};

enum class Format { Txt, Tsv, Json, Jsonl, Csv };
Format parse_format(const std::string& name);

class RecordWriter {
 public:
  RecordWriter(std::FILE* out, Format format) : out_(out), format_(format) {}
  ~RecordWriter();
  void write(const CaptionRecord& record);  // flushed at once
  void finish();

 private:
  std::FILE* out_;
  Format format_;
  bool first_ = true, finished_ = false, header_ = false;
};

nlohmann::json to_json(const CaptionRecord& record);

}  // namespace vkcap::cli
