from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import F
from django.utils.crypto import salted_hmac


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("Every account needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in: staff of any kind (§1: employees, agency, contractors, volunteers),
    governors and trust/LA admins. What they may do at a school comes from their Membership there."""

    username = None
    email = models.EmailField("email address", unique=True)
    # Raised to end every session this person has open (each session carries a hash that includes it).
    sessions_generation = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    def _get_session_auth_hash(self, secret=None) -> str:
        # Django signs each session with this (and with each SECRET_KEY_FALLBACKS key) and flushes a session
        # whose hash no longer matches, so raising sessions_generation signs the person out everywhere at once,
        # as a password change does.
        if not self.sessions_generation:
            return super()._get_session_auth_hash(secret)  # sessions from before the field keep working
        return salted_hmac(
            "saferstaff.accounts.User.sessions",
            f"{self.password}:{self.sessions_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def end_sessions(self) -> None:
        """Sign this person out of every browser they are signed in on."""
        User.objects.filter(pk=self.pk).update(sessions_generation=F("sessions_generation") + 1)
        self.refresh_from_db(fields=["sessions_generation"])
