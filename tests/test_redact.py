"""Shortened identifiers and scrubbed text: what people see instead of secrets."""

from __future__ import annotations

from helper.redact import scrub, shorten

SIGNATURE = "6e3db2faa330c00cb99311319ad484c894755a8850dcaba8d747648b949eca33"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDx7Kq9Ab3+Z9yQ=="


def test_access_key_id_keeps_its_first_and_last_four_characters() -> None:
    assert shorten("AKIAIOSFODNN7EXAMPLE") == "AKIA…MPLE"


def test_short_values_are_not_shown_at_all() -> None:
    assert shorten("abcdefgh") == "…"


def test_scrub_shortens_a_signature() -> None:
    text = f"Credential=AKIA/2026/sts, Signature={SIGNATURE}"

    assert SIGNATURE not in scrub(text)


def test_scrub_shortens_a_session_token() -> None:
    assert SESSION_TOKEN not in scrub(f"token {SESSION_TOKEN} refused")


def test_scrub_shortens_registered_secrets_of_any_shape() -> None:
    secret = "standin-session-workload-role-0011"

    assert secret not in scrub(f"it was {secret}.", [secret])


def test_scrub_leaves_paths_urls_and_audiences_alone() -> None:
    text = (
        "/home/app/.cache/aws-wif-helper/aws-123456-global-my-pool-aws-provider.json and "
        "//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/"
        "my-pool/providers/aws-provider at https://sts.eu-west-1.amazonaws.com"
    )

    assert scrub(text) == text
