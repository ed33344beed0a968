"""End to end, one test per family of sources: a real Google client runs the helper.

For each client (Python google-auth, Node google-auth-library) and each build
(frozen, module), the client runs the helper from a credential config; the
helper gets its AWS credentials from a stand-in; the Google STS stand-in
accepts the subject token only if it verifies, as AWS would, for the key that
source hands out, and records whose key it was.
"""

from __future__ import annotations

from pathlib import Path

from tests.harness import Client, MakeConfig
from tests.standins.aws_keys import ACCOUNT_ID, LONG_TERM_KEY, SESSION_KEY
from tests.standins.aws_sts import AwsStsStandIn
from tests.standins.container import ContainerCredentialsStandIn
from tests.standins.credential_process import write_credential_process
from tests.standins.google_sts import GoogleStsStandIn
from tests.standins.imds import InstanceMetadataStandIn
from tests.standins.sso import SSO_REGION, START_URL, SsoStandIn
from tests.test_sources.workload import Workload

APP_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/app"
GOOGLE_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/google-federation"
IRSA_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/irsa-app"
PROJECTED_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwIn0.c2ln"


def _get_token(client: Client, make_config: MakeConfig, workload: Workload, *options: str) -> str:
    """The access token the client got from the Google STS stand-in; fails if it got none."""
    command = " ".join([workload.helper.command_line, *options])
    result = client.get_token(make_config(command))
    assert result.ok, result.error
    assert result.token
    return result.token


def test_assume_role_profile_through_a_real_client(
    client: Client,
    make_config: MakeConfig,
    workload: Workload,
    sts: AwsStsStandIn,
    google_sts: GoogleStsStandIn,
) -> None:
    sts.know(LONG_TERM_KEY)
    sts.on_issue.append(google_sts.register)
    workload.point_at(sts=sts)
    workload.write_credentials(
        f"[base]\naws_access_key_id = {LONG_TERM_KEY.access_key_id}\n"
        f"aws_secret_access_key = {LONG_TERM_KEY.secret_access_key}\n"
    )
    workload.write_config(f"[profile app]\nrole_arn = {APP_ROLE}\nsource_profile = base\n")

    token = _get_token(client, make_config, workload, "--profile", "app")

    [issued] = sts.issued_for(APP_ROLE)
    assert google_sts.subject_of(token) == issued.arn


def test_role_arn_hop_through_a_real_client(
    client: Client,
    make_config: MakeConfig,
    workload: Workload,
    sts: AwsStsStandIn,
    google_sts: GoogleStsStandIn,
) -> None:
    sts.know(SESSION_KEY)
    sts.on_issue.append(google_sts.register)
    workload.point_at(sts=sts)
    workload.use_key(SESSION_KEY)

    token = _get_token(client, make_config, workload, "--role-arn", GOOGLE_ROLE)

    [issued] = sts.issued_for(GOOGLE_ROLE)
    assert google_sts.accepted_subjects == [issued.arn]
    assert google_sts.subject_of(token) == issued.arn


def test_web_identity_through_a_real_client(
    client: Client,
    make_config: MakeConfig,
    workload: Workload,
    sts: AwsStsStandIn,
    google_sts: GoogleStsStandIn,
) -> None:
    sts.accept_web_identity(PROJECTED_TOKEN)
    sts.on_issue.append(google_sts.register)
    workload.point_at(sts=sts)
    token_file = workload.write_file("eks-token", PROJECTED_TOKEN)
    workload.set(AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file), AWS_ROLE_ARN=IRSA_ROLE)

    token = _get_token(client, make_config, workload)

    [issued] = sts.issued_for(IRSA_ROLE)
    assert google_sts.subject_of(token) == issued.arn


def test_container_credentials_through_a_real_client(
    client: Client,
    make_config: MakeConfig,
    workload: Workload,
    container_agent: ContainerCredentialsStandIn,
    google_sts: GoogleStsStandIn,
) -> None:
    google_sts.register(container_agent.key)
    workload.point_at(container_agent=container_agent)

    token = _get_token(client, make_config, workload)

    assert google_sts.subject_of(token) == container_agent.key.arn


def test_instance_metadata_through_a_real_client(
    client: Client,
    make_config: MakeConfig,
    workload: Workload,
    imds: InstanceMetadataStandIn,
    google_sts: GoogleStsStandIn,
) -> None:
    google_sts.register(imds.key)
    workload.point_at(imds=imds)

    token = _get_token(client, make_config, workload)

    assert google_sts.subject_of(token) == imds.key.arn
    assert imds.unauthenticated_reads == 0


def test_sso_profile_through_a_real_client(
    client: Client,
    make_config: MakeConfig,
    workload: Workload,
    sso: SsoStandIn,
    google_sts: GoogleStsStandIn,
) -> None:
    sso.on_issue.append(google_sts.register)
    workload.point_at(sso=sso)
    workload.write_config(
        f"[profile dev]\nsso_session = corp\nsso_account_id = {ACCOUNT_ID}\n"
        "sso_role_name = WorkloadAccess\n"
        f"[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = {SSO_REGION}\n"
    )
    sso.log_in(workload.home, session_name="corp")

    token = _get_token(client, make_config, workload, "--profile", "dev")

    [issued] = sso.issued
    assert google_sts.subject_of(token) == issued.arn


def test_credential_process_through_a_real_client(
    client: Client,
    make_config: MakeConfig,
    workload: Workload,
    google_sts: GoogleStsStandIn,
    tmp_path: Path,
) -> None:
    command = write_credential_process(tmp_path / "process", SESSION_KEY)
    workload.write_config(f"[profile batch]\ncredential_process = {command}\n")

    token = _get_token(client, make_config, workload, "--profile", "batch")

    assert google_sts.subject_of(token) == SESSION_KEY.arn
