#!/usr/bin/python3
"""Makes the WebP, TIFF, HEIF and AVIF fixtures in tests/fixtures/image/formats/ with Debian's
own encoders (run once; the output is committed), and writes codecs.json describing them.

Needs (dev tools only, not project dependencies):
    apt-get install webp libtiff-tools libheif-examples imagemagick python3-pil python3-numpy
    /usr/bin/python3 tools/image/make_codec_fixtures.py

Tools and versions used for the committed files (bookworm): cwebp/img2webp/webpmux 1.2.4,
tiffcp/tiffset 4.5.0, ImageMagick 6.9.11 (`convert`, for 16-bit, alpha, palette, 1-bit and
float TIFFs), heif-enc 1.15.1 (x265 for HEIC, aom for AVIF). The pictures themselves are drawn
with numpy and saved as PNG by Pillow, so every file has "a PNG of the same picture".

For every file codecs.json gives the picture decode_image must return (<file>.rgb: the source
picture, alpha dropped, 16-bit reduced to the high byte, turned as its orientation says) and the
largest difference allowed from it: 0 for lossless files, a stated max/mean for lossy ones
(the measured difference is printed and stored as "measured"). Pillow 9.4 reads WebP and TIFF
too: the script records how far Pillow's ImageOps.exif_transpose(...).convert("RGB") is from
the picture ("pillow"), and for the lossy WebP and JPEG-in-TIFF files stores Pillow's decode as
<file>.pillow.rgb, which decode_image must equal exactly (same libwebp/libjpeg). Pillow 9.4
differs on purpose in two places: it clips 16-bit gray to 255, and it turns a TIFF with an
Orientation tag twice (its libtiff loader applies the tag, then exif_transpose again).

One file is edited after encoding: irot90.heic is photo.heic with an `irot` (rotate 90 degrees
anti-clockwise) property added to its primary item, since heif-enc 1.15 cannot write one; the
edit (add_irot below) moves the item data and fixes the box sizes and iloc offsets.
"""
import json, os, shutil, struct, subprocess, sys, tempfile
import numpy as np
from PIL import Image, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures", "image", "formats")
CONVERT = "/usr/bin/convert"  # ImageMagick itself (some machines put a stand-in first on PATH)


