"""Photo-like scenes for the image-matching tests and benchmark, made from a seed: a lit background, shapes,
grain and sometimes a line of text. A scene can be shot again — the camera moved, people moved, the light
changed — which gives a different photo of the same scene. And the ways a published photo gets copied:
resized, re-encoded, cropped, captioned, greyed, mirrored, put in a PDF newsletter."""

import io
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

WORDS = "sports day year six trip harvest festival choir science week reading class assembly garden".split()


def scene(seed: int, *, scale: float = 1.0) -> dict:
    """A scene's description: everything a shot of it needs (``scale`` < 1: a smaller photo, made faster)."""
    rng = random.Random(seed)
    width = round(rng.randint(480, 900) * scale)
    aspect = rng.choice([4 / 3, 3 / 2, 16 / 9, 3 / 4, 1.0, 2 / 3])
    height = int(width / aspect)
    shapes = []
    for _ in range(rng.randint(3, 14)):
        shapes.append(
            {
                "kind": rng.choice(["ellipse", "rect", "poly", "line"]),
                "x": rng.random(),
                "y": rng.random(),
                "w": rng.uniform(0.05, 0.45),
                "h": rng.uniform(0.05, 0.45),
                "angle": rng.uniform(0, 360),
                "colour": [rng.randint(0, 255) for _ in range(3)],
                "points": [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(rng.randint(3, 6))],
            }
        )
    return {
        "seed": seed,
        "size": (width, height),
        "top": [rng.randint(0, 255) for _ in range(3)],
        "bottom": [rng.randint(0, 255) for _ in range(3)],
        "angle": rng.uniform(0, np.pi),
        "clouds": rng.randint(3, 9),
        "cloud_strength": rng.uniform(10, 60),
        "grain": rng.uniform(2, 12),
        "shapes": shapes,
        "text": " ".join(rng.sample(WORDS, 3)) if rng.random() < 0.4 else "",
    }


