#version 450
// dst[r·row_stride + e] = src[parent[r]·row_stride + e] for r < rows, e < row_elems:
// reorders KV-cache rows by beam parent index (dst never aliases src).
// Sketch: grid y = row, each invocation copies elements e = x, x + grid width, … of that row.
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Src { float src[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Dst { float dst[]; };
layout(std430, set = 0, binding = 2) readonly buffer Parent { int parent[]; };

layout(push_constant) uniform Params {
  uint src_off, dst_off, parent_off;
  uint row_elems, row_stride;
};

void main() {
  const uint r = gl_WorkGroupID.y;
  const uint from = uint(parent[parent_off + r]);
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint e = gl_GlobalInvocationID.x; e < row_elems; e += step)
    dst[dst_off + r * row_stride + e] = src[src_off + from * row_stride + e];
}
