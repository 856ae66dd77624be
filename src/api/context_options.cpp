#include "api/context_options.h"

namespace vkcap::api {

vk::ContextOptions context_options(const CaptionerOptions& o) {
  vk::ContextOptions c;
  c.device = o.device;
  c.validation = o.validation;
  if (o.on_validation_message)
    c.on_validation_message = [sink = o.on_validation_message](std::string_view m) { sink(std::string(m)); };
  c.notice = o.on_notice;
  c.kernels = o.kernels;
  c.weight_fetch = o.weight_fetch;
  c.subgroup_size = o.subgroup_size;
  c.cpu_vector_width = o.cpu_vector_width;
  c.memory_budget = o.max_device_memory;
  c.pipeline_cache_dir = o.pipeline_cache_dir;
  c.fault_injection = o.fault_injection;
  c.profile = o.profile;
  c.host_products = o.host_blas;
  return c;
}

}  // namespace vkcap::api
