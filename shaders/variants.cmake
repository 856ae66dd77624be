# linear (src/kernels/linear.cpp): fp16 weights read as packed halves
vkcap_shader_variant(linear_cpu_f16 linear_cpu.comp WEIGHTS_F16)
vkcap_shader_variant(linear_cpu_mv_f16 linear_cpu_mv.comp WEIGHTS_F16)
vkcap_shader_variant(linear_gpu_f16 linear_gpu.comp WEIGHTS_F16)
vkcap_shader_variant(linear_gpu_mv_f16 linear_gpu_mv.comp WEIGHTS_F16)
# ... and the Cpu kernels reading weights through a texel view (fp32: RGBA32F; fp16: RGBA32UI, 2 k steps a texel)
vkcap_shader_variant(linear_cpu_texels linear_cpu.comp WEIGHT_TEXELS)
vkcap_shader_variant(linear_cpu_texels_f16 linear_cpu.comp WEIGHT_TEXELS WEIGHTS_F16)
vkcap_shader_variant(linear_cpu_mv_texels linear_cpu_mv.comp WEIGHT_TEXELS)
vkcap_shader_variant(linear_cpu_mv_texels_f16 linear_cpu_mv.comp WEIGHT_TEXELS WEIGHTS_F16)
# attention (src/kernels/attention.cpp): the Cpu variant unrolls its lane loops for the device's subgroup size
vkcap_shader_variant(attention_cpu_sg4 attention_cpu.comp SG=4)
vkcap_shader_variant(attention_cpu_sg16 attention_cpu.comp SG=16)
vkcap_shader_variant(attention_cpu_sg32 attention_cpu.comp SG=32)
