import pytest

from kernel.personal_data import (
    InvalidPhone,
    format_phone,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_phone,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("13812341234", "13812341234"),
    ("138 1234 1234", "13812341234"),
    ("138-1234-1234", "13812341234"),
    ("+86 138 1234 1234", "13812341234"),
    ("008613812341234", "13812341234"),
    ("8613812341234", "13812341234"),
    ("１３８１２３４１２３４", "13812341234"),  # full-width digits from a Chinese IME
    ("010-12345678", "01012345678"),
    ("(020) 8888 1234", "02088881234"),
    ("0755-2888888", "07552888888"),
    ("0571 87654321", "057187654321"),
])
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "12812341234", "1381234123", "138123412345",
                                 "abc13812341234", "010-1234", "99912345678"])
def test_normalize_phone_refuses_with_a_message(raw):
    with pytest.raises(InvalidPhone) as excinfo:
        normalize_phone(raw)
    assert str(excinfo.value)


@pytest.mark.parametrize(("phone", "masked"), [
    ("13812341234", "138****1234"),
    ("01012345678", "010-****5678"),
    ("057187654321", "0571-****4321"),
    ("", ""),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_masks_never_show_the_hidden_middle():
    assert "1234" not in mask_phone("13899991234")[3:7]
    assert mask_id_number("110101199003071234") == "1101**********1234"
    assert mask_email("chenxm@example.com") == "c***@example.com"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name("陈晓明") == "陈**"


def test_format_phone_for_display():
    assert format_phone("01012345678") == "010-12345678"
    assert format_phone("13812341234") == "13812341234"
