#include "model/golden_summary.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace vkcap::test {

using nlohmann::json;

std::filesystem::path fixture_dir(const std::string& name) { return std::filesystem::path(VKCAP_FIXTURES_DIR) / name; }

json load_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

double Summary::max_element_err() const { return std::max({max_err_first16, err_min, err_max}); }

Summary check_summary(const std::vector<float>& got, const json& want, double element_tol, double sum_tol_rel,
                      const std::string& what) {
  size_t count = 1;
  for (const json& d : want.at("shape")) count *= d.get<size_t>();
  REQUIRE_MESSAGE(got.size() == count, what << ": " << got.size() << " values, expected " << count);
  Summary s;
  // A NaN anywhere must fail, so errors compare NaN as infinitely wrong.
  const auto error = [](double a, double b) { const double e = std::abs(a - b); return std::isnan(e) ? INFINITY : e; };
  const std::vector<double> first = want.at("first16").get<std::vector<double>>();
  for (size_t i = 0; i < first.size(); ++i) s.max_err_first16 = std::max(s.max_err_first16, error(got[i], first[i]));
  double sum = 0, sum_abs = 0, lo = got[0], hi = got[0];
  for (float v : got) sum += v, sum_abs += std::abs(v), lo = std::min<double>(lo, v), hi = std::max<double>(hi, v);
  s.err_min = error(lo, want.at("min").get<double>());
  s.err_max = error(hi, want.at("max").get<double>());
  s.err_sum = error(sum, want.at("sum").get<double>());
  s.err_sum_abs = error(sum_abs, want.at("sum_abs").get<double>());
  const double sum_tol = sum_tol_rel * want.at("sum_abs").get<double>();
  MESSAGE(what << ": first16 max err " << s.max_err_first16 << ", min/max err " << s.err_min << "/" << s.err_max
               << " (tolerance " << element_tol << "), sum err " << s.err_sum << ", sum_abs err " << s.err_sum_abs
               << " (tolerance " << sum_tol << ")");
  CHECK_MESSAGE(s.max_err_first16 <= element_tol, what << " first16");
  CHECK_MESSAGE(s.err_min <= element_tol, what << " min");
  CHECK_MESSAGE(s.err_max <= element_tol, what << " max");
  CHECK_MESSAGE(s.err_sum <= sum_tol, what << " sum");
  CHECK_MESSAGE(s.err_sum_abs <= sum_tol, what << " sum_abs");
  return s;
}

}  // namespace vkcap::test
