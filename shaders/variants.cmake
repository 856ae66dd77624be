# linear (src/kernels/linear.cpp): fp16 weights read as packed halves
vkcap_shader_variant(linear_cpu_f16 linear_cpu.comp WEIGHTS_F16)
vkcap_shader_variant(linear_gpu_f16 linear_gpu.comp WEIGHTS_F16)
vkcap_shader_variant(linear_gpu_mv_f16 linear_gpu_mv.comp WEIGHTS_F16)
