"""`--role-arn`: one AssumeRole on top of whatever credentials the chain found.

The common set-up gives Google's workload identity provider trust in one AWS
role, and lets each workload reach that role with what it already has (an
instance profile, a task role, IRSA, an SSO profile...):

    aws-wif-helper --role-arn arn:aws:iam::111122223333:role/google-federation

The subject token is then signed with the role's temporary keys, so Google sees
`arn:aws:sts::111122223333:assumed-role/google-federation/SESSION`.
`--role-session-name` and `--external-id` are passed to AssumeRole as given.
"""

from __future__ import annotations

import datetime
import time
from typing import TYPE_CHECKING

import botocore.exceptions

from helper.aws_errors import translate
from helper.credentials import AwsCredentials
from helper.deadline import Deadline
from helper.endpoint import GLOBAL_SIGNING_REGION
from helper.options import HelperOptions
from helper.redact import shorten

if TYPE_CHECKING:
    import botocore.session

__all__ = ["DURATION_SECONDS", "ROLE_ARN_SOURCE", "assume_role"]

# AssumeRole's shortest session. A subject token lives at most 15 minutes
# (AWS refuses older signatures), so longer sessions would only widen exposure.
DURATION_SECONDS = 900
ROLE_ARN_SOURCE = "role-arn"
_DEFAULT_SESSION_NAME_PREFIX = "aws-wif-helper-"


def assume_role(
    session: botocore.session.Session,
    base: AwsCredentials,
    options: HelperOptions,
    region: str | None,
    deadline: Deadline,
) -> AwsCredentials:
    """Assume `options.role_arn` with `base` credentials; return the role's temporary keys."""
    assert options.role_arn is not None
    caller = f"{shorten(base.access_key)} from {base.source_name}"
    deadline.begin("assuming the role of --role-arn")

    # Without a region, botocore's default STS endpoint is the global one.
    client = session.create_client(
        "sts",
        region_name=region or GLOBAL_SIGNING_REGION,
        aws_access_key_id=base.access_key,
        aws_secret_access_key=base.secret_key,
        aws_session_token=base.token,
    )
    parameters: dict[str, object] = {
        "RoleArn": options.role_arn,
        "RoleSessionName": options.role_session_name or _default_session_name(),
        "DurationSeconds": DURATION_SECONDS,
    }
    if options.external_id is not None:
        parameters["ExternalId"] = options.external_id

    try:
        answer = client.assume_role(**parameters)
    except botocore.exceptions.ClientError as error:
        raise translate(error, deadline.step, caller=caller) from None

    issued = answer["Credentials"]
    expiry: datetime.datetime = issued["Expiration"]
    return AwsCredentials(
        access_key=issued["AccessKeyId"],
        secret_key=issued["SecretAccessKey"],
        token=issued["SessionToken"],
        expiry=expiry,
        source=ROLE_ARN_SOURCE,
    )


def _default_session_name() -> str:
    """A session name that tells CloudTrail readers which tool made it, and when."""
    return f"{_DEFAULT_SESSION_NAME_PREFIX}{int(time.time())}"
