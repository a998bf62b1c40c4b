from django.core.cache import cache
from django.urls import reverse

from .conftest import PASSWORD


def test_repeated_failed_sign_ins_are_stopped_even_with_the_right_password(cast, client):
    cache.clear()
    url = reverse("account_login")
    for _ in range(5):
        response = client.post(url, {"login": cast.teacher.email, "password": "wrong-password-123"})
        assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    response = client.post(url, {"login": cast.teacher.email, "password": PASSWORD})
    assert "Too many failed" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_correct_password_signs_a_teacher_in(cast, client):
    cache.clear()
    response = client.post(reverse("account_login"), {"login": cast.teacher.email, "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(cast.teacher.pk)
