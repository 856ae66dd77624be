#version 450
// Patches for a Conv2d with kernel = stride = p and no padding (the ViT / BLIP patch embedding):
//   patches[(py·gw + px), (c·p + ky)·p + kx] = pixels[c, py·p + ky, px·p + kx]
// with gh = H / p, gw = W / p (floor, like the conv: trailing rows/columns are unused). Rows
// are ordered like the flattened conv weight [D, C, p, p], so patches · Wᵀ + b is the conv.
// One invocation per output element (grid-stride), consecutive invocations write consecutive
// floats.
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Pixels { float pixels[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Patches { float patches[]; };

layout(push_constant) uniform Params {
  uint pixels_offset, channels, height, width, patch_size, patches_offset, gh, gw;
};

void main() {
  uint row_len = channels * patch_size * patch_size;
  uint total = gh * gw * row_len;
  uint stride = gl_NumWorkGroups.x * WG;
  for (uint o = gl_GlobalInvocationID.x; o < total; o += stride) {
    uint r = o / row_len, col = o % row_len;
    uint py = r / gw, px = r % gw;
    uint c = col / (patch_size * patch_size), k = col % (patch_size * patch_size);
    uint ky = k / patch_size, kx = k % patch_size;
    uint src = pixels_offset + (c * height + py * patch_size + ky) * width + px * patch_size + kx;
    patches[patches_offset + o] = pixels[src];
  }
}