def shoot(description: dict, *, retake: int = 0) -> Image.Image:
    """The scene photographed; ``retake`` > 0 is another shot of it: the camera shifted, everyone moved (some out
    of shot), the light changed, fresh grain."""
    rng = np.random.default_rng([description["seed"], retake])
    width, height = description["size"]
    margin = 0.12  # the scene is wider than one shot; a retake points the camera elsewhere within it
    big_w, big_h = int(width * (1 + 2 * margin)), int(height * (1 + 2 * margin))
    yy, xx = np.mgrid[0:big_h, 0:big_w].astype(np.float32)
    a = description["angle"]
    t = (np.cos(a) * xx / big_w + np.sin(a) * yy / big_h + 1) / 3
    top, bottom = np.array(description["top"], np.float32), np.array(description["bottom"], np.float32)
    canvas = top * (1 - t[..., None]) + bottom * t[..., None]
    clouds_rng = np.random.default_rng(description["seed"])
    n = description["clouds"]
    clouds = cv2.resize(
        clouds_rng.normal(0, 1, (n, n)).astype(np.float32), (big_w, big_h), interpolation=cv2.INTER_CUBIC
    )
    canvas += clouds[..., None] * description["cloud_strength"]
    for shape in description["shapes"]:
        if retake and rng.random() < 0.25:
            continue  # out of shot this time
        move = rng.normal(0, 0.08, 2) if retake else (0.0, 0.0)
        cx = (margin + (shape["x"] + move[0]) * (1 - 2 * margin) * 1.3) * big_w
        cy = (margin + (shape["y"] + move[1]) * (1 - 2 * margin) * 1.3) * big_h
        sw, sh = shape["w"] * width / 2, shape["h"] * height / 2
        colour = [float(c) for c in shape["colour"]]
        centre = (int(cx), int(cy))
        if shape["kind"] == "ellipse":
            cv2.ellipse(canvas, centre, (int(sw), int(sh)), shape["angle"], 0, 360, colour, -1, cv2.LINE_AA)
        elif shape["kind"] == "rect":
            box = cv2.boxPoints(((cx, cy), (2 * sw, 2 * sh), shape["angle"])).astype(np.int32)
            cv2.fillPoly(canvas, [box], colour, cv2.LINE_AA)
        elif shape["kind"] == "poly":
            points = np.array([(cx + px * sw, cy + py * sh) for px, py in shape["points"]], np.int32)
            cv2.fillPoly(canvas, [points], colour, cv2.LINE_AA)
        else:
            end = (
                int(cx + sw * np.cos(np.radians(shape["angle"]))),
                int(cy + sh * np.sin(np.radians(shape["angle"]))),
            )
            cv2.line(canvas, centre, end, colour, max(2, int(min(width, height) * 0.02)), cv2.LINE_AA)
    if retake:
        gain = rng.uniform(0.75, 1.25)
        light = np.linspace(rng.uniform(0.8, 1.0), rng.uniform(1.0, 1.2), big_w, dtype=np.float32)
        canvas = canvas * gain * light[None, :, None]
    canvas += rng.normal(0, description["grain"], canvas.shape).astype(np.float32)
    shift = rng.uniform(-1, 1, 2) * margin * 0.8 if retake else (0.0, 0.0)
    left = int((margin + shift[0]) * width)
    top_row = int((margin + shift[1]) * height)
    view = np.clip(canvas[top_row : top_row + height, left : left + width], 0, 255).astype(np.uint8)
    image = Image.fromarray(cv2.GaussianBlur(view, (3, 3), 0))
    if description["text"]:
        draw = ImageDraw.Draw(image)
        draw.text(
            (width * 0.06, height * 0.8), description["text"], fill=(250, 250, 250), font=_font(height // 14)
        )
    return image


def _font(size: int):
    return ImageFont.load_default(size=max(10, size))


# --- How a published photo gets copied ------------------------------------------------------------------------


def resized(image: Image.Image, scale: float) -> Image.Image:
    size = (max(8, round(image.width * scale)), max(8, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def encoded(image: Image.Image, kind: str, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, kind, quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def cropped(image: Image.Image, share: float, *, corner: bool = False) -> Image.Image:
    """``share`` of the width and of the height cut off: half from each side, or all from the right and bottom."""
    dx, dy = round(image.width * share), round(image.height * share)
    if corner:
        return image.crop((0, 0, image.width - dx, image.height - dy))
    return image.crop((dx // 2, dy // 2, image.width - (dx - dx // 2), image.height - (dy - dy // 2)))


def captioned(
    image: Image.Image, share: float, *, top: bool, colour=(20, 20, 20), text="Year 6 at sports day"
):
    """A caption bar of ``share`` of the height added above or below the photo, with text in it."""
    bar = max(10, round(image.height * share))
    out = Image.new("RGB", (image.width, image.height + bar), colour)
    out.paste(image.convert("RGB"), (0, bar if top else 0))
    ink = (255, 255, 255) if sum(colour) < 380 else (0, 0, 0)
    ImageDraw.Draw(out).text(
        (bar // 3, (0 if top else image.height) + bar // 5), text, fill=ink, font=_font(int(bar * 0.55))
    )
    return out


def grey(image: Image.Image) -> Image.Image:
    return image.convert("L")


def mirrored(image: Image.Image) -> Image.Image:
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def pdf_with(images: list[Image.Image]) -> bytes:
    """A PDF of one page per image (Pillow's PDF writer embeds each as a JPEG)."""
    buffer = io.BytesIO()
    pages = [im.convert("RGB") for im in images]
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=150)
    return buffer.getvalue()


def transformations(extract_from_pdf) -> dict:
    """Name → (image → copy). ``extract_from_pdf(bytes) -> [image]`` is the library's, for the PDF copy."""
    return {
        "resized 25%": lambda im: resized(im, 0.25),
        "resized 50%": lambda im: resized(im, 0.5),
        "resized 200%": lambda im: resized(im, 2.0),
        "JPEG quality 30": lambda im: encoded(im, "JPEG", 30),
        "JPEG quality 95": lambda im: encoded(im, "JPEG", 95),
        "WebP quality 75": lambda im: encoded(im, "WEBP", 75),
        "cropped 10% (centred)": lambda im: cropped(im, 0.10),
        "cropped 10% (one corner)": lambda im: cropped(im, 0.10, corner=True),
        "cropped 5% (one corner)": lambda im: cropped(im, 0.05, corner=True),
        "cropped 10% (left side)": lambda im: im.crop((round(im.width * 0.1), 0, im.width, im.height)),
        "caption bar top 12%": lambda im: captioned(im, 0.12, top=True),
        "caption bar bottom 15%": lambda im: captioned(im, 0.15, top=False, colour=(255, 255, 255)),
        "greyscale": grey,
        "mirrored": mirrored,
        "in a PDF page": lambda im: extract_from_pdf(pdf_with([im]))[0],
        "newsletter (50%, caption, JPEG 60, PDF)": lambda im: extract_from_pdf(
            pdf_with(
                [encoded(captioned(resized(im, 0.5), 0.12, top=False, colour=(30, 60, 120)), "JPEG", 60)]
            )
        )[0],
    }
