"""Properties, checked with hypothesis over generated inputs.

1. For any valid audience and any credentials, the subject token decodes to a
   GetCallerIdentity request whose SigV4 signature verifies for an empty body
   (tests/standins/sigv4.py, which shares no code with the helper) and whose
   signed headers include the target resource, equal to the audience.
2. For any input at all (the client's variables, AWS variables, the command's
   options), stdout is exactly one JSON document that the three client
   readers of tests/clients/response_parsers.py accept, all alike, as a success
   or as a well-formed failure with a documented code.

The first and most of the second run in this process (`helper.protocol.answer`,
the product's logic); a bounded number of examples of the second run the
helper process itself, with environment values that need not be UTF-8.
"""

from __future__ import annotations

import json
import os
import socket
import unittest.mock
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helper.allowed_audience import ALLOWED_AUDIENCES_VARIABLE
from helper.errors import ErrorCode
from helper.response import render
from tests.clients.response_parsers import PARSERS, Rejected, go_client, node_client, python_client
from tests.harness import AWS_TOKEN_TYPE, AwsEnvironment, answer_in_process, module_helper
from tests.standins.sigv4 import (
    TARGET_RESOURCE_HEADER,
    parse_subject_token,
    verify_get_caller_identity,
)

JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
DOCUMENTED_CODES = {code.value for code in ErrorCode}
IN_PROCESS = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MANY_IN_PROCESS = settings(IN_PROCESS, max_examples=300)
AS_A_PROCESS = settings(IN_PROCESS, max_examples=12)

# Valid audiences: the provider name's grammar, with or without the https: prefix.
_segment = st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True)
_universe = st.sampled_from(["googleapis.com", "example-universe.com", "s3nsapis.fr"])
audiences = st.builds(
    lambda https, universe, project, location, pool, provider: (
        f"{'https:' if https else ''}//iam.{universe}/projects/{project}/locations/{location}"
        f"/workloadIdentityPools/{pool}/providers/{provider}"
    ),
    st.booleans(),
    _universe,
    st.integers(min_value=0, max_value=10**20 - 1),
    st.one_of(st.just("global"), _segment),
    _segment,
    _segment,
)

# Any credentials AWS could hand out: key IDs of letters and digits, secrets and
# session tokens of printable ASCII without spaces.
_printable = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
access_key_ids = st.from_regex(r"(AKIA|ASIA)[A-Z2-7]{16}", fullmatch=True)
secret_keys = st.text(_printable, min_size=1, max_size=64)
session_tokens = st.one_of(st.none(), st.text(_printable, min_size=16, max_size=600))
regions = st.one_of(
    st.none(),
    st.from_regex(r"[a-z]{2}-(gov-)?(north|south|east|west|central)-[1-9]", fullmatch=True),
)


@given(
    audience=audiences,
    access_key_id=access_key_ids,
    secret=secret_keys,
    session_token=session_tokens,
    region=regions,
)
@IN_PROCESS
def test_any_valid_audience_and_credentials_give_a_token_that_verifies(
    aws_env: AwsEnvironment,
    audience: str,
    access_key_id: str,
    secret: str,
    session_token: str | None,
    region: str | None,
) -> None:
    credentials = {"AWS_ACCESS_KEY_ID": access_key_id, "AWS_SECRET_ACCESS_KEY": secret}
    if session_token:
        credentials["AWS_SESSION_TOKEN"] = session_token
    if region:
        credentials["AWS_REGION"] = region
    client = {
        "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE": audience,
        "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE": AWS_TOKEN_TYPE,
        ALLOWED_AUDIENCES_VARIABLE: audience,
    }

    with unittest.mock.patch.dict(os.environ, credentials):
        response = answer_in_process([], {**credentials, **client})

    assert response["success"] is True, response
    token = parse_subject_token(response["id_token"])
    verified = verify_get_caller_identity(
        token, audience=audience, secret_for={access_key_id: secret}.get
    )
    assert TARGET_RESOURCE_HEADER in verified.signed_headers
    assert token.header(TARGET_RESOURCE_HEADER) == audience
    assert verified.session_token == session_token
    assert verified.region == (region or "us-east-1")


# Any input at all: the client's variables, the AWS variables the helper reads,
# and command lines built from its options and arbitrary words.
_any_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
_plausible = st.sampled_from(
    [
        "",
        "0",
        "1",
        " 1",
        AWS_TOKEN_TYPE,
        JWT_TOKEN_TYPE,
        AWS_TOKEN_TYPE.upper(),
        "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q",
        "https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q",
        "//iam.googleapis.com/locations/global/workforcePools/p/providers/q",
        "us-east-1",
        "default",
    ]
)
_value = st.one_of(_plausible, _any_text)
_options = st.sampled_from(
    [
        "--profile",
        "--region",
        "--sts-endpoint",
        "--timeout",
        "--allowed-audience",
        "--jwt-audience",
        "--signing-algorithm",
        "--token-lifetime",
        "--help",
        "--version",
        "-h",
        "--",
        "regional",
        "global",
        "0.5",
        "-1",
    ]
)
argvs = st.lists(st.one_of(_options, _any_text), max_size=6)
client_environments = st.fixed_dictionaries(
    {},
    optional={
        "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE": _value,
        "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE": _value,
        "GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE": _value,
        "GOOGLE_EXTERNAL_ACCOUNT_REVOKE": _value,
        "GOOGLE_EXTERNAL_ACCOUNT_IMPERSONATED_EMAIL": _value,
        "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE": _any_text,
        ALLOWED_AUDIENCES_VARIABLE: _value,
    },
)
aws_environments = st.fixed_dictionaries(
    {},
    optional={
        "AWS_PROFILE": _value,
        "AWS_REGION": _value,
        "AWS_DEFAULT_REGION": _value,
        "AWS_ACCESS_KEY_ID": st.one_of(access_key_ids, _any_text),
        "AWS_SECRET_ACCESS_KEY": st.one_of(secret_keys, _any_text),
        "AWS_SESSION_TOKEN": _value,
    },
)


