"""Midtrans notification signatures: the reference's vectors, a wrong key, a reformatted amount."""

import pytest

from payments.gateways.midtrans import signature_for, signature_is_valid

KEY = "SB-Mid-server-TEST123"

VECTORS = [
    (
        "ORDER-2024-0001",
        "200",
        "150000.00",
        "097a30d2520fcf4539403143571c43d1f4278213b54a61183dac7f34b2ddef89"
        "703e147808ebfc4efdc5f6385c4c653490cab02a9817d0fa3c89db3973f770a7",
    ),
    (
        "ORDER-2024-0002",
        "201",
        "75500.00",
        "20f8615e6ac3b727bd87e036e6383166d543cee6fb0fd0fce7178d19f716256a"
        "0fd12760af1481943394d425ee4a5023f1250852d864eb5342b27260b5bd16e1",
    ),
    (
        "ORDER-2024-0003",
        "200",
        "250000.00",
        "dafb00830134ca3ea1430577083d0f2470e53413a0b3456be520e805f29be19e"
        "495f50db1dad3915a6770ca9014458271dd5d3829a4a9bbcf6a64337c30fd5d6",
    ),
    (
        "ORDER-2024-0004",
        "407",
        "10000.00",
        "e653fe476714f758fe459085e934573cf3845c1bd2f2a3dd18a004da4001e31d"
        "d5afc92673cdb50a20f0aa4f2fc726288e045124dca664d128135c23987f4a66",
    ),
]
# Vector 1 hashed with "150000" instead of "150000.00".
REFORMATTED = (
    "4db374e552603518af3ff1fa4f687b87d5f091989a23e0162b31c62a15c39e3a"
    "b2984043e03b4c51de222eb6a0010e3ae967248e571f5f730a4572829d5947df"
)


def body(order_id, status_code, gross_amount, signature):
    return {
        "order_id": order_id,
        "status_code": status_code,
        "gross_amount": gross_amount,
        "signature_key": signature,
    }


@pytest.mark.parametrize(("order_id", "status_code", "gross_amount", "expected"), VECTORS)
def test_reference_vectors(order_id, status_code, gross_amount, expected):
    assert (
        signature_for(
            order_id=order_id, status_code=status_code, gross_amount=gross_amount, server_key=KEY
        )
        == expected
    )
    assert signature_is_valid(body(order_id, status_code, gross_amount, expected), server_key=KEY)


@pytest.mark.parametrize(("order_id", "status_code", "gross_amount", "expected"), VECTORS)
def test_wrong_server_key_is_rejected(order_id, status_code, gross_amount, expected):
    signed = body(order_id, status_code, gross_amount, expected)
    assert not signature_is_valid(signed, server_key="SB-Mid-server-OTHER")
    assert not signature_is_valid(signed, server_key="")


def test_reformatted_amount_is_rejected():
    assert (
        signature_for(
            order_id="ORDER-2024-0001", status_code="200", gross_amount="150000", server_key=KEY
        )
        == REFORMATTED
    )
    # Signed over "150000" but the body says "150000.00": not ours.
    assert not signature_is_valid(
        body("ORDER-2024-0001", "200", "150000.00", REFORMATTED), server_key=KEY
    )
    # And the genuine signature does not cover a body rewritten to "150000".
    assert not signature_is_valid(
        body("ORDER-2024-0001", "200", "150000", VECTORS[0][3]), server_key=KEY
    )


def test_tampered_status_or_missing_parts_are_rejected():
    order_id, _, gross_amount, signature = VECTORS[1]  # signed as 201 pending
    assert not signature_is_valid(body(order_id, "200", gross_amount, signature), server_key=KEY)
    assert not signature_is_valid(
        {"order_id": order_id, "signature_key": signature}, server_key=KEY
    )
    assert not signature_is_valid(body(order_id, "201", 75500, signature), server_key=KEY)


def test_uppercase_hex_is_accepted():
    order_id, status_code, gross_amount, signature = VECTORS[0]
    assert signature_is_valid(
        body(order_id, status_code, gross_amount, signature.upper()), server_key=KEY
    )
