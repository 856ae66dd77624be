#pragma once
// The Florence-2 goldens keep summaries of each tensor (first 16 values, min, max, sum, sum of
// magnitudes, shape); check_summary compares a computed tensor with one and checks every field.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vkcap::test {

std::filesystem::path fixture_dir(const std::string& name);
nlohmann::json load_json(const std::filesystem::path& path);

struct Summary {
  double max_err_first16 = 0, err_min = 0, err_max = 0, err_sum = 0, err_sum_abs = 0;
  double max_element_err() const;  // of the first 16 values, min and max
};

// `element_tol` bounds each of the first 16 values, min and max; the sums may be off by
// sum_tol_rel · sum_abs. A NaN anywhere fails.
Summary check_summary(const std::vector<float>& got, const nlohmann::json& want, double element_tol,
                      double sum_tol_rel, const std::string& what);

}  // namespace vkcap::test
