"""Videos, read and re-encoded by ffmpeg (the static build inside the ``imageio-ffmpeg`` wheel, so nothing is
installed on the server and nothing is downloaded).

- ``probe(data)`` reads what the camera wrote: the picture's size, when it was recorded, the camera's make
  and model (QuickTime's and Android's tags, as phones and tablets write them) and whether a location was
  recorded — so a video from a device not in the register is flagged like a photo (§6).
- ``clean_copy(data)`` makes the copy that is published: the first picture and sound streams only (a GPS,
  timecode or caption track is left behind), re-encoded to H.264/AAC with every metadata field, chapter and
  encoder tag dropped, turned upright, at most 1080 lines. Re-encoding, rather than editing the file's boxes,
  also leaves behind what cameras write inside the picture stream itself.

ffmpeg reads from a temporary file (an MP4's index may sit at its end, so a pipe is not enough) and is given
a time limit; it never reaches the network (no network protocols are allowed)."""

import datetime
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

PROBE_SECONDS = 30
ENCODE_SECONDS = 900  # a 150 MB video re-encodes in well under this on two cores
MAX_LINES = 1080
# Only local files: a crafted playlist or reference movie must not make ffmpeg open anything else.
_INPUT = ["-protocol_whitelist", "file", "-nostdin", "-hide_banner"]


class VideoProblem(Exception):
    """Why a video cannot be read or copied, in words a school office can act on."""


@dataclass(frozen=True)
class Probe:
    width: int | None
    height: int | None
    recorded_at: datetime.datetime | None
    make: str
    model: str
    had_location: bool
    streams: tuple[str, ...]  # "video", "audio", "data", "subtitle" — one per stream, in order


_MAKE_TAGS = ("com.apple.quicktime.make", "com.android.manufacturer", "make", "manufacturer")
_MODEL_TAGS = ("com.apple.quicktime.model", "com.android.model", "model")
_LOCATION_TAGS = ("location", "com.apple.quicktime.location.iso6709", "location-eng")
_STREAM = re.compile(r"^\s*Stream #0:\d+\S*: (Video|Audio|Data|Subtitle): (.*)$")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_META = re.compile(r"^\s{4}([^:]+?)\s*: ?(.*)$")


def _ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def _run(args: list[str], seconds: int) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, capture_output=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        raise VideoProblem(
            "took too long to read (it may be damaged). Trim it to the part you need and upload it again."
        ) from None


def probe(data: bytes) -> Probe:
    with tempfile.TemporaryDirectory(prefix="saferstaff-video-") as folder:
        source = Path(folder) / "in"
        source.write_bytes(data)
        # With no output ffmpeg describes the input on stderr and exits 1; that description is what we read.
        text = _run([_ffmpeg(), *_INPUT, "-i", str(source)], PROBE_SECONDS).stderr.decode("utf-8", "replace")
    return parse_description(text)


def parse_description(text: str) -> Probe:
    """What ffmpeg's description of an input says (its first input's global metadata and streams)."""
    lines = text.splitlines()
    if not any(line.startswith("Input #0") for line in lines):
        raise VideoProblem(
            "could not be read as a whole video (it may be cut short or damaged). Copy it again."
        )
    meta: dict[str, str] = {}
    streams: list[str] = []
    width = height = None
    in_global_meta = False
    for line in lines:
        if line.startswith("  Metadata:"):
            in_global_meta = not streams  # the input's own metadata comes before its first stream
            continue
        m = _STREAM.match(line)
        if m:
            in_global_meta = False
            kind = m.group(1).lower()
            streams.append(kind)
            size = _SIZE.search(m.group(2))
            if kind == "video" and width is None and size:
                width, height = int(size.group(1)), int(size.group(2))
            continue
        if line.startswith("  Duration:") or not line.startswith("    "):
            in_global_meta = False
        elif in_global_meta:
            mm = _META.match(line)
            if mm:
                meta.setdefault(mm.group(1).strip().casefold(), mm.group(2).strip())
    if "video" not in streams:
        raise VideoProblem("has no picture that saferstaff can read. Export it again as MP4 or MOV.")
    return Probe(
        width=width,
        height=height,
        recorded_at=_recorded_at(meta),
        make=_first(meta, _MAKE_TAGS),
        model=_first(meta, _MODEL_TAGS),
        had_location=any(meta.get(tag) for tag in _LOCATION_TAGS),
        streams=tuple(streams),
    )


def _first(meta: dict[str, str], tags: tuple[str, ...]) -> str:
    return next((meta[t] for t in tags if meta.get(t)), "")


def _recorded_at(meta: dict[str, str]) -> datetime.datetime | None:
    """The camera's recording time: QuickTime's creation date (local time with its offset) if there is one,
    else the container's creation time (UTC). A camera left at its factory date gives 1970 or 1904: None."""
    for tag in ("com.apple.quicktime.creationdate", "creation_time", "date"):
        value = meta.get(tag, "").split(";")[0].strip()
        if not value:
            continue
        try:
            when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        if when.year > 1970:
            return when
    return None


def clean_copy(data: bytes) -> bytes:
    with tempfile.TemporaryDirectory(prefix="saferstaff-video-") as folder:
        source, target = Path(folder) / "in", Path(folder) / "out.mp4"
        source.write_bytes(data)
        result = _run(
            [
                _ffmpeg(), *_INPUT, "-loglevel", "error", "-i", str(source),
                "-map", "0:v:0", "-map", "0:a:0?",  # picture and sound only
                "-map_metadata", "-1", "-map_chapters", "-1",
                "-vf", f"scale=-2:'min({MAX_LINES},trunc(ih/2)*2)'",
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "128k",
                "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
                "-movflags", "+faststart", "-f", "mp4", str(target),
            ],
            ENCODE_SECONDS,
        )  # fmt: skip
        if result.returncode != 0 or not target.exists():
            raise VideoProblem(
                "could not be re-encoded for publishing (it may be damaged). Export it again from the "
                "camera's software and upload that copy."
            )
        return target.read_bytes()
