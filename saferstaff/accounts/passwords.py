from django.core.exceptions import ValidationError
from zxcvbn import zxcvbn


class ZxcvbnValidator:
    """§4: "Secure and suitable strength passwords should be devised". zxcvbn estimates how guessable a
    password is (0–4); we ask for 3 ("safely unguessable") and pass on its advice."""

    def __init__(self, min_score: int = 3):
        self.min_score = min_score

    def validate(self, password, user=None):
        inputs = [getattr(user, a, "") or "" for a in ("email", "first_name", "last_name")] if user else []
        inputs.append("saferstaff")
        result = zxcvbn(password[:100], user_inputs=[i for i in inputs if i])
        if result["score"] < self.min_score:
            advice = " ".join(
                filter(None, [result["feedback"].get("warning"), *result["feedback"].get("suggestions", [])])
            )
            raise ValidationError(
                "This password would be too easy to guess (§4 asks for strong passwords). "
                + (advice or "Try three or four unrelated words together."),
                code="password_too_guessable",
            )

    def get_help_text(self):
        return "Use a password that is hard to guess: three or four unrelated words work well (§4)."
