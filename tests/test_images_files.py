"""§5 uploads: every kind of bad file is refused with a message naming it, and nothing is half-saved."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.storage import default_storage
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image as PILImage

from saferstaff.photos.files import (
    FileProblem,
    check_file,
    clean_copy_bytes,
    zip_members,
)
from saferstaff.photos.library import UploadProblems, add_images
from saferstaff.photos.models import Image
from saferstaff.photos.video import probe

from .image_samples import PERSONAL_PHONE, add_device, approved_activity, heic, jpeg, video


@pytest.fixture(autouse=True)
def _files(storage):
    return storage


@pytest.fixture
def activity(cast):
    add_device(cast.school)
    return approved_activity(cast.school, cast.teacher, cast.slt)


def stored_files() -> list[str]:
    """Every file under images/ in storage (filesystem or S3)."""
    found = []

    def walk(path):
        try:
            dirs, files = default_storage.listdir(path)
        except FileNotFoundError:
            return
        found.extend(f"{path}/{f}" for f in files)
        for d in dirs:
            walk(f"{path}/{d}")

    walk("images")
    return found


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims an enormous image: a decompression bomb."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def zip_of(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    buffer.seek(0)
    return buffer


# --- One file at a time -------------------------------------------------------------------------------------


def test_a_school_camera_photo_is_read_with_its_camera_details():
    checked = check_file("nativity.jpg", jpeg(gps=True))
    assert (checked.kind, checked.make, checked.serial, checked.had_gps) == (
        "photo",
        "Canon",
        "CN1234567",
        True,
    )
    assert checked.width == 640 and checked.thumbnail[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    "data, words",
    [
        (b"%PDF-1.4 not a photo", "not a photo or video"),
        (b"MZ\x90\x00 an executable", "not a photo or video"),
        (jpeg()[:-2000], "cut short"),
        (png_claiming(200_000, 200_000), "than any school camera takes"),
        (png_claiming(9_000, 9_000), "than any school camera takes"),
        (heic()[:-200], "cut short"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00mdat", "cut short"),
        (video()[:5000], "cut short"),
    ],
    ids=[
        "pdf",
        "exe",
        "truncated-jpeg",
        "decompression-bomb",
        "too-many-pixels",
        "truncated-heic",
        "video-without-moov",
        "truncated-video",
    ],
)
def test_bad_files_are_refused_with_words_the_office_can_act_on(data, words):
    with pytest.raises(FileProblem) as exc:
        check_file("upload.bin", data)
    assert words in exc.value.message and str(exc.value).startswith("upload.bin: ")


def test_a_photo_whose_camera_data_is_damaged_is_refused():
    data = bytearray(jpeg())
    exif_at = data.find(b"Exif\x00\x00")
    data[exif_at + 20] = 0xFF  # the first entry's type: nonsense
    data[exif_at + 16] = 0x7F  # and far more entries than the block holds
    with pytest.raises(FileProblem, match="damaged camera data"):
        check_file("broken-exif.jpg", bytes(data))


def test_a_file_over_the_size_limit_is_refused_before_it_is_decoded(settings):
    settings.IMAGE_MAX_BYTES = 100_000
    with pytest.raises(FileProblem, match="photos can be up to"):
        check_file("huge.jpg", jpeg(size=(2000, 1500)) + b"\x00" * 200_000)


def test_a_200_mb_upload_is_refused_through_the_page(cast, activity):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from .conftest import signed_in

    big = SimpleUploadedFile(
        "video.mp4", b"\x00\x00\x00\x18ftypisom" + b"\x00" * (200 * 1024 * 1024), "video/mp4"
    )
    url = reverse("activity_upload", kwargs={"school": cast.school.slug, "pk": activity.pk})
    response = signed_in(cast.teacher).post(url, {"files": [big]})
    assert response.status_code == 400 and b"too big to take" in response.content
    assert not Image.objects.exists() and not stored_files()


# --- Camera data (EXIF) ----------------------------------------------------------------------------------------

junk = st.one_of(st.text(max_size=3000), st.binary(max_size=3000), st.integers(), st.floats(allow_nan=True))


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(make=junk, model=junk, serial=junk, taken=junk, orientation=st.integers(-5, 20))
def test_any_junk_in_the_camera_data_is_bounded_or_refused_never_a_crash(
    make, model, serial, taken, orientation
):
    im = PILImage.new("RGB", (64, 48), (10, 20, 30))
    exif = im.getexif()
    exif[0x010F], exif[0x0110], exif[0x0112] = make, model, orientation
    sub = exif.get_ifd(0x8769)
    sub[0xA431], sub[0x9003] = serial, taken
    out = io.BytesIO()
    try:
        im.save(out, "JPEG", exif=exif)
    except Exception:  # Pillow cannot even write such a value: nothing for us to read
        return
    try:
        checked = check_file("junk.jpg", out.getvalue())
    except FileProblem as exc:
        assert "camera data" in exc.message or "could not be read" in exc.message
        return
    for value in (checked.make, checked.model, checked.serial):
        assert len(value) <= 60 and value.isprintable()


@hsettings(max_examples=40, deadline=None)
@given(noise=st.binary(min_size=1, max_size=4000), at=st.integers(20, 400))
def test_bytes_scrambled_anywhere_in_a_photo_are_accepted_whole_or_refused_never_a_crash(noise, at):
    data = bytearray(jpeg(size=(96, 64)))
    data[at : at + len(noise)] = noise
    try:
        check_file("scrambled.jpg", bytes(data))
    except FileProblem:
        pass


def test_a_published_copy_keeps_no_camera_or_location_data():
    original = jpeg(gps=True, size=(3000, 2000), orientation=6)
    copy = PILImage.open(io.BytesIO(clean_copy_bytes(original, "photo")))
    assert not copy.getexif() and not {"exif", "icc_profile", "xmp", "comment"} & set(copy.info)
    assert max(copy.size) == 2048 and copy.width < copy.height  # turned upright, at most 2048 px


def test_a_png_with_text_and_a_colour_profile_is_published_as_pixels_only():
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", "Amelia at 12 Acacia Avenue")
    im = PILImage.new("RGB", (200, 100), (1, 2, 3))
    out = io.BytesIO()
    im.save(out, "PNG", pnginfo=meta, icc_profile=b"\x00" * 128)
    copy = PILImage.open(io.BytesIO(clean_copy_bytes(out.getvalue(), "photo")))
    assert copy.format == "JPEG" and not {"icc_profile", "Comment", "exif"} & set(copy.info)


def test_a_heic_photo_from_an_ipad_is_read_like_a_jpeg_and_published_as_a_clean_jpeg():
    checked = check_file("IMG_0042.HEIC", heic(gps=True))
    assert (checked.kind, checked.content_type, checked.make, checked.model, checked.had_gps) == (
        "photo",
        "image/heic",
        "Apple",
        "iPad (9th generation)",
        True,
    )
    assert (checked.width, checked.height) == (640, 480) and checked.thumbnail[:3] == b"\xff\xd8\xff"
    copy = PILImage.open(io.BytesIO(clean_copy_bytes(checked.data, "photo")))
    assert copy.format == "JPEG" and copy.size == (640, 480) and not copy.getexif()


def test_a_heic_photo_can_be_screened_for_faces():
    from saferstaff.faces.images import load_image

    assert load_image(heic(size=(300, 200))).shape == (200, 300, 3)


def test_a_phones_video_is_read_with_its_camera_recording_time_and_location():
    checked = check_file("IMG_1234.MOV", video())
    assert (checked.kind, checked.make, checked.model, checked.had_gps) == (
        "video",
        "Apple",
        "iPhone 15",
        True,
    )
    assert (checked.width, checked.height) == (320, 240)
    assert checked.captured_at.isoformat() == "2026-05-04T10:11:12+00:00"


def test_a_published_video_is_re_encoded_with_picture_and_sound_only_and_no_metadata():
    original = video(caption_track=True)
    assert b"53.87" in original and b"iPhone" in original
    clean = clean_copy_bytes(original, "video")
    assert b"53.87" not in clean and b"iPhone" not in clean and b"Apple" not in clean
    copy = probe(clean)
    assert copy.streams == ("video", "audio")  # the caption track (which held an address) is gone
    assert (copy.make, copy.model, copy.recorded_at, copy.had_location) == ("", "", None, False)
    assert (copy.width, copy.height) == (320, 240)


def test_a_video_from_a_phone_not_in_the_register_is_flagged_like_a_photo(activity, cast):
    (image,) = add_images(activity, [("clip.mov", video(make="Apple", model="iPhone 15"))], by=cast.teacher)
    assert image.kind == Image.Kind.VIDEO and image.flag == Image.Flag.UNREGISTERED


# --- Zips ---------------------------------------------------------------------------------------------------------


def test_a_zip_of_photos_is_unpacked_member_by_member(cast, activity):
    images = add_images(activity, zip_members("album.zip", zip_of({"a.jpg": jpeg(), "b/c.jpg": jpeg(colour=(1, 2, 3)),
                                                                    "__MACOSX/._a.jpg": b"junk"})), by=cast.teacher)  # fmt: skip
    assert len(images) == 2 and len(stored_files()) == 4  # originals and thumbnails


@pytest.mark.parametrize(
    "members, words",
    [
        ({"../../etc/cron.d/evil.jpg": jpeg()}, "unsafe path"),
        ({"/abs/path.jpg": jpeg()}, "unsafe path"),
        ({"C:\\photos\\a.jpg": jpeg()}, "unsafe path"),
        ({"zeros.jpg": b"\x00" * (30 * 1024 * 1024)}, "may be malicious"),
        ({}, "no photos or videos"),
    ],
    ids=["zip-slip", "absolute", "windows-drive", "zip-bomb", "empty"],
)
def test_bad_zips_are_refused_before_anything_is_read(cast, activity, members, words):
    with pytest.raises(FileProblem) as exc:
        add_images(activity, zip_members("album.zip", zip_of(members)), by=cast.teacher)
    assert words in exc.value.message
    assert not Image.objects.exists() and not stored_files()


def test_a_zip_with_too_many_files_or_not_a_zip_at_all(cast, activity, settings):
    settings.ZIP_MAX_FILES = 3
    with pytest.raises(FileProblem, match="Split it"):
        list(zip_members("big.zip", zip_of({f"{i}.jpg": b"x" for i in range(5)})))
    with pytest.raises(FileProblem, match="not a zip file"):
        list(zip_members("fake.zip", io.BytesIO(b"PK\x03\x04 this is not really a zip")))


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 2000), flip=st.integers(0, 2000), byte=st.integers(0, 255))
def test_a_damaged_zip_is_refused_cleanly(cut, flip, byte):
    data = bytearray(zip_of({"a.jpg": jpeg(size=(64, 48)), "b.jpg": jpeg(size=(48, 64))}).getvalue())
    if flip < len(data):
        data[flip] = byte
    data = data[: max(len(data) - cut, 0)]
    try:
        for name, content in zip_members("album.zip", io.BytesIO(bytes(data))):
            try:
                check_file(name, content)
            except FileProblem:
                pass
    except FileProblem as exc:
        assert exc.message


def test_one_bad_photo_in_an_upload_saves_nothing_and_lists_every_problem(cast, activity):
    files = [
        ("ok.jpg", jpeg()),
        ("cut.jpg", jpeg(colour=(9, 9, 9))[:-3000]),
        ("doc.pdf", b"%PDF"),
        ("ok2.jpg", jpeg(colour=(5, 5, 5))),
    ]
    with pytest.raises(UploadProblems) as exc:
        add_images(activity, files, by=cast.teacher)
    assert [p.name for p in exc.value.problems] == ["cut.jpg", "doc.pdf"]
    assert not Image.objects.exists() and not stored_files()


# --- The device register (§5–6) -------------------------------------------------------------------------------------


def test_photos_are_matched_to_the_device_register_and_others_flagged(cast, activity):
    from saferstaff.notifications.models import Notification

    files = [
        ("school.jpg", jpeg()),
        ("phone.jpg", jpeg(**PERSONAL_PHONE)),
        ("nodata.jpg", jpeg(make=None, model=None, serial=None)),
        ("same-model-no-serial.jpg", jpeg(serial=None, colour=(7, 7, 7))),
    ]
    images = {i.original_name: i for i in add_images(activity, files, by=cast.teacher)}
    assert images["school.jpg"].device == activity.device and not images["school.jpg"].flag
    assert images["phone.jpg"].flag == Image.Flag.UNREGISTERED and images["phone.jpg"].device is None
    assert images["nodata.jpg"].flag == Image.Flag.NO_CAMERA
    assert images["same-model-no-serial.jpg"].device == activity.device
    told = Notification.objects.filter(kind="images.flagged")
    assert {n.user for n in told} == {cast.head, cast.slt} and "(§6)" in told[0].title


def test_the_same_photo_uploaded_twice_is_kept_once(cast, activity):
    assert len(add_images(activity, [("a.jpg", jpeg())], by=cast.teacher)) == 1
    assert add_images(activity, [("a-copy.jpg", jpeg())], by=cast.teacher) == []
    assert Image.objects.count() == 1


def test_keep_until_is_the_capture_date_plus_the_schedules_period_and_a_wrong_camera_clock_is_ignored(
    cast, activity
):
    import datetime

    from django.utils import timezone

    from saferstaff.privacy.templatetags.retention import keep_until

    taken = timezone.make_aware(
        datetime.datetime(
            activity.happens_on.year, activity.happens_on.month, activity.happens_on.day, 10, 30
        )
    )
    (good,) = add_images(activity, [("a.jpg", jpeg(taken=taken))], by=cast.teacher)
    assert keep_until(good)["until"] == activity.happens_on.replace(year=activity.happens_on.year + 2)
    (factory,) = add_images(
        activity, [("b.jpg", jpeg(taken=datetime.datetime(2000, 1, 1), colour=(3, 3, 3)))], by=cast.teacher
    )
    assert timezone.localtime(factory.captured_at).date() == activity.happens_on


def test_a_huge_png_that_compresses_too_well_to_be_a_photo_is_refused():
    im = PILImage.new("RGB", (4000, 3000), (200, 200, 200))
    out = io.BytesIO()
    im.save(out, "PNG")
    with pytest.raises(FileProblem, match="compresses far too well"):
        check_file("flat.png", out.getvalue())
