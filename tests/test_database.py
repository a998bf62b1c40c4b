"""CI's PostgreSQL stage sets SAFERSTAFF_EXPECT_DB=postgresql: this makes sure that stage really ran on
PostgreSQL (a typo in DATABASE_URL must not let it pass on SQLite)."""

import os

import pytest
from django.db import connection

EXPECTED = os.environ.get("SAFERSTAFF_EXPECT_DB", "")


@pytest.mark.django_db
def test_the_expected_database_is_in_use():
    if not EXPECTED:
        pytest.skip(
            "SAFERSTAFF_EXPECT_DB is not set: nothing to compare (CI sets it in its PostgreSQL stage)"
        )
    assert connection.vendor == EXPECTED, (
        f"expected a {EXPECTED} database, the tests ran on {connection.vendor}"
    )
    if connection.vendor == "postgresql":
        # Django 6.1 supports PostgreSQL 15 and later.
        assert connection.pg_version >= 150000, connection.pg_version
