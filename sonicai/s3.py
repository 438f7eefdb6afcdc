"""The S3-compatible media storage's settings (django-storages' S3Storage), in one place for the settings and
the tests that run against a real S3 server."""

from __future__ import annotations


def s3_storage(bucket: str, endpoint_url: str | None, region: str | None, access_key: str | None,
               secret_key: str | None, link_expiry: int, connect_timeout: float = 10.0,
               read_timeout: float = 20.0) -> dict:
    """A STORAGES entry for the bucket."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url,
            "region_name": region,
            "access_key": access_key,
            "secret_key": secret_key,
            "querystring_auth": True,
            "querystring_expire": link_expiry,
            "default_acl": None,
            "file_overwrite": False,
            # botocore waits 60 s per try and tries 5 times: a stalled S3 then held every web thread for minutes
            # and /health went unanswered with them. A request now gives up in well under a minute.
            "client_config": Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                                    retries={"mode": "standard", "total_max_attempts": 2}),
        },
    }
