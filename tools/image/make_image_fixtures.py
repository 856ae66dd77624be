#!/usr/bin/python3
"""Generates tests/fixtures/image/ (run once; the output is committed).

Needs Debian's python3-pil (9.4) and python3-numpy; run with /usr/bin/python3:
    /usr/bin/python3 tools/image/make_image_fixtures.py

(The golden pixel_values tests read the model fixtures in tests/fixtures/<fixture>/ directly.)

Writes:
  formats/                 one small file per supported format/variant, plus formats.json and
                           <name>.rgb: the RGB bytes Pillow gives for it after
                           ImageOps.exif_transpose(...).convert("RGB")
  resize/cases.json+.bin   source images and Image.resize results for awkward sizes, all filters
"""
import json, os, struct, zlib
import numpy as np
from PIL import Image, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures", "image")


def scene(w, h, seed=0):
    """Gradients, a disc and a bar: every orientation and channel mix-up shows."""
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 // max(w - 1, 1))
    g = (y * 255 // max(h - 1, 1))
    b = ((x + 2 * y + seed * 37) * 7) % 256
    disc = (x - w // 3) ** 2 + (y - h // 3) ** 2 < (min(w, h) // 4) ** 2
    r = np.where(disc, 250, r); g = np.where(disc, 30, g)
    bar = (x > 2 * w // 3) & (y > h // 2)
    b = np.where(bar, 10, b)
    return np.stack([r, g, b], -1).astype(np.uint8)


def png_16bit(path, color_type, samples):
    h, w = samples.shape[:2]
    raw = b"".join(b"\x00" + samples[y].astype(">u2").tobytes() for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
                           chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def exif_with_orientation(value):
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def formats():
    d = os.path.join(OUT, "formats")
    os.makedirs(d, exist_ok=True)
    W, H = 13, 7
    rgb = Image.fromarray(scene(W, H))
    big = Image.fromarray(scene(40, 24))  # JPEG needs a few 8x8 blocks to be interesting
    entries = []

    def add(name, note, expected=None):
        path = os.path.join(d, name)
        if expected is None:
            expected = np.array(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
        expected.tofile(os.path.join(d, name + ".rgb"))
        entries.append({"file": name, "width": int(expected.shape[1]), "height": int(expected.shape[0]),
                        "exact": not name.endswith(".jpg"), "note": note})

    rgb.save(os.path.join(d, "rgb8.png")); add("rgb8.png", "PNG 8-bit RGB")
    a = rgb.copy(); a.putalpha(Image.fromarray((np.arange(W * H).reshape(H, W) * 3 % 256).astype(np.uint8)))
    a.save(os.path.join(d, "rgba8.png")); add("rgba8.png", "PNG 8-bit RGBA: alpha dropped, not composited")
    rgb.convert("L").save(os.path.join(d, "gray8.png")); add("gray8.png", "PNG 8-bit gray")
    la = rgb.convert("LA"); la.putalpha(40)
    la.save(os.path.join(d, "gray_alpha8.png")); add("gray_alpha8.png", "PNG gray + alpha")
    rgb.convert("1").save(os.path.join(d, "gray1.png")); add("gray1.png", "PNG 1-bit")
    pal = rgb.quantize(colors=16)
    pal.save(os.path.join(d, "palette.png")); add("palette.png", "PNG palette")
    pal.save(os.path.join(d, "palette_trns.png"), transparency=3)
    add("palette_trns.png", "PNG palette with tRNS: transparent index keeps its colour")
    s16 = scene(W, H).astype(np.uint16) * 257 + np.arange(W * H * 3).reshape(H, W, 3).astype(np.uint16) % 200
    png_16bit(os.path.join(d, "rgb16.png"), 2, s16)
    add("rgb16.png", "PNG 16-bit RGB: high byte, as Pillow")
    g16 = s16[..., 1]
    png_16bit(os.path.join(d, "gray16.png"), 0, g16)
    add("gray16.png", "PNG 16-bit gray: high byte (Pillow 9.4 would clip mode I to 255; documented)",
        expected=np.repeat((g16 >> 8).astype(np.uint8)[..., None], 3, -1))
    rgb.save(os.path.join(d, "exif6.png"), exif=exif_with_orientation(6))
    add("exif6.png", "PNG eXIf orientation 6")

    big.save(os.path.join(d, "baseline.jpg"), quality=92); add("baseline.jpg", "JPEG baseline 4:2:0")
    big.save(os.path.join(d, "progressive.jpg"), quality=92, progressive=True)
    add("progressive.jpg", "JPEG progressive")
    big.convert("L").save(os.path.join(d, "gray.jpg"), quality=92); add("gray.jpg", "JPEG grayscale")
    for o in (3, 6, 8):
        big.save(os.path.join(d, f"exif{o}.jpg"), quality=92, exif=exif_with_orientation(o))
        add(f"exif{o}.jpg", f"JPEG with EXIF orientation {o}")

    rgb.save(os.path.join(d, "rgb24.bmp")); add("rgb24.bmp", "BMP 24-bit")
    pal.save(os.path.join(d, "palette8.bmp")); add("palette8.bmp", "BMP 8-bit palette")
    pal.save(os.path.join(d, "still.gif")); add("still.gif", "GIF")
    frames = [pal, rgb.transpose(Image.Transpose.ROTATE_180).quantize(colors=16)]
    frames[0].save(os.path.join(d, "animated.gif"), save_all=True, append_images=frames[1:], duration=50)
    add("animated.gif", "animated GIF: first frame")
    json.dump(entries, open(os.path.join(d, "formats.json"), "w"), indent=1)


def resize_cases():
    d = os.path.join(OUT, "resize")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(20240501)
    sources = [(1, 1), (7, 5), (13, 17), (31, 23)]
    targets = [(1, 1), (3, 2), (5, 7), (17, 11), (29, 23), (40, 3)]
    blob, cases, srcs = bytearray(), [], []
    for si, (w, h) in enumerate(sources):
        # Half noise, half structure: noise exercises every weight, structure the clipping.
        arr = np.where(rng.random((h, w, 1)) < 0.5, rng.integers(0, 256, (h, w, 3)), scene(w, h, si)).astype(np.uint8)
        srcs.append({"width": w, "height": h, "offset": len(blob)})
        blob += arr.tobytes()
        im = Image.fromarray(arr)
        for tw, th in targets:
            for f in range(6):
                out = np.array(im.resize((tw, th), resample=f, reducing_gap=None))
                cases.append({"source": si, "width": tw, "height": th, "resample": f, "offset": len(blob)})
                blob += out.tobytes()
    json.dump({"generator": "Pillow " + Image.__version__ + " Image.resize(reducing_gap=None)",
               "sources": srcs, "cases": cases}, open(os.path.join(d, "cases.json"), "w"), indent=0)
    open(os.path.join(d, "cases.bin"), "wb").write(bytes(blob))


if __name__ == "__main__":
    formats()
    resize_cases()
