"""Replaces the contributed botocore hook, which collects every service model.

build/aws-wif-helper.spec adds the few data files the credential chain loads.
"""

datas: list[tuple[str, str]] = []
