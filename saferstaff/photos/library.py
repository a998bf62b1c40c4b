"""Adding images to the library: all of an upload or none of it (§5), with each camera checked against
the device register (§5–6: school equipment only; a photo from elsewhere goes to senior management, and one
from a member of staff's personal device that had permission for work (§6) is flagged as personal, §5)."""

import datetime
import logging
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.log import record
from saferstaff.conduct.registers import personal_device_permission
from saferstaff.photos.files import STORAGE_ERRORS, Checked, FileProblem, StoreUnreachable, check_file
from saferstaff.photos.models import Activity, Device, Image, make_and_model
from saferstaff.photos.services import delete_files, tell_senior_management

log = logging.getLogger(__name__)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


class DeviceRegister:
    """The school's devices, loaded once per upload."""

    def __init__(self, school):
        self.devices = list(Device.objects.filter(school=school, retired_on__isnull=True))

    def match(self, checked: Checked, preferred: Device) -> tuple[Device | None, str]:
        """The device that took the photo and the flag (Image.Flag) to raise, if any."""
        if checked.serial:
            for d in self.devices:
                if d.serial and _norm(d.serial) == _norm(checked.serial):
                    return d, ""
            return None, Image.Flag.UNREGISTERED
        if checked.make or checked.model:
            same = [
                d for d in self.devices
                if _norm(d.make) == _norm(checked.make) and _norm(d.model) == _norm(checked.model)
            ]  # fmt: skip
            if same:
                return (preferred if preferred in same else same[0]), ""
            return None, Image.Flag.UNREGISTERED
        return None, Image.Flag.NO_CAMERA


def personal_device(school, checked: Checked, on: datetime.date):
    """The personal-equipment permission (§6) of the device that took a photo not from the register, if
    one was approved for the day it was taken: the photo is then known to be from personal equipment."""
    return personal_device_permission(
        school, camera=make_and_model(checked.make, checked.model), model=checked.model, on=on
    )


def _captured(checked: Checked, activity: Activity, now: datetime.datetime) -> datetime.datetime:
    """When the photo was taken: the camera's clock when it is plausible for this activity (cameras left
    at their factory date are common), otherwise midday on the activity's date."""
    fallback = timezone.make_aware(datetime.datetime.combine(activity.happens_on, datetime.time(12)))
    c = checked.captured_at
    if c is None:
        return fallback
    earliest = fallback - datetime.timedelta(days=31)
    latest = now + datetime.timedelta(days=1)
    return c if earliest <= c <= latest else fallback


class AddedImages(list):
    """The images added; ``already`` names the files left out because the activity already has them (or
    the upload held them twice), so the photographer is told why fewer were added."""

    def __init__(self, images=(), already=()):
        super().__init__(images)
        self.already = list(already)


def add_images(activity: Activity, files: Iterable[tuple[str, bytes]], *, by) -> AddedImages:
    """Check every file, store them, then save every row in one transaction. Any problem raises
    FileProblem (or a list of them) and leaves nothing behind — neither rows nor stored files."""
    school = activity.school
    register = DeviceRegister(school)
    now = timezone.now()
    existing = set(Image.objects.filter(school=school, activity=activity).values_list("sha256", flat=True))
    stored: list[str] = []
    images: list[Image] = []
    problems: list[FileProblem] = []
    seen: set[str] = set()
    personal: dict[tuple, object] = {}  # (make, model, day) -> the personal-equipment permission, if any
    already: list[str] = []
    try:
        for name, data in files:
            try:
                checked = check_file(name, data)
            except FileProblem as exc:
                problems.append(exc)
                continue
            if checked.sha256 in existing or checked.sha256 in seen:
                already.append(checked.name)
                continue  # the same file again: uploading an album twice adds nothing
            seen.add(checked.sha256)
            if problems:
                continue  # keep checking the rest so the office sees every problem at once
            device, flag = register.match(checked, activity.device)
            captured = _captured(checked, activity, now)
            permission = None
            if flag == Image.Flag.UNREGISTERED:
                key = (checked.make, checked.model, timezone.localtime(captured).date())
                if key not in personal:  # an album from one phone asks once a day, not once a photo
                    personal[key] = personal_device(school, checked, key[2])
                permission = personal[key]
                flag = Image.Flag.PERSONAL if permission else flag
            image = Image(
                school=school,
                activity=activity,
                kind=checked.kind,
                original_name=checked.name[:200],
                content_type=checked.content_type,
                size=len(checked.data),
                sha256=checked.sha256,
                width=checked.width,
                height=checked.height,
                uploaded_by=by,
                captured_at=captured,
                camera_make=checked.make,
                camera_model=checked.model,
                camera_serial=checked.serial,
                had_gps=checked.had_gps,
                device=device,
                flag=flag,
                equipment_permission=permission,
            )
            try:
                image.original.save("original", ContentFile(checked.data), save=False)
                stored.append(image.original.name)
                if checked.thumbnail:
                    image.thumbnail.save("thumb.jpg", ContentFile(checked.thumbnail), save=False)
                    stored.append(image.thumbnail.name)
            except STORAGE_ERRORS as exc:
                log.warning(
                    "the file store refused image %d of an upload: %s", len(images) + 1, type(exc).__name__
                )
                raise StoreUnreachable from exc
            images.append(image)
        if problems:
            raise UploadProblems(problems)
        with transaction.atomic():
            Image.objects.bulk_create(images)
            record(
                "images.uploaded",
                activity,
                detail={
                    "count": len(images),
                    "flagged": sum(1 for i in images if i.flag),
                    "personal": sorted(
                        {i.equipment_permission_id for i in images if i.equipment_permission_id}
                    ),
                },
            )
    except (
        BaseException
    ):  # a bad file, a refused zip, storage or database trouble: leave nothing behind (a file
        # the store took but cannot delete now, S3 going down mid-upload, is queued: delete_files)
        delete_files(stored, school_id=activity.school_id)
        raise
    flagged = [i for i in images if i.flag]
    if flagged:
        personal = sum(1 for i in flagged if i.taken_on_personal_device)
        _tell_senior_management(activity, len(flagged), personal)
    return AddedImages(images, already)


class UploadProblems(Exception):
    def __init__(self, problems: list[FileProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _tell_senior_management(activity: Activity, n: int, personal: int) -> None:
    title = f"{n} image{'s' if n != 1 else ''} in {activity.title} from a camera not in the device register"
    if personal:
        title += f", {personal} of them taken on a personal device (§5, §6)"
    else:
        title += " (§6)"
    tell_senior_management(
        activity.school,
        title=title,
        url=reverse("image_list", kwargs={"school": activity.school.slug}) + "?flagged=1",
        kind="images.flagged",
    )
