#include "checks/kernel_catalog.h"

#include "checks/attention_checks.h"
#include "checks/davit_checks.h"
#include "checks/linear_checks.h"
#include "checks/ops_checks.h"
#include "checks/subgroup_checks.h"
#include "kernels/linear_host.h"

namespace vkcap::checks {

namespace {

using kernels::WeightType;
using vk::KernelVariant;

const char* variant_name(KernelVariant v) { return v == KernelVariant::Cpu ? "cpu" : "gpu"; }

std::vector<KernelVariant> variants(const vk::DeviceInfo& info) {
  std::vector<KernelVariant> out{KernelVariant::Gpu};
  if (info.supports_cpu_variant()) out.push_back(KernelVariant::Cpu);
  return out;
}

// The setting that keeps vkcap off a kernel family variant, when the other one can run here.
std::string other_variant_setting(const vk::DeviceInfo& info, KernelVariant v) {
  if (v == KernelVariant::Cpu) return "VKCAP_KERNELS=gpu";
  return info.supports_cpu_variant() ? "VKCAP_KERNELS=cpu" : "";
}

template <typename T, typename F>
std::vector<CheckResult> each(const std::vector<T>& items, F check) {
  std::vector<CheckResult> out;
  for (const T& item : items) out.push_back(check(item));
  return out;
}

template <typename T>
std::vector<T> pick(const std::vector<T>& all, std::initializer_list<size_t> indices) {
  std::vector<T> out;
  for (size_t i : indices) out.push_back(all.at(i));
  return out;
}

void add_linear(std::vector<CheckGroup>& groups, const vk::DeviceInfo& info, bool quick) {
  const bool default_cpu = info.preferred_variant() == KernelVariant::Cpu;
  for (const LinearPath& path : linear_paths(info))
    for (WeightType type : {WeightType::F32, WeightType::F16}) {
      const bool f16 = type == WeightType::F16;
      CheckGroup g;
      g.family = "linear";
      g.variant = path.name() + (f16 ? " f16" : " f32");
      // Host products serve a CPU device's encoders, beside its Cpu-shaped kernels for decoding.
      g.device_default = path.host || ((path.variant == KernelVariant::Cpu) == default_cpu &&
                                       (!default_cpu || path.fetch == kernels::preferred_fetch(info)));
      g.avoided_by = path.avoided_by() + (f16 ? ", or caption without --fp16" : "");
      g.run = [path, type, quick](const CheckRun& run) {
        if (quick) return run_linear_cases(run, linear_quick_cases(path, type));
        std::vector<CheckResult> out;
        for (auto list : {linear_edge_cases(path, type), linear_matvec_cases(path, type),
                          linear_epilogue_cases(path, type), linear_magnitude_cases(path, type),
                          linear_long_k_cases(path, type), linear_block_split_cases(path, type),
                          std::vector{linear_decode_case(path, type)}})
          for (CheckResult& r : run_linear_cases(run, list)) out.push_back(std::move(r));
        if (type == WeightType::F32) {
          for (CheckResult& r : run_linear_cases(run, {linear_encoder_case(path)})) out.push_back(std::move(r));
          for (auto act : {kernels::Activation::GeluErf, kernels::Activation::GeluTanh})
            out.push_back(run_linear_gelu_sweep(run, path, act));
        }
        return out;
      };
      groups.push_back(std::move(g));
      // The layer norm folded into the linear's input (decode steps).
      CheckGroup folded = groups.back();
      folded.run = [path, type, quick](const CheckRun& run) {
        std::vector<CheckResult> out;
        for (int m : quick ? std::vector{1, 3} : std::vector{1, 2, 3, 8, 9})
          for (int k : quick ? std::vector{97} : std::vector{97, 768})
            for (bool residual : {false, true}) out.push_back(run_folded_norm_case(run, {path, type, m, k, residual, false}));
        out.push_back(run_folded_norm_case(run, {path, type, 1, 97, false, true}));
        return out;
      };
      groups.push_back(std::move(folded));
    }
}

void add_variant_families(std::vector<CheckGroup>& groups, const vk::DeviceInfo& info, bool quick) {
  for (KernelVariant v : variants(info)) {
    const bool is_default = info.preferred_variant() == v;
    groups.push_back({"attention", variant_name(v), is_default, other_variant_setting(info, v),
                      [v, quick, is_default](const CheckRun& run) {
                        auto out = each(quick ? attention_quick_problems() : attention_problems(),
                                        [&](const NamedAttentionProblem& p) {
                                          return check_attention(run, p.problem, v, p.what, p.extra_tolerance);
                                        });
                        if (is_default && kernels::host_products_enabled(run.ctx))  // encoders' host path
                          for (NamedAttentionProblem p : quick ? attention_quick_problems() : attention_problems())
                            if (p.problem.mask == kernels::MaskKind::None && !p.problem.probs) {
                              p.problem.on_host = true;
                              out.push_back(check_attention(run, p.problem, v, p.what, p.extra_tolerance));
                            }
                        // Quick: head dim 64 like its other problems (one pipeline per head dim).
                        out.push_back(check_attention_decode_steps(run, v, kernels::MaskMode::Replace, quick ? 64 : 32));
                        if (!quick) out.push_back(check_attention_decode_steps(run, v, kernels::MaskMode::Add));
                        return out;
                      }});
    groups.push_back({"layer_norm", variant_name(v), is_default, other_variant_setting(info, v),
                      [v, quick, is_default](const CheckRun& run) {
                        const std::vector<LayerNormShape> all = layer_norm_shapes();
                        auto out = each(quick ? pick(all, {0, 5, 7, 10}) : all,
                                        [&](const LayerNormShape& s) { return check_layer_norm(run, v, s); });
                        if (is_default && kernels::host_products_enabled(run.ctx))
                          for (const LayerNormShape& s : quick ? pick(all, {0, 5, 10}) : all)
                            out.push_back(check_layer_norm(run, v, s, true));
                        out.push_back(check_layer_norm_magnitudes(run, v));
                        out.push_back(check_layer_norm_residual(run, v, true));
                        if (!quick) out.push_back(check_layer_norm_residual(run, v, false));
                        return out;
                      }});
    // Window attention is linear + attention + row copies, each checked on its own above; the
    // quick run checks it on the device's own variant only (on lavapipe the Gpu-shaped one
    // takes most of a minute to compile).
    if (!quick || is_default)
      groups.push_back({"window_attention", variant_name(v), is_default, other_variant_setting(info, v),
                      [v, quick, is_default](const CheckRun& run) {
                        const std::vector<WindowAttentionCase> all = window_attention_cases();
                        std::vector<CheckResult> out = each(quick ? pick(all, {6}) : all,
                                                            [&](const WindowAttentionCase& c) {
                                                              return check_window_attention(run, v, c);
                                                            });
                        if (is_default && kernels::host_products_enabled(run.ctx))
                          for (const WindowAttentionCase& c : quick ? pick(all, {2, 6}) : all)
                            out.push_back(check_window_attention(run, v, c, true));
                        return out;
                      }});
    groups.push_back({"conv2d", variant_name(v), is_default, other_variant_setting(info, v),
                      [v, quick, is_default](const CheckRun& run) {
                        const std::vector<Conv2dCase> all = conv2d_cases();
                        auto out = each(quick ? pick(all, {1, 2, 5}) : all,
                                        [&](const Conv2dCase& c) { return check_conv2d(run, v, c); });
                        if (is_default && kernels::host_products_enabled(run.ctx))
                          for (const Conv2dCase& c : quick ? pick(all, {1, 2}) : all)
                            out.push_back(check_conv2d(run, v, c, true));
                        return out;
                      }});
  }
}

void add_single_variant_families(std::vector<CheckGroup>& groups, bool quick) {
  auto group = [&](const char* family, std::function<std::vector<CheckResult>(const CheckRun&)> run) {
    groups.push_back({family, "", true, "", std::move(run)});
  };
  group("softmax_stats", [quick](const CheckRun& run) {
    const std::vector<RowsShape> all = softmax_stats_shapes();
    return each(quick ? pick(all, {1, 5}) : all, [&](const RowsShape& s) { return check_softmax_stats(run, s); });
  });
  group("softmax", [quick](const CheckRun& run) {
    const std::vector<RowsShape> all = softmax_shapes();
    std::vector<CheckResult> out;
    for (bool log : {false, true}) {
      for (const RowsShape& s : quick ? pick(all, {1, 4, 5}) : all) out.push_back(check_softmax(run, s, log));
      out.push_back(check_softmax_magnitudes(run, log));
      out.push_back(check_softmax_masked(run, log));
    }
    return out;
  });
  group("add", [quick](const CheckRun& run) {
    std::vector<CheckResult> out;
    for (size_t n : quick ? std::vector<size_t>{65, 4099} : std::vector<size_t>{1, 63, 64, 65, 4099, 443136})
      out.push_back(check_add(run, n));
    out.push_back(check_add_in_place(run));
    return out;
  });
  group("channel_attention", [quick](const CheckRun& run) {
    const std::vector<ChannelAttentionCase> all = channel_attention_cases();
    std::vector<CheckResult> out;
    for (const bool on_host : {false, true}) {
      if (on_host && !kernels::host_products_enabled(run.ctx)) continue;
      for (const CheckResult& r : each(quick ? pick(all, {2, 5}) : all, [&](const ChannelAttentionCase& c) {
             return check_channel_attention(run, c, on_host);
           }))
        out.push_back(r);
    }
    return out;
  });
  group("depthwise_conv", [quick](const CheckRun& run) {
    const std::vector<DepthwiseCase> all = depthwise_cases();
    auto out = each(quick ? pick(all, {2, 4}) : all, [&](const DepthwiseCase& c) { return check_depthwise(run, c); });
    if (kernels::host_products_enabled(run.ctx))
      for (const DepthwiseCase& c : quick ? pick(all, {2, 4}) : all) out.push_back(check_depthwise(run, c, true));
    return out;
  });
  group("embedding", [](const CheckRun& run) { return std::vector{check_embedding(run)}; });
  group("mean_rows", [quick](const CheckRun& run) {
    const std::vector<MeanRowsShape> all = mean_rows_shapes();
    return each(quick ? pick(all, {2, 3}) : all, [&](const MeanRowsShape& s) { return check_mean_rows(run, s); });
  });
  group("topk", [quick](const CheckRun& run) {
    const std::vector<TopKShape> all = topk_shapes();
    auto out = each(quick ? pick(all, {2, 4}) : all, [&](const TopKShape& s) { return check_topk(run, s); });
    out.push_back(check_topk_ties(run));
    return out;
  });
}

}  // namespace

std::vector<CheckGroup> kernel_checks(const vk::DeviceInfo& info, bool quick) {
  std::vector<CheckGroup> groups;
  // First: whether the device honours the subgroup size at all, which the Cpu-shaped kernels rely on.
  groups.push_back({"subgroup_size", "", true, "",
                    [](const CheckRun& run) { return std::vector{check_subgroup_size(run)}; }});
  add_linear(groups, info, quick);
  add_variant_families(groups, info, quick);
  add_single_variant_families(groups, quick);
  return groups;
}

}  // namespace vkcap::checks
