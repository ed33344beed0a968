"""The botocore session of one run, with every call to an AWS service bounded by the deadline.

Service clients (STS for assume-role and web identity, the IAM Identity Center
portal and its OIDC service) are made by botocore while the chain is walked.
They all inherit from this session:

* a default client config with a connect timeout of a quarter of what is
  left (at most 1 s) and two attempts (botocore's "standard" retries:
  throttling, 5xx and connection errors are retried once, after a backoff
  under a second);
* a `before-send` hook that gives every attempt a read timeout of what is left
  of the deadline, and names the call within the deadline's step, so that a
  hanging endpoint is reported as, for example, "... while fetching AWS
  credentials from an assume-role profile (role_arn), calling STS AssumeRole
  for arn:aws:iam::111122223333:role/app at https://sts.eu-west-1.amazonaws.com/".

The metadata endpoints are not service clients; `helper.instance_metadata` and
`helper.container_credentials` bound those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from helper.deadline import Deadline
from helper.options import HelperOptions
from helper.redact import shown_url

if TYPE_CHECKING:
    import botocore.session

__all__ = ["connect_timeout_seconds", "open_session"]

_SERVICE_ATTEMPTS = 2
_CONNECT_TIMEOUT_CAP_SECONDS = 1.0

# How a person calls the services botocore talks to while finding credentials.
_SERVICE_NAMES = {"sts": "STS", "sso": "the IAM Identity Center portal", "sso-oidc": "SSO OIDC"}


def connect_timeout_seconds(deadline: Deadline) -> float:
    """A quarter of what is left of the deadline, at most 1 s.

    A healthy endpoint connects in milliseconds; one that does not should
    leave time for a retry, the rest of the run and a useful answer.
    """
    return deadline.timeout_seconds(share=1 / 4, cap_seconds=_CONNECT_TIMEOUT_CAP_SECONDS)


def open_session(options: HelperOptions, deadline: Deadline) -> botocore.session.Session:
    """A botocore session for the chosen profile whose service calls respect `deadline`."""
    # Imported here: only runs that need a session pay for botocore.client.
    import botocore.config
    import botocore.session

    session = botocore.session.Session(profile=options.profile)
    session.set_default_client_config(
        botocore.config.Config(
            connect_timeout=connect_timeout_seconds(deadline),
            read_timeout=deadline.timeout_seconds(),
            retries={"total_max_attempts": _SERVICE_ATTEMPTS, "mode": "standard"},
        )
    )

    steps = _ServiceCallSteps(deadline)
    session.register("before-parameter-build", steps.note_role)
    session.register("before-send", steps.before_send)
    return session


class _ServiceCallSteps:
    """Names each service call within the deadline's step, and bounds its read timeout."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline
        self._role_arn: str | None = None

    def note_role(self, params: dict[str, Any], **_: Any) -> None:
        """Remember the role an AssumeRole* call is for; the step names it."""
        role_arn = params.get("RoleArn")
        self._role_arn = role_arn if isinstance(role_arn, str) else None

    def before_send(self, request: Any, event_name: str, **_: Any) -> None:
        # event_name is "before-send.SERVICE.OPERATION".
        _event, service, operation = event_name.split(".", 2)
        role = f" for {self._role_arn}" if self._role_arn and "Role" in operation else ""
        self._deadline.calling(
            f"calling {_SERVICE_NAMES.get(service, service)} {operation}{role} "
            f"at {shown_url(request.url)}"
        )
        request.context["read_timeout"] = self._deadline.timeout_seconds()
