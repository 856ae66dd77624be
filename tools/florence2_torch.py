#!/usr/bin/python3
"""Florence-2 (`Florence2ForConditionalGeneration`, Microsoft's hub code run on transformers
4.40.2) in plain PyTorch: the DaViT vision tower, the image projector and the BART
encoder-decoder. Parameter names equal the checkpoint's state-dict keys, so Microsoft's
`pytorch_model.bin` / `model.safetensors` load with `load_state_dict(strict=True)` (after the
tied copies of `shared` some checkpoints carry are dropped).

What decides parity, as the hub code does it:
  - ConvEmbed: LayerNorm after the conv in stage 0, before it (on token rows) where
    `patch_prenorm` says so; each block half is x += dwconv3x3(x); x += attn(LN(x));
    x += dwconv3x3(x); x += fc2(gelu_erf(fc1(LN(x)))); LayerNorm eps 1e-5.
  - window attention zero-pads right/bottom after the LayerNorm and masks nothing (padded rows
    are keys and values, their qkv is the bias); channel attention scales q by N^-0.5, N tokens.
  - projector: + [column emb ; row emb] + cosine temporal row 0, then [mean ; tokens] @
    image_projection ([in, out], no bias), LayerNorm.
  - BART (post-LN): encoder over [image features ; shared(prompt ids)], learned positions with
    offset 2, layernorm_embedding; decoder with self-attention K/V cache and cross-attention K/V
    computed at the first step and cached (beams share nothing: the encoder output is
    repeat_interleave'd per beam); logits = shared · h + final_logits_bias.
Generation (forced BOS/EOS, no-repeat n-gram, beam search) is in florence2_generate.py.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


def attention(q, k, v, heads, mask=None):
    """Eager softmax(q kᵀ + mask) v over [B, S, D] rows; q arrives already scaled."""
    B, Sq, D = q.shape
    d = D // heads
    q = q.view(B, Sq, heads, d).transpose(1, 2)
    k = k.view(B, k.shape[1], heads, d).transpose(1, 2)
    v = v.view(B, v.shape[1], heads, d).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(-1, -2))
    if mask is not None:
        scores = scores + mask
    return torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(B, Sq, D)


# ------------------------------------------------------------------ DaViT

class DepthWise(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)

    def forward(self, x, size):
        B, N, C = x.shape
        return self.dw(x.transpose(1, 2).reshape(B, C, *size)).flatten(2).transpose(1, 2)


class Residual(nn.Module):
    """x + fn(norm(x)) — the hub's PreNorm (DropPath is the identity at inference)."""
    def __init__(self, fn, norm_dim=None):
        super().__init__()
        self.norm = nn.LayerNorm(norm_dim) if norm_dim else None
        self.fn = fn

    def forward(self, x, size):
        return x + self.fn(self.norm(x) if self.norm is not None else x, size)


