"""Replaces the contributed dateutil hook, which collects the bundled time zone tarball.

dateutil.zoneinfo is excluded in build/aws-wif-helper.spec: botocore never
calls gettz, so the tarball would be unpacked on every run for nothing.
"""

datas: list[tuple[str, str]] = []
