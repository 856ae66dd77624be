#!/usr/bin/python3
"""A from-scratch PyTorch BlipForConditionalGeneration (transformers 4.40.2 layout).

Parameter names equal Hugging Face's state-dict keys, so a state dict saved from here
loads into transformers and into vkcap unchanged (docs/parity.md, "The networks"):
  vision: pre-LN ViT, fused qkv, scores * head_dim**-0.5, erf GELU, LN eps 1e-5,
          post_layernorm on all tokens -> image_embeds;
  text:   BERT post-LN decoder, LN(word + pos) (no token types), causal self-attention
          with additive (1 - mask) * -10000, cross-attention to image_embeds in every
          layer, LN eps 1e-12, head logits = W_dec . LN(gelu(W_t h + b_t)) + bias (untied).
Also: a minimal safetensors reader/writer and HF-style greedy captioning.
"""
import json
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------- safetensors


_DTYPES = {"F32": (np.float32, torch.float32), "F16": (np.float16, torch.float16),
           "F64": (np.float64, torch.float64), "I64": (np.int64, torch.int64)}


def load_safetensors(path):
    """{name: torch tensor}: 8-byte LE header length, JSON header, raw LE data."""
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        npdt = _DTYPES[info["dtype"]][0]
        a, b = info["data_offsets"]
        arr = np.frombuffer(blob[base + a:base + b], dtype=np.dtype(npdt).newbyteorder("<"))
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


def save_safetensors(tensors, path, metadata=None):
    """Writes tensors (sorted by name, like safetensors does) with 8-byte aligned header."""
    names = sorted(tensors)
    header, chunks, off = {}, [], 0
    rev = {v[1]: k for k, v in _DTYPES.items()}
    for name in names:
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": rev[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(data)]}
        chunks.append(data)
        off += len(data)
    header["__metadata__"] = metadata or {"format": "pt"}
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for c in chunks:
            f.write(c)


# ---------------------------------------------------------------- vision


class VisionEmbeddings(nn.Module):
    def __init__(self, D, image_size, patch):
        super().__init__()
        n = (image_size // patch) ** 2
        self.class_embedding = nn.Parameter(torch.randn(1, 1, D) * 0.02)
        self.patch_embedding = nn.Conv2d(3, D, patch, stride=patch)
        self.position_embedding = nn.Parameter(torch.randn(1, n + 1, D) * 0.02)

    def forward(self, pixels):
        p = self.patch_embedding(pixels).flatten(2).transpose(1, 2)  # row-major patches
        cls = self.class_embedding.expand(p.shape[0], 1, -1)
        h = torch.cat([cls, p], dim=1)
        return h + self.position_embedding[:, :h.shape[1]]


class VisionAttention(nn.Module):
    def __init__(self, D, H):
        super().__init__()
        self.H = H
        self.qkv = nn.Linear(D, 3 * D)
        self.projection = nn.Linear(D, D)

    def forward(self, x):
        B, S, D = x.shape
        qkv = self.qkv(x).reshape(B, S, 3, self.H, D // self.H).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(q, k.transpose(-1, -2)) * (D // self.H) ** -0.5
        ctx = torch.matmul(scores.softmax(-1), v).permute(0, 2, 1, 3).reshape(B, S, D)
        return self.projection(ctx)


class VisionMlp(nn.Module):
    def __init__(self, D, I):
        super().__init__()
        self.fc1 = nn.Linear(D, I)
        self.fc2 = nn.Linear(I, D)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class VisionLayer(nn.Module):
    def __init__(self, D, H, I, eps):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(D, eps=eps)
        self.self_attn = VisionAttention(D, H)
        self.layer_norm2 = nn.LayerNorm(D, eps=eps)
        self.mlp = VisionMlp(D, I)

    def forward(self, h):
        h = h + self.self_attn(self.layer_norm1(h))
        return h + self.mlp(self.layer_norm2(h))


class VisionEncoder(nn.Module):
    def __init__(self, D, H, I, L, eps):
        super().__init__()
        self.layers = nn.ModuleList([VisionLayer(D, H, I, eps) for _ in range(L)])


class VisionModel(nn.Module):
    def __init__(self, vc):
        super().__init__()
        D, eps = vc["hidden_size"], vc.get("layer_norm_eps", 1e-5)
        self.embeddings = VisionEmbeddings(D, vc["image_size"], vc["patch_size"])
        self.encoder = VisionEncoder(D, vc["num_attention_heads"], vc["intermediate_size"],
                                     vc["num_hidden_layers"], eps)
        self.post_layernorm = nn.LayerNorm(D, eps=eps)

    def forward(self, pixels):
        h = self.embeddings(pixels)
        for layer in self.encoder.layers:
            h = layer(h)
        return self.post_layernorm(h)


# ---------------------------------------------------------------- text decoder


class TextEmbeddings(nn.Module):
    def __init__(self, V, T, Lmax, eps):
        super().__init__()
        self.word_embeddings = nn.Embedding(V, T, padding_idx=0)
        self.position_embeddings = nn.Embedding(Lmax, T)
        self.LayerNorm = nn.LayerNorm(T, eps=eps)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        return self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos)[None])