def scene(w, h, seed=0):
    """The same picture as make_image_fixtures.py: gradients, a disc, a bar."""
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 // max(w - 1, 1))
    g = (y * 255 // max(h - 1, 1))
    b = ((x + 2 * y + seed * 37) * 7) % 256
    disc = (x - w // 3) ** 2 + (y - h // 3) ** 2 < (min(w, h) // 4) ** 2
    r = np.where(disc, 250, r); g = np.where(disc, 30, g)
    bar = (x > 2 * w // 3) & (y > h // 2)
    b = np.where(bar, 10, b)
    return np.stack([r, g, b], -1).astype(np.uint8)


def smooth(w, h):
    """For the lossy codecs: soft gradients and a soft-edged disc, as in a photo (a hard-edged
    red disc on 4:2:0 chroma is a test of the encoder, not of the decoder)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    d = np.sqrt((x - w / 3) ** 2 + (y - h / 3) ** 2) / (min(w, h) / 3)
    disc = np.clip(1.5 - d, 0, 1)
    r = 40 + 160 * x / (w - 1) * (1 - disc) + 230 * disc
    g = 30 + 190 * y / (h - 1) * (1 - disc) + 60 * disc
    b = 200 - 120 * (x + y) / (w + h) + 0 * disc
    return np.clip(np.stack([r, g, b], -1), 0, 255).round().astype(np.uint8)


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def orient(a, o):
    """PIL.ImageOps.exif_transpose on an array (rows, cols, 3)."""
    return {1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
            5: lambda a: a.transpose(1, 0, 2), 6: lambda a: np.rot90(a, -1),
            7: lambda a: a[::-1, ::-1].transpose(1, 0, 2), 8: lambda a: np.rot90(a, 1)}[o](a)


def exif_orientation_blob(value, prefix=b""):
    exif = Image.Exif()
    exif[0x0112] = value
    data = exif.tobytes()  # "Exif\0\0" + TIFF structure
    return prefix + data[6:]


# --- HEIF box surgery: add an irot property to the primary item --------------------------------

def boxes(data, start, end):
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]; header = 16
        elif size == 0:
            size = end - at
        yield kind.decode("latin1"), at, header, size
        at += size


def add_irot(heic, quarter_turns):
    data = bytearray(heic)
    top = {k: (at, h, s) for k, at, h, s in boxes(data, 0, len(data))}
    meta_at, meta_h, meta_size = top["meta"]
    children = {k: (at, h, s) for k, at, h, s in boxes(data, meta_at + meta_h + 4, meta_at + meta_size)}
    pitm_at = children["pitm"][0] + 8
    pitm_version = data[pitm_at]
    primary = struct.unpack(">H" if pitm_version == 0 else ">I", data[pitm_at + 4:pitm_at + 4 + (2 if pitm_version == 0 else 4)])[0]
    iprp_at, iprp_h, iprp_size = children["iprp"]
    props = {k: (at, h, s) for k, at, h, s in boxes(data, iprp_at + iprp_h, iprp_at + iprp_size)}
    ipco_at, ipco_h, ipco_size = props["ipco"]
    ipma_at, ipma_h, ipma_size = props["ipma"]
    index = 1 + sum(1 for _ in boxes(data, ipco_at + ipco_h, ipco_at + ipco_size))
    irot = struct.pack(">I4sB", 9, b"irot", quarter_turns & 3)
    # ipma: version/flags, entry_count, then per item: id, count, associations.
    version, flags = data[ipma_at + 8], int.from_bytes(data[ipma_at + 9:ipma_at + 12], "big")
    id_size, assoc_size = (2 if version < 1 else 4), (2 if flags & 1 else 1)
    at = ipma_at + 12
    count = struct.unpack(">I", data[at:at + 4])[0]; at += 4
    insert_at = None
    for _ in range(count):
        item = int.from_bytes(data[at:at + id_size], "big"); at += id_size
        n = data[at]
        if item == primary:
            assert n < 255 and (index < 128 or assoc_size == 2)
            data[at] = n + 1
            insert_at = at + 1 + n * assoc_size
        at += 1 + n * assoc_size
    assert insert_at is not None, "primary item has no ipma entry"
    association = bytes([0x80 | index]) if assoc_size == 1 else struct.pack(">H", 0x8000 | index)
    # Insert the association first (it is later in the file than ipco), then the irot box.
    data[insert_at:insert_at] = association
    data[ipco_at + ipco_size:ipco_at + ipco_size] = irot
    grow = len(association) + len(irot)

    def bump(box_at, by):
        struct.pack_into(">I", data, box_at, struct.unpack(">I", data[box_at:box_at + 4])[0] + by)
    ipma_at += len(irot)
    bump(ipco_at, len(irot)); bump(ipma_at, len(association)); bump(iprp_at, grow); bump(meta_at, grow)
    # iloc: item data after meta moves by `grow`.
    iloc_at = children["iloc"][0] + 8
    if iloc_at > iprp_at:
        iloc_at += grow
    v = data[iloc_at]
    at = iloc_at + 4
    offset_size, length_size = data[at] >> 4, data[at] & 15
    base_size, index_size = data[at + 1] >> 4, (data[at + 1] & 15) if v in (1, 2) else 0
    at += 2
    items = struct.unpack(">H" if v < 2 else ">I", data[at:at + (2 if v < 2 else 4)])[0]
    at += 2 if v < 2 else 4

    def shift(field_at, size):
        if size == 0:
            return
        value = int.from_bytes(data[field_at:field_at + size], "big")
        if value >= meta_at + meta_size:  # data after the old end of meta
            data[field_at:field_at + size] = (value + grow).to_bytes(size, "big")
    for _ in range(items):
        at += 2 if v < 2 else 4  # item id
        method = 0
        if v in (1, 2):
            method = int.from_bytes(data[at:at + 2], "big") & 15; at += 2
        at += 2  # data reference index
        base_at = at; at += base_size
        extents = int.from_bytes(data[at:at + 2], "big"); at += 2
        base = int.from_bytes(data[base_at:base_at + base_size], "big") if base_size else 0
        if method == 0 and base_size and base:
            shift(base_at, base_size)
        for _ in range(extents):
            at += index_size
            if method == 0 and not base:
                shift(at, offset_size)
            at += offset_size + length_size
    return bytes(data)


# --- the fixtures --------------------------------------------------------------------------------

def main():
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp()
    t = lambda name: os.path.join(tmp, name)
    o = lambda name: os.path.join(OUT, name)
    entries = []

    def add(name, expected, note, max_diff=0, mean_diff=0.0, pillow=True):
        expected = np.ascontiguousarray(expected)
        expected.tofile(o(name + ".rgb"))
        entry = {"file": name, "width": int(expected.shape[1]), "height": int(expected.shape[0]),
                 "max_diff": max_diff, "mean_diff": mean_diff, "note": note}
        if pillow:
            try:
                got = np.array(ImageOps.exif_transpose(Image.open(o(name))).convert("RGB")).astype(int)
                d = np.abs(got - expected.astype(int)) if got.shape == expected.shape else None
                entry["pillow"] = "same size, max %d mean %.2f" % (d.max(), d.mean()) if d is not None else "size %s" % (got.shape,)
                if max_diff and d is not None:
                    # Lossy: Pillow's own decode (the same libwebp / libjpeg), which ours must equal.
                    got.astype(np.uint8).tofile(o(name + ".pillow.rgb"))
                    entry["pillow_rgb"] = name + ".pillow.rgb"
            except Exception as e:  # noqa: BLE001 - recorded, not fatal
                entry["pillow"] = "cannot read: %s" % e
        entries.append(entry)

    def measure(name, expected):
        """For lossy files: the difference of what Pillow (WebP) or heif-convert decodes."""
        if name.endswith((".heic", ".avif")):
            run("heif-convert", o(name), t("decoded.png"))
            got = np.array(Image.open(t("decoded.png")).convert("RGB"))
        else:
            got = np.array(ImageOps.exif_transpose(Image.open(o(name))).convert("RGB"))
        d = np.abs(got.astype(int) - expected.astype(int))
        return int(d.max()), float(d.mean())

    W, H = 13, 7
    small = scene(W, H)
    Image.fromarray(small).save(t("small.png"))
    alpha = (np.arange(W * H).reshape(H, W) * 3 % 256).astype(np.uint8)
    Image.fromarray(np.dstack([small, alpha])).save(t("small_rgba.png"))
    photo = smooth(40, 24)
    Image.fromarray(photo).save(o("photo.png"))  # the PNG of the lossy files' picture
    add("photo.png", photo, "PNG of the lossy WebP/HEIF/AVIF fixtures' picture")
    Image.fromarray(photo).save(t("photo.png"))
    Image.fromarray(np.dstack([photo, (np.arange(40 * 24).reshape(24, 40) * 5 % 256).astype(np.uint8)])).save(t("photo_rgba.png"))

    # WebP. Lossy tolerance: the encoder's error on this picture at -q 90 (measured, printed).
    run("cwebp", "-quiet", "-lossless", "-exact", t("small.png"), "-o", o("lossless.webp"))
    add("lossless.webp", small, "WebP lossless (VP8L)")
    run("cwebp", "-quiet", "-lossless", "-exact", t("small_rgba.png"), "-o", o("alpha.webp"))
    add("alpha.webp", small, "WebP lossless with alpha: alpha dropped, colours as stored (cwebp -exact)")
    run("cwebp", "-quiet", "-q", "90", "-sharp_yuv", t("photo.png"), "-o", o("lossy.webp"))
    add("lossy.webp", photo, "WebP lossy (VP8), -q 90", 24, 3.0)
    run("cwebp", "-quiet", "-q", "90", "-sharp_yuv", "-alpha_q", "100", "-exact", t("photo_rgba.png"), "-o", o("lossy_alpha.webp"))
    add("lossy_alpha.webp", photo, "WebP lossy with an alpha chunk (VP8X + ALPH + VP8): alpha dropped (cwebp -exact)", 24, 3.0)
    open(t("exif6.bin"), "wb").write(exif_orientation_blob(6))
    run("webpmux", "-set", "exif", t("exif6.bin"), o("lossless.webp"), "-o", o("exif6.webp"))
    add("exif6.webp", orient(small, 6), "WebP lossless with an EXIF chunk, orientation 6 (webpmux)")
    open(t("exif3.bin"), "wb").write(exif_orientation_blob(3, prefix=b"Exif\0\0"))
    run("webpmux", "-set", "exif", t("exif3.bin"), o("lossless.webp"), "-o", o("exif3_prefixed.webp"))
    add("exif3_prefixed.webp", orient(small, 3), 'WebP EXIF chunk starting "Exif\\0\\0" (some writers add it), orientation 3')
    Image.fromarray(small[::-1, ::-1].copy()).save(t("small_180.png"))
    run("img2webp", "-lossless", t("small.png"), t("small_180.png"), "-o", o("animated.webp"))
    add("animated.webp", small, "animated WebP (img2webp, 2 frames): the first frame")

    # TIFF.
    run(CONVERT, t("small.png"), "-compress", "LZW", o("rgb8.tif"))
    add("rgb8.tif", small, "TIFF 8-bit RGB, LZW")
    run(CONVERT, t("small_rgba.png"), "-compress", "None", o("rgba8.tif"))
    add("rgba8.tif", small, "TIFF 8-bit RGBA (unassociated alpha): alpha dropped, not composited")
    s16 = small.astype(np.uint16) * 257 + np.arange(W * H * 3).reshape(H, W, 3).astype(np.uint16) % 200
    # 16-bit samples go through a raw 16-bit PNG (Pillow cannot write 16-bit RGB) into convert.
    shutil.copy(os.path.join(OUT, "rgb16.png"), t("rgb16.png"))
    shutil.copy(os.path.join(OUT, "gray16.png"), t("gray16.png"))
    expected16 = np.fromfile(os.path.join(OUT, "rgb16.png.rgb"), np.uint8).reshape(H, W, 3)
    run(CONVERT, t("rgb16.png"), "-depth", "16", "-compress", "Zip", o("rgb16.tif"))
    add("rgb16.tif", expected16, "TIFF 16-bit RGB, Deflate: high byte (v >> 8), as Pillow")
    expected_g16 = np.fromfile(os.path.join(OUT, "gray16.png.rgb"), np.uint8).reshape(H, W, 3)
    run(CONVERT, t("gray16.png"), "-depth", "16", "-compress", "None", o("gray16.tif"))
    add("gray16.tif", expected_g16, "TIFF 16-bit gray: high byte (Pillow 9.4 clips mode I;16 to 255; documented)")
    run(CONVERT, t("small.png"), "-colorspace", "Gray", "-depth", "8", o("gray8.tif"))
    gray = np.array(Image.open(o("gray8.tif")).convert("RGB"))  # ImageMagick's own gray conversion
    add("gray8.tif", gray, "TIFF 8-bit gray (the expected values are the file's samples, read by Pillow)")
    run(CONVERT, t("small.png"), "-colors", "16", "-type", "Palette", o("palette.tif"))
    pal = np.array(Image.open(o("palette.tif")).convert("RGB"))
    add("palette.tif", pal, "TIFF 8-bit palette (expected: the colour map as Pillow applies it, >> 8)")
    run(CONVERT, t("small.png"), "-monochrome", o("bilevel.tif"))
    bi = np.array(Image.open(o("bilevel.tif")).convert("RGB"))
    add("bilevel.tif", bi, "TIFF 1-bit (libtiff's RGBA reader)")
    Image.fromarray(photo).save(t("photo.tif"))  # Pillow: plain uncompressed RGB strips
    run("tiffcp", "-t", "-w", "16", "-l", "16", "-c", "lzw", t("photo.tif"), o("tiled.tif"))
    add("tiled.tif", photo, "TIFF tiled 16x16 (partial tiles at the right and bottom edge), LZW")
    run("tiffcp", "-p", "separate", "-c", "zip", t("photo.tif"), o("planar.tif"))
    add("planar.tif", photo, "TIFF planar (one plane per channel), Deflate")
    run("tiffcp", "-c", "jpeg:90", "-r", "16", t("photo.tif"), o("jpeg_ycbcr.tif"))
    add("jpeg_ycbcr.tif", photo, "TIFF JPEG-compressed YCbCr (libjpeg converts to RGB)", 24, 3.0)
    run(CONVERT, t("small_180.png"), "-compress", "LZW", t("page2.tif"))
    run("tiffcp", o("rgb8.tif"), t("page2.tif"), o("two_pages.tif"))
    add("two_pages.tif", small, "TIFF with 2 pages (the second rotated 180): the first page")
    shutil.copy(o("rgb8.tif"), o("orientation6.tif"))
    run("tiffset", "-s", "274", "6", o("orientation6.tif"))
    add("orientation6.tif", orient(small, 6), "TIFF Orientation tag 6 (tiffset)")
    shutil.copy(o("rgb8.tif"), o("orientation8.tif"))
    run("tiffset", "-s", "274", "8", o("orientation8.tif"))
    add("orientation8.tif", orient(small, 8), "TIFF Orientation tag 8 (tiffset)")
    # Not a fixture of the manifest: a variant we refuse (tests/image/test_decode_codecs.cpp).
    run(CONVERT, t("small.png"), "-define", "quantum:format=floating-point", "-depth", "32", o("float32.tif"))

    # HEIF and AVIF (4:4:4 chroma, so the difference is the codec's, not the subsampling's).
    run("heif-enc", "-q", "90", "-p", "chroma=444", t("photo.png"), "-o", o("photo.heic"))
    add("photo.heic", photo, "HEIC (x265), -q 90, 4:4:4", 24, 3.0, pillow=False)
    run("heif-enc", "-A", "-q", "90", "-p", "chroma=444", t("photo.png"), "-o", o("photo.avif"))
    add("photo.avif", photo, "AVIF (aom), -q 90, 4:4:4", 24, 3.0, pillow=False)
    run("heif-enc", "-A", "-q", "90", "-p", "chroma=444", t("photo_rgba.png"), "-o", o("alpha.avif"))
    add("alpha.avif", photo, "AVIF with an alpha image: alpha dropped", 24, 3.0, pillow=False)
    run("heif-enc", "-q", "90", "-p", "chroma=420", t("photo.png"), "-o", o("chroma420.heic"))
    add("chroma420.heic", photo, "HEIC 4:2:0 (what cameras write)", 48, 4.0, pillow=False)
    Image.fromarray(photo).save(t("exif6.jpg"), quality=98, exif=exif_orientation_blob(6, b"Exif\0\0"))
    run("heif-enc", "-q", "90", "-p", "chroma=444", t("exif6.jpg"), "-o", o("exif6.heic"))
    add("exif6.heic", photo, "HEIC with EXIF orientation 6 and no irot (heif-enc 1.15 copies the JPEG's EXIF): "
        "not turned, the EXIF tag of a HEIF is informative (JPEG q98 then HEIC: two lossy steps)", 40, 6.0, pillow=False)
    open(o("irot90.heic"), "wb").write(add_irot(open(o("photo.heic"), "rb").read(), 1))
    add("irot90.heic", np.rot90(photo, 1), "HEIC with irot 90 (anti-clockwise), added to photo.heic: turned by libheif",
        24, 3.0, pillow=False)

    for e in entries:
        if e["max_diff"]:
            expected = np.fromfile(o(e["file"] + ".rgb"), np.uint8).reshape(e["height"], e["width"], 3)
            mx, mean = measure(e["file"], expected)
            e["measured"] = "max %d, mean %.2f (decoded by %s)" % (mx, mean, "heif-convert" if e["file"].endswith(("heic", "avif")) else "Pillow")
            assert mx <= e["max_diff"] and mean <= e["mean_diff"], (e["file"], mx, mean)
        print("%-22s %s" % (e["file"], e.get("measured", "") or e.get("pillow", "")))
    json.dump(entries, open(o("codecs.json"), "w"), indent=1)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
