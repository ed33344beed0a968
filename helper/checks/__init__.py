"""What `aws-wif-helper doctor` checks, one module per side of the set-up.

    report.py         the result of one check (ok, warn, fail) and the report of them all
    aws_side.py       where botocore's chain finds credentials, the region and STS endpoint
    config_side.py    the credential config's fields, as the clients read them
    command_side.py   the command: how each client splits it, what it runs, its options
    output_file_side.py  the cache folder and the cached response in it
    exchange.py       a real run of the helper and the token exchange with Google's STS

Each module adds `Check`s to a `Report`; a check's name (`config.timeout`) is
stable, so scripts and tests can look for it.
"""