class WindowAttention(nn.Module):
    def __init__(self, dim, heads, window):
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x, size):
        (H, W), (B, _, C), w = size, x.shape, self.window
        x = F.pad(x.view(B, H, W, C), (0, 0, 0, (w - W % w) % w, 0, (w - H % w) % w))
        Hp, Wp = x.shape[1:3]
        x = x.view(B, Hp // w, w, Wp // w, w, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, w * w, C)
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        x = self.proj(attention(q * (C // self.heads) ** -0.5, k, v, self.heads))
        x = x.view(B, Hp // w, Wp // w, w, w, C).permute(0, 1, 3, 2, 4, 5).reshape(B, Hp, Wp, C)
        return x[:, :H, :W, :].reshape(B, H * W, C)


class ChannelAttention(nn.Module):
    def __init__(self, dim, groups):
        super().__init__()
        self.groups = groups
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x, size):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.groups, C // self.groups).permute(2, 0, 3, 1, 4)
        a = ((q * float(N) ** -0.5).transpose(-1, -2) @ k).softmax(-1)  # [B, g, C/g, C/g]
        return self.proj((a @ v.transpose(-1, -2)).transpose(-1, -2).transpose(1, 2).reshape(B, N, C))


class Mlp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.net = nn.Sequential()
        self.net.add_module("fc1", nn.Linear(dim, 4 * dim))
        self.net.add_module("act", nn.GELU())
        self.net.add_module("fc2", nn.Linear(4 * dim, dim))

    def forward(self, x, size):
        return self.net(x)


class BlockHalf(nn.Module):
    """SpatialBlock (window attention) or ChannelBlock (channel attention)."""
    def __init__(self, dim, attn_name, attn):
        super().__init__()
        self.attn_name = attn_name
        self.conv1, self.conv2 = Residual(DepthWise(dim)), Residual(DepthWise(dim))
        self.add_module(attn_name, Residual(attn, dim))
        self.ffn = Residual(Mlp(dim), dim)

    def forward(self, x, size):
        x = getattr(self, self.attn_name)(self.conv1(x, size), size)
        return self.ffn(self.conv2(x, size), size)


class ConvEmbed(nn.Module):
    def __init__(self, cin, cout, kernel, stride, padding, prenorm):
        super().__init__()
        self.proj = nn.Conv2d(cin, cout, kernel, stride, padding)
        self.norm, self.prenorm = nn.LayerNorm(cin if prenorm else cout), prenorm

    def forward(self, x, size):
        if x.dim() == 3:  # token rows of the previous stage
            x = self.norm(x) if self.prenorm else x
            x = x.transpose(1, 2).reshape(x.shape[0], x.shape[2], *size)
        x = self.proj(x)
        size = tuple(x.shape[2:])
        x = x.flatten(2).transpose(1, 2)
        return (x if self.prenorm else self.norm(x)), size


class DaViT(nn.Module):
    def __init__(self, vc):
        super().__init__()
        dims, self.window = vc["dim_embed"], vc["window_size"]
        self.convs = nn.ModuleList(
            ConvEmbed(3 if i == 0 else dims[i - 1], dims[i], vc["patch_size"][i], vc["patch_stride"][i],
                      vc["patch_padding"][i], vc["patch_prenorm"][i]) for i in range(len(dims)))
        self.blocks = nn.ModuleList()
        for i, d in enumerate(dims):
            stage = nn.ModuleList()
            for _ in range(vc["depths"][i]):
                pair = nn.Module()
                pair.spatial_block = BlockHalf(d, "window_attn", WindowAttention(d, vc["num_heads"][i], self.window))
                pair.channel_block = BlockHalf(d, "channel_attn", ChannelAttention(d, vc["num_groups"][i]))
                stage.append(pair)
            self.blocks.append(stage)

    def forward(self, pixels):
        """Returns the last stage's tokens [B, h·w, D] and (h, w)."""
        x, size = pixels, tuple(pixels.shape[2:])
        for conv, stage in zip(self.convs, self.blocks):
            x, size = conv(x, size)
            for pair in stage:
                x = pair.channel_block(pair.spatial_block(x, size), size)
        return x, size

    def flops(self, image_hw):
        """Multiply-adds × 2 as vkcap's Florence2Vision::flops counts them (same formula)."""
        total, (h, w) = 0.0, image_hw
        for conv, stage in zip(self.convs, self.blocks):
            k, s, p = conv.proj.kernel_size[0], conv.proj.stride[0], conv.proj.padding[0]
            h, w = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            n, d, cin = h * w, conv.proj.out_channels, conv.proj.in_channels
            total += 2 * n * d * cin * k * k
            if not stage:
                continue
            groups = stage[0].channel_block.channel_attn.fn.groups
            windows = math.ceil(h / self.window) * math.ceil(w / self.window)
            area = self.window ** 2
            half_common = 2 * n * d * (d + 8 * d) + 2 * 2 * n * d * 9
            spatial = 2 * windows * area * d * 3 * d + 4 * windows * area * area * d
            channel = 2 * n * d * 3 * d + 4 * n * d * (d / groups)
            total += len(stage) * (2 * half_common + spatial + channel)
        return total, (h, w)


# ------------------------------------------------------------------ BART

class BartAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x, keys_from=None, cache=None, cross=False):
        """Self-attention (keys_from None: K/V of x appended to `cache`) or cross-attention
        (K/V of keys_from, computed when `cache` is None, else reused). Returns (out, (K, V))."""
        q = self.q_proj(x) * (x.shape[-1] // self.heads) ** -0.5
        if cross and cache is not None:
            k, v = cache
        else:
            src = keys_from if cross else x
            k, v = self.k_proj(src), self.v_proj(src)
            if cache is not None:
                k, v = torch.cat([cache[0], k], dim=1), torch.cat([cache[1], v], dim=1)
        return self.out_proj(attention(q, k, v, self.heads)), (k, v)


class EncoderLayer(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.self_attn = BartAttention(dim, heads)
        self.self_attn_layer_norm, self.final_layer_norm = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.fc1, self.fc2 = nn.Linear(dim, ffn), nn.Linear(ffn, dim)

    def forward(self, x):
        x = self.self_attn_layer_norm(x + self.self_attn(x)[0])
        return self.final_layer_norm(x + self.fc2(F.gelu(self.fc1(x))))


class DecoderLayer(EncoderLayer):
    def __init__(self, dim, heads, ffn):
        super().__init__(dim, heads, ffn)
        self.encoder_attn, self.encoder_attn_layer_norm = BartAttention(dim, heads), nn.LayerNorm(dim)

    def forward(self, x, memory, cache):
        a, self_kv = self.self_attn(x, cache=cache[0] if cache else None)
        x = self.self_attn_layer_norm(x + a)
        a, cross_kv = self.encoder_attn(x, memory, cache[1] if cache else None, cross=True)
        x = self.encoder_attn_layer_norm(x + a)
        return self.final_layer_norm(x + self.fc2(F.gelu(self.fc1(x)))), (self_kv, cross_kv)


class Stack(nn.Module):
    def __init__(self, layer, dim, heads, ffn, count, positions):
        super().__init__()
        self.embed_positions = nn.Embedding(positions + 2, dim)  # Florence-2's offset of 2
        self.layernorm_embedding = nn.LayerNorm(dim)
        self.layers = nn.ModuleList(layer(dim, heads, ffn) for _ in range(count))

    def embed(self, x, start):
        return self.layernorm_embedding(x + self.embed_positions(torch.arange(start, start + x.shape[1]) + 2))


class BartModel(nn.Module):
    def __init__(self, tc):
        super().__init__()
        dim, positions = tc.get("d_model", 1024), tc.get("max_position_embeddings", 1024)
        self.shared = nn.Embedding(tc.get("vocab_size", 51289), dim)
        self.encoder = Stack(EncoderLayer, dim, tc.get("encoder_attention_heads", 16), tc.get("encoder_ffn_dim", 4096),
                             tc.get("encoder_layers", 12), positions)
        self.decoder = Stack(DecoderLayer, dim, tc.get("decoder_attention_heads", 16), tc.get("decoder_ffn_dim", 4096),
                             tc.get("decoder_layers", 12), positions)
        self.embed_scale = math.sqrt(dim) if tc.get("scale_embedding", False) else 1.0

    def encoder_flops(self, rows):
        """As vkcap's BartEncoder::flops counts them."""
        layer = self.encoder.layers[0]
        d, m = layer.fc1.in_features, layer.fc1.out_features
        return len(self.encoder.layers) * (2 * rows * d * (4 * d + 2 * m) + 4 * rows * rows * d)


class LanguageModel(nn.Module):
    def __init__(self, tc):
        super().__init__()
        self.model = BartModel(tc)
        self.register_buffer("final_logits_bias", torch.zeros(1, self.model.shared.num_embeddings))


class Florence2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        vc, tc = cfg["vision_config"], cfg["text_config"]
        dim, proj = vc["dim_embed"][-1], vc.get("projection_dim", cfg.get("projection_dim"))
        self.vision_tower = DaViT(vc)
        self.image_projection = nn.Parameter(torch.empty(dim, proj))
        self.image_proj_norm = nn.LayerNorm(proj)
        self.image_pos_embed = nn.Module()
        table = vc["image_pos_embed"]["max_pos_embeddings"]
        self.image_pos_embed.row_embeddings = nn.Embedding(table, dim // 2)
        self.image_pos_embed.column_embeddings = nn.Embedding(table, dim - dim // 2)
        self.visual_temporal_embed = nn.Module()
        self.visual_temporal_embed.register_buffer(
            "pos_idx_to_embed", cosine_table(vc["visual_temporal_embedding"]["max_temporal_embeddings"], dim))
        self.sources = vc["image_feature_source"]
        self.language_model = LanguageModel(tc)

    @property
    def text(self):
        return self.language_model.model

    def project(self, tokens, size):
        """_encode_image after the tower: positions, temporal row 0, pooled rows, projection."""
        (h, w), pe = size, self.image_pos_embed
        pos = torch.cat([pe.column_embeddings(torch.arange(w))[None].expand(h, w, -1),
                         pe.row_embeddings(torch.arange(h))[:, None].expand(h, w, -1)], dim=-1)
        x = tokens + pos.reshape(1, h * w, -1) + self.visual_temporal_embed.pos_idx_to_embed[0]
        pools = {"spatial_avg_pool": x.mean(dim=1, keepdim=True), "temporal_avg_pool": x, "last_frame": x}
        return self.image_proj_norm(torch.cat([pools[s] for s in self.sources], dim=1) @ self.image_projection)

    def vision_flops(self, image_hw):
        """Tower and projection FLOPs for an image size, and the number of feature rows."""
        tower, (h, w) = self.vision_tower.flops(image_hw)
        rows = sum(1 if s == "spatial_avg_pool" else h * w for s in self.sources)
        return tower + 2 * rows * self.image_projection.numel(), rows

    def encode_text(self, features, prompt_ids):
        """BART encoder over [image features ; embedded prompt]."""
        t = self.text
        x = torch.cat([features, t.shared(prompt_ids)], dim=1)  # inputs_embeds: `shared`, unscaled
        x = t.encoder.embed(x, 0)
        for layer in t.encoder.layers:
            x = layer(x)
        return x

    def decode_step(self, ids, memory, caches):
        """One cached decoder step over ids [B, 1] → logits [B, V] and the new caches."""
        t = self.text
        start = caches[0][0][0].shape[1] if caches else 0
        x = t.decoder.embed(t.shared(ids) * t.embed_scale, start)
        new = []
        for i, layer in enumerate(t.decoder.layers):
            x, kv = layer(x, memory, caches[i] if caches else None)
            new.append(kv)
        return F.linear(x[:, -1], t.shared.weight) + self.language_model.final_logits_bias, new


def cosine_table(rows, dim):
    """PositionalEmbeddingCosine1D's buffer: sin on even channels, cos on odd."""
    denominator = torch.exp(-math.log(10000) * torch.arange(0, dim, 2) / dim)
    frequencies = torch.arange(0, rows).reshape(rows, 1) * denominator
    table = torch.zeros(rows, dim)
    table[:, 0::2], table[:, 1::2] = torch.sin(frequencies), torch.cos(frequencies)
    return table


def read_config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        return json.load(f)


def load_pretrained(model_dir):
    """A Microsoft-layout checkpoint (model.safetensors or pytorch_model.bin), fp32, eval mode."""
    import blip_tiny  # its safetensors reader (header JSON + raw little-endian bytes)
    model = Florence2(read_config(model_dir)).eval()
    path = os.path.join(model_dir, "model.safetensors")
    state = blip_tiny.load_safetensors(path) if os.path.exists(path) else \
        torch.load(os.path.join(model_dir, "pytorch_model.bin"), map_location="cpu")
    for tied in ("language_model.lm_head.weight", "language_model.model.encoder.embed_tokens.weight",
                 "language_model.model.decoder.embed_tokens.weight"):
        state.pop(tied, None)
    state = {k: v.float() for k, v in state.items()}
    if "visual_temporal_embed.pos_idx_to_embed" not in state:
        state["visual_temporal_embed.pos_idx_to_embed"] = model.visual_temporal_embed.pos_idx_to_embed
    if "language_model.final_logits_bias" not in state:
        state["language_model.final_logits_bias"] = model.language_model.final_logits_bias
    model.load_state_dict(state, strict=True)
    return model


def random_model(model_dir, seed=0):
    """Full-size geometry from a hub config with transformers-style random weights: N(0, 0.02)
    for every matrix, conv kernel and table; LayerNorms 1 and 0; biases 0."""
    torch.manual_seed(seed)
    model = Florence2(read_config(model_dir)).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)
            elif name.endswith("bias"):
                p.zero_()
    return model
