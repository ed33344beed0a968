"""Reading a profile's chain of roles from botocore's parsed config (in-process)."""

from __future__ import annotations

from helper.profiles import assumed_profiles, profile_asking_for_mfa, sso_login_profile

ROLE = "arn:aws:iam::111122223333:role/r"


def _config(**profiles: dict[str, str]) -> dict[str, object]:
    return {"profiles": profiles}


def test_assumed_profiles_follow_source_profile_links_outermost_first() -> None:
    config = _config(
        app={"role_arn": ROLE, "source_profile": "hop"},
        hop={"role_arn": ROLE, "source_profile": "base"},
        base={"aws_access_key_id": "AKIA"},
    )

    assert assumed_profiles(config, "app") == ["app", "hop"]


def test_a_profile_sourcing_itself_is_assumed_once() -> None:
    config = _config(app={"role_arn": ROLE, "source_profile": "app", "aws_access_key_id": "A"})

    assert assumed_profiles(config, "app") == ["app"]


def test_a_loop_of_source_profiles_ends() -> None:
    config = _config(
        a={"role_arn": ROLE, "source_profile": "b"}, b={"role_arn": ROLE, "source_profile": "a"}
    )

    assert assumed_profiles(config, "a") == ["a", "b"]


def test_web_identity_profiles_are_not_assume_role_profiles() -> None:
    config = _config(ci={"role_arn": ROLE, "web_identity_token_file": "/token"})

    assert assumed_profiles(config, "ci") == []


def test_missing_profile_has_no_chain() -> None:
    assert assumed_profiles(_config(), "nowhere") == []


def test_mfa_is_found_on_any_assumed_profile() -> None:
    config = _config(
        app={"role_arn": ROLE, "source_profile": "hop"},
        hop={"role_arn": ROLE, "source_profile": "base", "mfa_serial": "arn:aws:iam::1:mfa/x"},
        base={},
    )

    assert profile_asking_for_mfa(config, "app") == "hop"
    assert profile_asking_for_mfa(config, "base") is None


def test_sso_login_profile_is_the_first_with_sso_settings_down_the_chain() -> None:
    config = _config(
        app={"role_arn": ROLE, "source_profile": "dev"},
        dev={"sso_session": "corp", "sso_account_id": "1", "sso_role_name": "r"},
    )

    assert sso_login_profile(config, "app") == "dev"
    assert sso_login_profile(config, "dev") == "dev"


def test_sso_login_profile_defaults_to_the_profile_itself() -> None:
    assert sso_login_profile(_config(app={}), "app") == "app"
