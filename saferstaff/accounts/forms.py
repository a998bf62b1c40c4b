"""allauth's forms with our wording: the labels, hints and input attributes of the sign-in, password and
authenticator-app pages.

The page templates (templates/account/, templates/mfa/) draw every field with one shared loop,
``{% element fields form=form %}`` (templates/allauth/elements/fields.html), which shows each field's own
``label`` and ``help_text`` (as the GOV.UK hint). So the words for a field live here, once, next to the form
they belong to; the templates keep only what is particular to the page. The classes are registered in
settings.ACCOUNT_FORMS and settings.MFA_FORMS.

Labels are in sentence case (the template puts allauth's own "Current Password" into sentence case too, so
a label here must not rely on a capital letter after the first). An empty hint leaves allauth's help text
out, for example the "Forgotten your password?" link on the pages that show it below the form instead.

allauth 65.22 has no ACCOUNT_FORMS key for the "email me a code" page (account_request_reauthentication_code),
so that page's one label stays in templates/account/request_reauthentication_code.html.
"""

from allauth.account import forms as account_forms
from allauth.core import context
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.totp import forms as totp_forms
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from allauth.mfa.webauthn import forms as webauthn_forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict

NUMERIC_CODE = {"inputmode": "numeric", "autocomplete": "one-time-code"}


class OurWording:
    """Puts ``labels``, ``hints`` and ``widget_attrs`` (each keyed by field name) on the form's fields once
    allauth has built them (some, such as the sign-in form's ``login``, only exist after its __init__)."""

    labels: dict[str, str] = {}
    hints: dict[str, str] = {}
    widget_attrs: dict[str, dict[str, str]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in self.labels.items():
            self.fields[name].label = label
        for name, hint in self.hints.items():
            self.fields[name].help_text = hint
        for name, attrs in self.widget_attrs.items():
            self.fields[name].widget.attrs.update(attrs)


# --- Signing in and passwords (ACCOUNT_FORMS) ----------------------------------------------------------


class LoginForm(OurWording, account_forms.LoginForm):
    labels = {"login": "Email address"}
    # "Forgotten your password?" is a link below the form, not a hint under the password.
    hints = {"password": ""}


class ReauthenticateForm(OurWording, account_forms.ReauthenticateForm):
    labels = {"password": "Your password"}
    hints = {"password": ""}  # as on the sign-in page, the reset link sits below the form


class ResetPasswordForm(OurWording, account_forms.ResetPasswordForm):
    labels = {"email": "Email address"}


class ResetPasswordKeyForm(OurWording, account_forms.ResetPasswordKeyForm):
    labels = {"password1": "New password", "password2": "Confirm new password"}


class ChangePasswordForm(OurWording, account_forms.ChangePasswordForm):
    labels = {
        "oldpassword": "Current password",
        "password1": "New password",
        "password2": "Confirm new password",
    }


class SetPasswordForm(OurWording, account_forms.SetPasswordForm):
    labels = {"password1": "Password", "password2": "Confirm password"}


# --- Authenticator app (MFA_FORMS) ---------------------------------------------------------------------


class AuthenticateForm(OurWording, mfa_forms.AuthenticateForm):
    labels = {"code": "Code"}
    hints = {"code": "The 6-digit code from your app, or one of your 8-digit recovery codes."}
    widget_attrs = {"code": NUMERIC_CODE}


class MFAReauthenticateForm(OurWording, mfa_forms.ReauthenticateForm):
    labels = {"code": "Code from your authenticator app"}
    hints = {"code": "The 6-digit code your app shows for saferstaff, or one of your 8-digit recovery codes."}
    widget_attrs = {"code": NUMERIC_CODE}


class ActivateTOTPForm(OurWording, totp_forms.ActivateTOTPForm):
    """allauth draws a new secret each time the page is shown, so an app set up from the first showing
    would fail after a reload ("Incorrect code"). The secret waiting in the session is kept until the app
    is activated (allauth then removes it)."""

    labels = {"code": "Code from your authenticator app"}
    hints = {"code": "The app shows a new 6-digit code every 30 seconds."}
    widget_attrs = {"code": NUMERIC_CODE}

    def __init__(self, *args, **kwargs):
        session = context.request.session  # the request allauth is serving (it reads the secret the same way)
        pending = session.get(SECRET_SESSION_KEY)
        super().__init__(*args, **kwargs)
        if pending:
            self.secret = session[SECRET_SESSION_KEY] = pending


# --- Security keys and passkeys (MFA_FORMS) --------------------------------------------------------------

UNREADABLE_KEY = "Your security key's answer could not be read. Try again, or use your authenticator app."


class ReadsKeysSafely:
    """The browser's answer from a key is JSON the person's browser sends; a malformed one (a missing field, a
    wrong type) makes the library raise KeyError or TypeError. Show a form error instead of a server error."""

    def full_clean(self):
        try:
            super().full_clean()
        except (KeyError, TypeError, ValueError, AttributeError):
            self._errors = ErrorDict({NON_FIELD_ERRORS: self.error_class([UNREADABLE_KEY])})
            self.cleaned_data = {}


class AddWebAuthnForm(ReadsKeysSafely, OurWording, webauthn_forms.AddWebAuthnForm):
    labels = {"name": "A name for this key"}
    hints = {"name": "For example: blue USB key, or my work phone"}


class AuthenticateWebAuthnForm(ReadsKeysSafely, webauthn_forms.AuthenticateWebAuthnForm):
    pass


class ReauthenticateWebAuthnForm(ReadsKeysSafely, webauthn_forms.ReauthenticateWebAuthnForm):
    pass