class TextSelfAttention(nn.Module):
    def __init__(self, T, E, H):
        super().__init__()
        self.H = H
        self.query = nn.Linear(T, T)
        self.key = nn.Linear(E, T)
        self.value = nn.Linear(E, T)

    def split(self, x):
        B, S, T = x.shape
        return x.reshape(B, S, self.H, T // self.H).permute(0, 2, 1, 3)

    def forward(self, x, context, additive_mask, keep_probs=None):
        q, k, v = self.split(self.query(x)), self.split(self.key(context)), self.split(self.value(context))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        if additive_mask is not None:
            scores = scores + additive_mask
        probs = scores.softmax(-1)
        if keep_probs is not None:
            keep_probs.append(probs)
        B, _, S, _ = q.shape
        return torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(B, S, -1)


class DenseLN(nn.Module):
    """BERT's *Output blocks: LN(residual + dense(x))."""
    def __init__(self, fan_in, T, eps):
        super().__init__()
        self.dense = nn.Linear(fan_in, T)
        self.LayerNorm = nn.LayerNorm(T, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(residual + self.dense(x))


class TextAttention(nn.Module):
    def __init__(self, T, E, H, eps):
        super().__init__()
        self.self = TextSelfAttention(T, E, H)
        self.output = DenseLN(T, T, eps)


class Intermediate(nn.Module):
    def __init__(self, T, I):
        super().__init__()
        self.dense = nn.Linear(T, I)


class TextLayer(nn.Module):
    def __init__(self, T, E, H, I, eps):
        super().__init__()
        self.attention = TextAttention(T, T, H, eps)
        self.crossattention = TextAttention(T, E, H, eps)
        self.intermediate = Intermediate(T, I)
        self.output = DenseLN(I, T, eps)

    def forward(self, x, image, causal, keep=None):
        a = self.attention.output(self.attention.self(x, x, causal), x)
        c = self.crossattention.output(self.crossattention.self(a, image, None, keep), a)
        return self.output(F.gelu(self.intermediate.dense(c)), c)


class TextEncoder(nn.Module):
    def __init__(self, T, E, H, I, L, eps):
        super().__init__()
        self.layer = nn.ModuleList([TextLayer(T, E, H, I, eps) for _ in range(L)])


class Bert(nn.Module):
    def __init__(self, tc):
        super().__init__()
        T, eps = tc["hidden_size"], tc.get("layer_norm_eps", 1e-12)
        self.embeddings = TextEmbeddings(tc["vocab_size"], T, tc["max_position_embeddings"], eps)
        self.encoder = TextEncoder(T, tc["encoder_hidden_size"], tc["num_attention_heads"],
                                   tc["intermediate_size"], tc["num_hidden_layers"], eps)


class Transform(nn.Module):
    def __init__(self, T, eps):
        super().__init__()
        self.dense = nn.Linear(T, T)
        self.LayerNorm = nn.LayerNorm(T, eps=eps)


class Predictions(nn.Module):
    def __init__(self, T, V, eps):
        super().__init__()
        self.transform = Transform(T, eps)
        self.decoder = nn.Linear(T, V, bias=False)  # HF's decoder.bias *is* predictions.bias
        self.bias = nn.Parameter(torch.zeros(V))

    def forward(self, h):
        t = self.transform.LayerNorm(F.gelu(self.transform.dense(h)))
        return self.decoder(t) + self.bias


class Cls(nn.Module):
    def __init__(self, T, V, eps):
        super().__init__()
        self.predictions = Predictions(T, V, eps)


class TextDecoder(nn.Module):
    def __init__(self, tc):
        super().__init__()
        self.bert = Bert(tc)
        self.cls = Cls(tc["hidden_size"], tc["vocab_size"], tc.get("layer_norm_eps", 1e-12))

    def forward(self, ids, image, keep=None):
        S = ids.shape[1]
        mask = torch.tril(torch.ones(S, S, device=ids.device))
        causal = ((1.0 - mask) * -10000.0)[None, None]
        h = self.bert.embeddings(ids)
        for layer in self.bert.encoder.layer:
            h = layer(h, image, causal, keep)
        return self.cls.predictions(h)


# transformers 4.40.2 BlipVisionConfig / BlipTextConfig defaults (for configs that omit keys)
VISION_DEFAULTS = {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
                   "num_attention_heads": 12, "image_size": 384, "patch_size": 16,
                   "layer_norm_eps": 1e-5}
TEXT_DEFAULTS = {"vocab_size": 30524, "hidden_size": 768, "encoder_hidden_size": 768,
                 "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 8,
                 "max_position_embeddings": 512, "layer_norm_eps": 1e-12,
                 "bos_token_id": 30522, "sep_token_id": 102, "pad_token_id": 0}


class BlipForConditionalGeneration(nn.Module):
    def __init__(self, config):
        super().__init__()
        config = dict(config)
        config["vision_config"] = dict(VISION_DEFAULTS, **config.get("vision_config", {}))
        config["text_config"] = dict(TEXT_DEFAULTS, **config.get("text_config", {}))
        self.config = config
        self.vision_model = VisionModel(config["vision_config"])
        self.text_decoder = TextDecoder(config["text_config"])

    def forward(self, pixels, ids):
        return self.text_decoder(ids, self.vision_model(pixels))

    @torch.no_grad()
    def greedy(self, pixels, max_length=20, return_first_logits=False):
        """HF greedy captioning: start [DEC] (= bos), argmax, stop after [SEP] or at
        max_length tokens counting [DEC]. Batched; returns lists including [DEC] and [SEP]."""
        tc = self.config["text_config"]
        bos, sep = tc["bos_token_id"], tc["sep_token_id"]
        image = self.vision_model(pixels)
        B = pixels.shape[0]
        ids = torch.full((B, 1), bos, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        first = None
        while ids.shape[1] < max_length and not bool(done.all()):
            logits = self.text_decoder(ids, image)[:, -1]
            if first is None:
                first = logits.clone()
            nxt = logits.argmax(-1)
            nxt = torch.where(done, torch.zeros_like(nxt), nxt)  # pad finished rows
            ids = torch.cat([ids, nxt[:, None]], dim=1)
            done |= nxt == sep
        out = []
        for row in ids.tolist():
            seq = [row[0]]
            for t in row[1:]:
                seq.append(t)
                if t == sep:
                    break
            out.append(seq)
        return (out, first) if return_first_logits else out


def load_pretrained(directory):
    with open(f"{directory}/config.json") as f:
        config = json.load(f)
    model = BlipForConditionalGeneration(config)
    sd = load_safetensors(f"{directory}/model.safetensors")
    sd = {k: v.float() for k, v in sd.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if missing or unexpected:
        raise RuntimeError(f"{directory}/model.safetensors: missing {missing}, unexpected {unexpected}")
    model.eval()
    return model
