#!/usr/bin/python3
"""Writes the PyTorch-checkpoint test fixtures in tests/fixtures/formats/.

Run with Debian's python3 + python3-torch (apt-get install python3-torch):
    /usr/bin/python3 tools/make_torch_fixtures.py [tests/fixtures]

Outputs (all small):
  formats/state_dtypes.bin       fp32 / fp16 / bf16 / int64 tensors, a scalar, an empty tensor,
                                 a Parameter, an OrderedDict carrying _metadata
  formats/state_views.bin        a transposed (non-contiguous) tensor, two tensors sharing one
                                 storage, a view with a storage offset, a strided slice
  formats/state_wrapped.bin      {"state_dict": {...}, "epoch": 3} as training scripts save it
  formats/blip_tiny_a_pytorch_model.bin
                                 blip_tiny_a/model.safetensors re-saved with torch.save
                                 (read with the small safetensors reader below, not the
                                 `safetensors` package)
  formats/zip64_state.bin        state_dtypes' entries re-packed with zip64 records everywhere
  formats/deflated_state.bin     state_dtypes' entries re-packed with deflate compression
  formats/evil_system.bin        a torch-style zip whose data.pkl calls os.system
Tensor values are simple formulas the C++ tests recompute (see test_formats_torch.cpp).
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile
import zlib

import numpy as np
import torch


def read_safetensors(path):
    """Minimal safetensors reader: u64 header length, JSON header, raw little-endian data."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = collections.OrderedDict()
    for name in sorted(header):
        if name == "__metadata__":
            continue
        entry = header[name]
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


def state_dtypes():
    sd = collections.OrderedDict()
    sd["f32"] = (torch.arange(24, dtype=torch.float32) * 0.25 - 3).reshape(2, 3, 4)
    sd["f16"] = (torch.arange(6, dtype=torch.float32) * 0.5 - 1).reshape(3, 2).half()
    sd["bf16"] = (torch.arange(5, dtype=torch.float32) * 1.5 + 0.125).bfloat16()
    sd["i64"] = torch.arange(7, dtype=torch.int64) - 3
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 4)
    sd["param"] = torch.nn.Parameter(torch.full((2, 2), 7.0))
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("layer", {"version": 2})])
    return sd


def state_views():
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)  # value = 4*row + col
    sd = collections.OrderedDict()
    sd["base"] = base
    sd["transposed"] = base.t()            # [4,3], stride (1,4)
    sd["row1"] = base[1]                   # shares base's storage, offset 4
    sd["col2"] = base[:, 2]                # [3], stride 4, offset 2
    sd["every_other"] = base[::2, 1::2]    # [2,2], stride (8,2), offset 1
    return sd


def write_stored_zip64(path, entries):
    """A stored zip where every size and offset goes through zip64 records."""
    out = io.BytesIO()
    central = []
    for name, data in entries:
        name_b = name.encode()
        offset = out.tell()
        crc = zlib.crc32(data) & 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc,
                              0xFFFFFFFF, 0xFFFFFFFF, len(name_b), len(extra)))
        out.write(name_b + extra + data)
        central.append((name_b, crc, len(data), offset))
    cd_start = out.tell()
    for name_b, crc, size, offset in central:
        extra = struct.pack("<HHQQQ", 1, 24, size, size, offset)
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc,
                              0xFFFFFFFF, 0xFFFFFFFF, len(name_b), len(extra), 0, 0, 0, 0,
                              0xFFFFFFFF))
        out.write(name_b + extra)
    cd_size = out.tell() - cd_start
    z64 = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0,
                          len(central), len(central), cd_size, cd_start))
    out.write(struct.pack("<IIQI", 0x07064B50, 0, z64, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF,
                          0xFFFFFFFF, 0xFFFFFFFF, 0))
    with open(path, "wb") as f:
        f.write(out.getvalue())


def repack(src, dst, compression):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))


class System:
    def __reduce__(self):
        return (os.system, ("echo vkcap-fixture-should-never-run",))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    out = os.path.join(root, "formats")
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)

    torch.save(state_dtypes(), p("state_dtypes.bin"))
    torch.save(state_views(), p("state_views.bin"))
    torch.save({"state_dict": collections.OrderedDict(w=torch.ones(3)), "epoch": 3}, p("state_wrapped.bin"))

    blip = read_safetensors(os.path.join(root, "blip_tiny_a", "model.safetensors"))
    torch.save(blip, p("blip_tiny_a_pytorch_model.bin"))

    with zipfile.ZipFile(p("state_dtypes.bin")) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    write_stored_zip64(p("zip64_state.bin"), entries)
    repack(p("state_dtypes.bin"), p("deflated_state.bin"), zipfile.ZIP_DEFLATED)

    with zipfile.ZipFile(p("evil_system.bin"), "w") as z:
        z.writestr("evil_system/data.pkl", pickle.dumps(collections.OrderedDict(x=System()), protocol=2))
        z.writestr("evil_system/version", "3\n")

    # Sanity: torch reads back what it wrote (never load evil_system.bin).
    for name in ("state_dtypes.bin", "state_views.bin", "zip64_state.bin"):
        torch.load(p(name))
    back = torch.load(p("blip_tiny_a_pytorch_model.bin"))
    assert all(torch.equal(back[k], blip[k]) for k in blip)
    print("wrote", sorted(os.listdir(out)))


if __name__ == "__main__":
    main()
