"""The UPN check letter (DfE algorithm: weights 2–13 on characters 2–13, sum mod 23, letters without I, O, S)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saferstaff.textcheck.upn import CHECK_LETTERS, is_temporary_upn, upn_check_letter, validate_upn

# Worked example published with the DfE's UPN rules (also python-stdnum's documentation): B is right, A is not.
KNOWN_VALID = "B801200005001"


def test_known_valid_upn_from_public_material():
    assert upn_check_letter("801200005001") == "B"
    assert validate_upn(KNOWN_VALID) == KNOWN_VALID


def test_known_upn_with_wrong_check_letter_is_refused_with_a_fix():
    with pytest.raises(ValueError) as error:
        validate_upn("A801200005001")
    message = str(error.value)
    assert "'A801200005001'" in message
    assert "wrong check letter" in message
    assert "correct it and export again" in message


def test_check_letter_by_hand():
    # 8*2 + 0*3 + 1*4 + 2*5 + 0*6 + 0*7 + 0*8 + 0*9 + 5*10 + 0*11 + 0*12 + 1*13 = 93; 93 mod 23 = 1 -> "B"
    assert sum(int(c) * w for c, w in zip("801200005001", range(2, 14), strict=True)) % 23 == 1
    assert CHECK_LETTERS[1] == "B"
    assert len(CHECK_LETTERS) == 23 and not set("IOS") & set(CHECK_LETTERS)


def test_normalises_case_and_spaces():
    assert validate_upn("  b8012 00005001 ") == KNOWN_VALID


def test_temporary_upn_final_letter_counts_as_its_table_value():
    body = "80120000500A"  # A = 0, so the sum is the same as for a final 0
    assert upn_check_letter(body) == upn_check_letter("801200005000")
    body = "80120000500Z"  # Z = 22
    expected = CHECK_LETTERS[(93 - 13 + 22 * 13) % 23]
    assert upn_check_letter(body) == expected
    upn = expected + body
    assert validate_upn(upn) == upn
    assert is_temporary_upn(upn)
    assert not is_temporary_upn(KNOWN_VALID)


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("", "blank"),
        ("B80120000500", "has 12 characters"),
        ("B8012000050011", "has 14 characters"),
        ("I801200005001", "does not start with a check letter"),
        ("1801200005001", "does not start with a check letter"),
        ("B8012000X5001", "digits in positions 2 to 12"),
        ("B80120000500I", "ends in 'I'"),
        ("B801200005-01", "characters a UPN cannot have"),
        ("B80120000500١", "characters a UPN cannot have"),
    ],
)
def test_malformed_upns_say_what_is_wrong(value, fragment):
    with pytest.raises(ValueError) as error:
        validate_upn(value)
    assert fragment in str(error.value)


digits = st.text(alphabet="0123456789", min_size=11, max_size=11)
last = st.sampled_from("0123456789" + CHECK_LETTERS)


@given(digits, last)
def test_any_generated_upn_is_valid(first11, final):
    body = first11 + final
    upn = upn_check_letter(body) + body
    assert validate_upn(upn) == upn
    assert validate_upn(upn.lower()) == upn


@given(digits, last, st.sampled_from(CHECK_LETTERS))
def test_changing_the_check_letter_makes_it_invalid(first11, final, letter):
    body = first11 + final
    right = upn_check_letter(body)
    if letter == right:
        return
    with pytest.raises(ValueError, match="wrong check letter"):
        validate_upn(letter + body)


@given(digits, st.integers(min_value=0, max_value=10), st.integers(min_value=1, max_value=9))
def test_any_single_mistyped_digit_is_caught(first11, position, delta):
    # Weights 2..12 and changes 1..9 are all below the prime 23, so no single-digit slip keeps the sum.
    body = first11 + "0"
    upn = upn_check_letter(body) + body
    chars = list(upn)
    index = 1 + position
    chars[index] = str((int(chars[index]) + delta) % 10)
    with pytest.raises(ValueError, match="wrong check letter"):
        validate_upn("".join(chars))
