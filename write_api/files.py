"""Submitted files in S3 (any S3-compatible endpoint), through boto3 in a worker thread."""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING, BinaryIO, Protocol

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from commands.submissions import UploadedFile
from write_api.problems import ProblemError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHUNK = 1024 * 1024


class _Measured:
    """A read-only file wrapper that hashes and counts what boto3 reads, and stops at a limit."""

    def __init__(self, source: BinaryIO, limit: int) -> None:
        self._source = source
        self._limit = limit
        self.size = 0
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size if size and size > 0 else CHUNK)
        self.size += len(chunk)
        if self.size > self._limit:
            raise ProblemError(413, f"the file is larger than {self._limit} bytes", field="file")
        self.digest.update(chunk)
        return chunk


class S3Settings(Protocol):
    @property
    def s3_endpoint_url(self) -> str: ...
    @property
    def s3_bucket(self) -> str: ...
    @property
    def s3_region(self) -> str: ...
    @property
    def s3_access_key_id(self) -> str: ...
    @property
    def s3_secret_access_key(self) -> str: ...


class S3FileStore:
    """Empty credentials mean boto3's default chain (instance role, environment, files)."""

    def __init__(
        self, endpoint_url: str | None, bucket: str, region: str, key_id: str = "", secret: str = ""
    ) -> None:
        self.bucket = bucket
        self._client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            aws_access_key_id=key_id or None,
            aws_secret_access_key=secret or None,
            config=Config(signature_version="s3v4", retries={"max_attempts": 3}),
        )
        # Multipart above 8 MiB, one part at a time: the wrapper hashes in read order.
        self._transfer = TransferConfig(multipart_threshold=8 * CHUNK, use_threads=False)

    @classmethod
    def from_config(cls, config: S3Settings) -> S3FileStore:
        return cls(
            config.s3_endpoint_url,
            config.s3_bucket,
            config.s3_region,
            config.s3_access_key_id,
            config.s3_secret_access_key,
        )

    def client(self) -> S3Client:
        return self._client

    def ensure_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self._client.create_bucket(Bucket=self.bucket)

    def _put(self, key: str, source: BinaryIO, max_size: int) -> UploadedFile:
        measured = _Measured(source, max_size)
        self._client.upload_fileobj(
            measured,  # type: ignore[arg-type]  # a file-like object is all boto3 needs
            self.bucket,
            key,
            ExtraArgs={"ContentType": "application/pdf"},
            Config=self._transfer,
        )
        return UploadedFile(key=key, size=measured.size, sha256=measured.digest.hexdigest())

    async def put_pdf(self, key: str, source: BinaryIO, max_size: int) -> UploadedFile:
        return await asyncio.to_thread(self._put, key, source, max_size)

    async def get(self, key: str, max_size: int) -> bytes | None:
        """An object's bytes (None: no such object); larger than ``max_size``: the first
        ``max_size + 1`` bytes only, enough to tell it is too large."""

        def read() -> bytes | None:
            try:
                answer = self._client.get_object(
                    Bucket=self.bucket, Key=key, Range=f"bytes=0-{max_size}"
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
            return answer["Body"].read()

        return await asyncio.to_thread(read)

    def download_url(self, key: str, expires_in: int) -> str:
        """A presigned GET for one object (signed locally, no request to S3)."""
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=key)
