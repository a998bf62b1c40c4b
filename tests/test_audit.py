import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from saferstaff.audit.context import acting_as
from saferstaff.audit.log import record, verify_chain
from saferstaff.audit.models import GENESIS, AppendOnly, AuditEvent


@pytest.fixture
def chain(db):
    with acting_as(actor_id=7, school_id=3, request_id="req-1"):
        return [record("test.event", ("schools.pupil", n), detail={"n": n}) for n in range(1, 6)]


def test_each_event_holds_the_hash_of_the_one_before(chain):
    assert chain[0].prev_hash == GENESIS and chain[0].seq == 1
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.prev_hash == before.hash and after.seq == before.seq + 1
    assert verify_chain() == (5, None)


def test_events_carry_actor_school_and_request_from_the_context(chain):
    event = AuditEvent.objects.get(seq=1)
    assert (event.actor_id, event.school_id, event.request_id) == (7, 3, "req-1")
    assert (event.object_type, event.object_id) == ("schools.pupil", "1")


def test_the_model_refuses_to_change_or_delete_an_event(chain):
    with pytest.raises(AppendOnly):
        chain[0].save()
    with pytest.raises(AppendOnly):
        chain[0].delete()


def _raw(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)


def test_verify_names_an_edited_row(chain):
    _raw("UPDATE audit_auditevent SET object_id = %s WHERE seq = 3", ["99"])
    checked, broken = verify_chain()
    assert checked == 2 and broken.seq == 3 and "changed" in broken.problem


def test_verify_names_the_row_after_a_deleted_one(chain):
    _raw("DELETE FROM audit_auditevent WHERE seq = 2")
    checked, broken = verify_chain()
    assert broken.seq == 3 and "missing" in broken.problem


def test_verify_names_an_inserted_row(chain):
    # Someone shifts rows 4-5 up and slips a forged row in as seq 4 with a made-up hash.
    _raw("UPDATE audit_auditevent SET seq = seq + 100 WHERE seq >= 4")
    _raw("UPDATE audit_auditevent SET seq = seq - 99 WHERE seq >= 100")
    forged = AuditEvent(seq=4, action="forged", prev_hash="f" * 64, hash="e" * 64)
    forged.save()
    checked, broken = verify_chain()
    assert broken.seq == 4 and checked == 3


def test_verify_audit_command_exits_non_zero_naming_the_row(chain, capsys):
    call_command("verify_audit")
    assert "5 row(s) checked" in capsys.readouterr().out
    _raw("UPDATE audit_auditevent SET action = 'x' WHERE seq = 4")
    with pytest.raises(CommandError, match="seq=4"):
        call_command("verify_audit")


def test_verify_walks_more_rows_than_one_batch(db):
    for n in range(12):
        record("bulk", ("x", n))
    assert verify_chain(batch_size=5) == (12, None)


def test_a_clients_request_id_is_not_trusted_unless_the_operator_says_so(client, settings):
    sent = "forged-request-id-1"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=sent)["X-Request-ID"] != sent
    settings.TRUST_REQUEST_ID_HEADER = True
    assert client.get("/healthz", HTTP_X_REQUEST_ID=sent)["X-Request-ID"] == sent
