"""Signed email links: expiry, key rotation, forgery, signed click targets (pure)."""

from __future__ import annotations

import base64

from lodestone_automation.domain.templates import track_links
from lodestone_automation.links import LinkSigner

NOW = 1_800_000_000.0


def test_a_token_names_its_parts_until_it_expires() -> None:
    signer = LinkSigner("s" * 32, lifetime_seconds=86_400)
    token = signer.sign("c_1", "wf_1", "wf_1:e_1:mail", now=NOW)
    assert signer.verify(token, now=NOW + 3600) == ["c_1", "wf_1", "wf_1:e_1:mail"]
    assert signer.verify(token, now=NOW + 86_401) is None


def test_rotated_keys_still_verify_and_unknown_ones_do_not() -> None:
    old = LinkSigner("old-secret-1234567890")
    token = old.sign("c", "w", "a", now=NOW)
    rotated = LinkSigner("new-secret-1234567890", previous=("old-secret-1234567890",))
    assert rotated.verify(token, now=NOW) == ["c", "w", "a"]
    assert LinkSigner("new-secret-1234567890").verify(token, now=NOW) is None


def test_forgeries_are_refused() -> None:
    signer = LinkSigner("secret-secret-secret")
    token = signer.sign("c_1", "w", "a", now=NOW)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    for forged in (
        raw.replace("c_1", "c_2"),  # another contact
        raw.replace("|v2|", "|v2|").replace(raw.split("|")[2], "9999999999"),  # longer life
        "v1|c_1|w|a|" + raw.rsplit("|", 1)[1],  # the old format
        "é|ü|ö|ä|ß",
    ):
        encoded = base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
        assert signer.verify(encoded, now=NOW) is None
    assert signer.verify("not base64 at all!", now=NOW) is None
    # The decoder skips what is not base64: markup appended to a valid token verified, and
    # the unsubscribe page echoed it (a meta refresh to anywhere). Only the token itself does.
    assert signer.verify(token, now=NOW) == ["c_1", "w", "a"]
    for tail in ('==<meta http-equiv=refresh content="0;url=https://evil.example">', "=", " "):
        assert signer.verify(token + tail, now=NOW) is None


def test_click_links_sign_where_they_point() -> None:
    signer = LinkSigner("secret-secret-secret")
    token = signer.sign("c", "w", "a")
    url = signer.click_url("https://mail.acme.test", token, "https://acme.test/p?q=1&r=2")
    assert url.startswith(f"https://mail.acme.test/t/click/{token}?url=https%3A%2F%2Facme.test")
    sig = url.rsplit("&sig=", 1)[1]
    assert signer.url_signed(token, "https://acme.test/p?q=1&r=2", sig)
    assert not signer.url_signed(token, "https://evil.test/", sig)


def test_links_in_a_body_are_tracked_but_the_emails_own_are_kept() -> None:
    body = (
        "See https://acme.test/pricing, then https://acme.test/demo.\n"
        "Bye: https://mail.test/unsubscribe/T and <https://acme.test/x>"
    )
    out = track_links(body, lambda u: f"[{u}]", keep=("https://mail.test/unsubscribe/",))
    assert out == (
        "See [https://acme.test/pricing], then [https://acme.test/demo].\n"
        "Bye: https://mail.test/unsubscribe/T and <[https://acme.test/x]>"
    )