@pytest.fixture
def nowhere(aws_env: AwsEnvironment) -> str:
    """Send any AWS call to a loopback port where nothing listens, whatever options say."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    aws_env.set(AWS_ENDPOINT_URL=url)
    return url


def inside(folder: Path, name: str) -> str:
    """A generated output file name, kept inside `folder` whatever it holds."""
    return str(folder / (name.replace("/", "_").replace("\x00", "_") or "empty"))


def assert_every_client_accepts(stdout: bytes, client: Mapping[str, Any]) -> None:
    """Exactly one JSON document, read alike by the three clients as success or failure."""
    assert stdout.isascii(), stdout[:200]
    text = stdout.decode("ascii")
    assert text.endswith("\n") and text.count("\n") == 1, text[:200]
    document = json.loads(text)

    output_file = bool(client.get("GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE"))
    if client.get("GOOGLE_EXTERNAL_ACCOUNT_REVOKE") in ("1", b"1"):
        # Only Python sends REVOKE; a successful answer carries no token.
        view = python_client(text, output_file=output_file, revoke=True)
        assert view.success == document["success"]
        if view.success:
            assert document == {"version": 1, "success": True}
        else:
            assert document["code"] in DOCUMENTED_CODES
        return

    views = {name: parse(text, output_file=output_file) for name, parse in PARSERS.items()}
    assert len({view.success for view in views.values()}) == 1, views
    if document["success"]:
        assert len({view.token for view in views.values()}) == 1
    else:
        assert {view.code for view in views.values()} == {document["code"]}
        assert document["code"] in DOCUMENTED_CODES
        assert all(view.message for view in views.values())


@given(argv=argvs, client=client_environments, aws=aws_environments)
@MANY_IN_PROCESS
def test_any_input_gets_one_json_document_every_client_reads(
    nowhere: str,
    tmp_path: Path,
    argv: list[str],
    client: dict[str, str],
    aws: dict[str, str],
) -> None:
    if "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE" in client:
        name = client["GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE"]
        client["GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE"] = inside(tmp_path, name)

    with unittest.mock.patch.dict(os.environ, {**aws, "AWS_ENDPOINT_URL": nowhere}):
        response = answer_in_process(["--timeout", "2", *argv], {**aws, **client})

    assert_every_client_accepts(render(response).encode("ascii"), client)


_any_bytes = st.binary(max_size=200).map(lambda value: value.replace(b"\x00", b""))


@given(
    argv=argvs,
    client=st.dictionaries(
        st.sampled_from(
            [
                "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE",
                "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE",
                "GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE",
                "GOOGLE_EXTERNAL_ACCOUNT_REVOKE",
            ]
        ),
        st.one_of(_plausible.map(str.encode), _any_bytes),
        min_size=1,
    ),
)
@AS_A_PROCESS
def test_the_helper_process_prints_one_json_document_for_any_bytes(
    aws_env: AwsEnvironment, nowhere: str, argv: list[str], client: dict[str, bytes]
) -> None:
    result = module_helper().run(
        aws_env.environ(client),  # type: ignore[arg-type]
        ["--timeout", "2", *argv],
        cwd=aws_env.work_dir,
    )

    assert result.returncode == 0
    assert result.stderr == b""
    assert_every_client_accepts(result.stdout, client)


# The three readers themselves, on the responses they must tell apart.
SUCCESS = {
    "version": 1,
    "success": True,
    "token_type": JWT_TOKEN_TYPE,
    "id_token": "token",
    "expiration_time": 4_000_000_000,
}
FAILURE = {"version": 1, "success": False, "code": "AWS_UNREACHABLE", "message": "Retry."}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_reader_accepts_the_helpers_success_and_failure(name: str) -> None:
    parse = PARSERS[name]

    assert parse(json.dumps(SUCCESS), output_file=True).token == "token"
    assert parse(json.dumps(FAILURE), output_file=True).code == "AWS_UNREACHABLE"


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize(
    "broken",
    [
        {key: value for key, value in FAILURE.items() if key != "code"},
        {key: value for key, value in FAILURE.items() if key != "message"},
        {**SUCCESS, "version": 2},
        {**SUCCESS, "token_type": "urn:ietf:params:aws:token-type:aws4_request"},
        {**SUCCESS, "expiration_time": 1},
        {key: value for key, value in SUCCESS.items() if key != "success"},
    ],
    ids=["no-code", "no-message", "version-2", "aws-token-type", "expired", "no-success"],
)
def test_every_reader_rejects_what_its_client_rejects(name: str, broken: dict[str, Any]) -> None:
    with pytest.raises(Rejected):
        PARSERS[name](json.dumps(broken), output_file=True)


def test_the_readers_differ_where_the_clients_do() -> None:
    without_expiry = {key: value for key, value in SUCCESS.items() if key != "expiration_time"}
    text = json.dumps(without_expiry)

    assert python_client(text, output_file=True).success is True
    with pytest.raises(Rejected):
        node_client(text, output_file=True)
    assert python_client(json.dumps({**FAILURE, "code": None}), output_file=False).code == "None"
    with pytest.raises(Rejected):
        go_client(json.dumps({**FAILURE, "code": None}), output_file=False)
    with pytest.raises(Rejected):
        go_client(json.dumps({**SUCCESS, "version": 1.0}), output_file=False)
