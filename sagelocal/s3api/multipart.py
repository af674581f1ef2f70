"""Multipart upload: Create, UploadPart (streamed to disk), UploadPartCopy, Complete, Abort, ListParts,
ListMultipartUploads, with S3's rules and errors.

An upload is a folder ``<bucket>/.sagelocal-s3/uploads/<upload id>/``: ``upload.json`` (key, when), each part's
record in ``<n>.json`` (written after its bytes: a part is there once its record is) and its bytes in one of two
places:

- its slot in ``data``, at ``(n - 1) × stride``: the stride is the size of the first part of at least 5 MiB,
  and a part of at most that size whose number has no part yet is written there, so that when every part has
  the clients' usual one size (the last smaller), Complete truncates ``data`` and renames it into place without
  copying a byte;
- otherwise its own file ``<n>`` (a part uploaded again, a larger one, UploadPartCopy); Complete then copies
  the parts one after another into a new file.

A slot is claimed by one request at a time (``<n>.writing``, created exclusively); its writer holds a shared
``flock`` on ``data``, and Complete renames ``data`` only when it gets the lock exclusively (it copies otherwise).
The object's ETag is S3's for a multipart object: the MD5 of the parts' binary MD5s, then ``-<number of parts>``.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
from pathlib import Path

from starlette.responses import Response

from sagelocal.clock import utc_now
from sagelocal.s3api.errors import S3Error
from sagelocal.s3api.keyspace import check_key
from sagelocal.s3api.listing import encoder, max_count, rolled_up
from sagelocal.s3api.operations import OWNER, Call, source_object, xml_root
from sagelocal.s3api.spool import Received, TempFile, copy_range
from sagelocal.s3api.xml import document, element, iso
from sagelocal.storage.s3 import INTERNAL, temp_file

MIN_PART_BYTES = 5 * 1024 * 1024  # every part but the last
MAX_PART_BYTES = 5 * 1024 ** 3
MAX_PART_NUMBER = 10000
_LARGEST_OBJECT = 5 * 1024 ** 4  # S3's largest object: no slot lies beyond it (ext4 takes files of 16 TiB)
_DATA = "data"
_STRIDE = "stride"
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_COPY_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")
_INITIATOR = "<Initiator><ID>sagelocal</ID><DisplayName>sagelocal</DisplayName></Initiator>"


def _no_such_upload(upload_id: str) -> S3Error:
    return S3Error("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the "
                   "upload may have been aborted or completed.", 404, UploadId=upload_id)


def _uploads_folder(bucket_path: Path) -> Path:
    return bucket_path / INTERNAL / "uploads"


def upload_folder(call: Call) -> Path:
    """The folder of the upload ``?uploadId=`` names, for this bucket and key; NoSuchUpload otherwise."""
    check_key(call.key)
    upload_id = call.query.get("uploadId", "")
    folder = _uploads_folder(call.store.require_bucket(call.bucket)) / upload_id
    if not _UPLOAD_ID.match(upload_id) or _read_json(folder / "upload.json").get("key") != call.key:
        raise _no_such_upload(upload_id)
    return folder


def part_number(call: Call) -> int:
    text = call.query.get("partNumber", "")
    if not text.isdigit() or not 1 <= int(text) <= MAX_PART_NUMBER:
        raise S3Error("InvalidArgument", f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, "
                      "inclusive", 400, ArgumentName="partNumber", ArgumentValue=text)
    return int(text)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, value: dict) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value))
    os.replace(partial, path)


def _parts(folder: Path) -> dict[int, dict]:
    """The uploaded parts by number (each part's record)."""
    parts = {}
    for name in os.listdir(folder):
        if name.endswith(".json") and name[:-5].isdigit():
            record = _read_json(folder / name)
            if record:
                parts[int(name[:-5])] = record
    return parts


class PartSlot:
    """Part ``number``'s slot in the upload's ``data`` file, claimed by this request (see the module's text)."""

    def __init__(self, folder: Path, number: int, offset: int, size: int):
        self.path, self.offset, self.size = folder / _DATA, offset, size
        self._claim = folder / f"{number}.writing"

    def open(self):
        """``data``, open at the slot, under a shared lock; NoSuchUpload once the upload is completed or gone."""
        gone = _no_such_upload(self.path.parent.name)
        try:
            handle = os.fdopen(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644), "wb")
        except FileNotFoundError:
            raise gone from None
        try:
            fcntl.flock(handle, fcntl.LOCK_SH)
            if os.fstat(handle.fileno()).st_ino != os.stat(self.path).st_ino:  # completed since we opened it
                raise gone
            handle.seek(self.offset)
        except FileNotFoundError:
            handle.close()
            raise gone from None
        except BaseException:
            handle.close()
            raise
        return handle

    def too_large(self, size: int) -> S3Error | None:
        if size <= self.size:
            return None
        return S3Error("IncompleteBody", "You did not provide the number of bytes specified by the "
                       "X-Amz-Decoded-Content-Length HTTP header", 400)

    def discard(self) -> None:
        self._claim.unlink(missing_ok=True)


def _declared_size(headers: dict[str, str]) -> int | None:
    """The size of the part the request says it sends, before its body is read (None when it does not say)."""
    text = headers.get("x-amz-decoded-content-length") if headers.get("x-amz-content-sha256", "").startswith(
        "STREAMING-") else headers.get("content-length")
    return int(text) if text is not None and text.isdigit() else None


def _stride(folder: Path, size: int) -> int | None:
    """The upload's slot size: the first part of at least :data:`MIN_PART_BYTES` sets it, once."""
    path = folder / _STRIDE
    if not path.exists():
        if size < MIN_PART_BYTES:
            return None
        proposal = folder / f"{_STRIDE}.{secrets.token_hex(8)}"
        proposal.write_text(str(size))
        try:
            os.link(proposal, path)  # published whole, by one request only
        except FileExistsError:
            pass
        finally:
            proposal.unlink()
    return int(path.read_text())


def part_destination(call: Call, bucket_path: Path):
    """Where UploadPart's body goes: its slot when it can have it, else a temp file of the bucket.

    NoSuchUpload or InvalidArgument, before a byte is read, when the upload or part number is not one."""
    folder, number = upload_folder(call), part_number(call)
    try:
        slot = _claim_slot(folder, number, _declared_size(call.headers))
    except FileNotFoundError:  # completed or aborted since it was found
        raise _no_such_upload(folder.name) from None
    return slot or TempFile(bucket_path, MAX_PART_BYTES)


def _claim_slot(folder: Path, number: int, size: int | None) -> PartSlot | None:
    """Part ``number``'s slot, claimed for a body of ``size`` bytes; None when the part must go elsewhere."""
    stride = _stride(folder, size) if size is not None else None
    if stride is None or size > stride or number * stride > _LARGEST_OBJECT:
        return None
    claim = folder / f"{number}.writing"
    try:
        os.close(os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except FileExistsError:  # the same part is arriving twice at once
        return None
    if (folder / f"{number}.json").exists():  # uploaded again: the slot keeps the first until this one is whole
        claim.unlink()
        return None
    return PartSlot(folder, number, (number - 1) * stride, size)


# -- operations -------------------------------------------------------------------------------------
def create_multipart_upload(call: Call) -> Response:
    check_key(call.key)
    uploads = _uploads_folder(call.store.require_bucket(call.bucket))
    upload_id = secrets.token_urlsafe(48)
    (uploads / upload_id).mkdir(parents=True)
    _write_json(uploads / upload_id / "upload.json", {"key": call.key, "initiated": iso(utc_now())})
    headers = {}
    algorithm = call.headers.get("x-amz-checksum-algorithm")
    if algorithm:
        headers["x-amz-checksum-algorithm"] = algorithm
    return document("InitiateMultipartUploadResult", element("Bucket", call.bucket) + element("Key", call.key)
                    + element("UploadId", upload_id), headers=headers)


def _store_part(folder: Path, number: int, received: Received) -> str:
    """Record a part whose bytes are in its slot, or move them from their temp file to the part's own file."""
    record = {"etag": received.etag, "size": received.size, "md5": received.md5.hex(),
              "checksums": received.checksums, "last_modified": iso(utc_now())}
    if isinstance(received.destination, PartSlot):
        record["offset"] = received.destination.offset
    else:
        os.replace(received.path, folder / str(number))
    _write_json(folder / f"{number}.json", record)
    return received.etag


def upload_part(call: Call) -> Response:
    """The part's body was streamed into its destination (:func:`part_destination`) before this runs."""
    etag = _store_part(upload_folder(call), part_number(call), call.received)
    return Response(headers={"ETag": etag, **call.received.checksums})


def upload_part_copy(call: Call) -> Response:
    folder, number = upload_folder(call), part_number(call)
    source_bucket, source_key = source_object(call)
    _, source = call.store.find_object(source_bucket, source_key)
    first, last = _copy_range(call.headers.get("x-amz-copy-source-range"), source.stat().st_size)
    copied = copy_range(source, first, last, call.store.require_bucket(call.bucket))
    etag = _store_part(folder, number, copied)
    return document("CopyPartResult", element("LastModified", iso(utc_now())) + element("ETag", etag))


def _copy_range(header: str | None, size: int) -> tuple[int, int]:
    """The source bytes to copy: all, or ``bytes=first-last`` (both given, inside the object, as S3 requires)."""
    if header is None:
        return 0, size - 1
    match = _COPY_RANGE.match(header)
    if not match or int(match[1]) > int(match[2]) or int(match[2]) >= size:
        raise S3Error("InvalidArgument", f"Range specified is not valid for source object of size: {size}", 400,
                      ArgumentName="x-amz-copy-source-range", ArgumentValue=header)
    return int(match[1]), int(match[2])


def _requested_parts(call: Call) -> list[tuple[int, str, dict]]:
    """``(number, etag, checksums)`` of each ``<Part>`` of the CompleteMultipartUpload document."""
    root, space = xml_root(call.body)
    requested = []
    for node in root.findall(f"{space}Part"):
        number = (node.findtext(f"{space}PartNumber") or "").strip()
        if not number.isdigit():
            raise S3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                          "our published schema", 400)
        checksums = {f"x-amz-checksum-{child.tag[len(space) + len('Checksum'):].lower()}": (child.text or "").strip()
                     for child in node if child.tag.startswith(f"{space}Checksum")}
        requested.append((int(number), (node.findtext(f"{space}ETag") or "").strip(), checksums))
    if not requested:
        raise S3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against our "
                      "published schema", 400)
    return requested


def _invalid_part(number: int) -> S3Error:
    return S3Error("InvalidPart", "One or more of the specified parts could not be found.  The part may not have "
                   "been uploaded, or the specified entity tag may not match the part's entity tag.", 400,
                   PartNumber=str(number))


def complete_multipart_upload(call: Call) -> Response:
    folder = upload_folder(call)
    requested, uploaded = _requested_parts(call), _parts(folder)
    numbers = [number for number, _, _ in requested]
    if numbers != sorted(set(numbers)):
        raise S3Error("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by "
                      "part number.", 400)
    for index, (number, etag, checksums) in enumerate(requested):
        part = uploaded.get(number)
        if part is None or etag.strip('"') != part["etag"].strip('"') or any(
                part["checksums"].get(name, value) != value for name, value in checksums.items()):
            raise _invalid_part(number)
        if index < len(requested) - 1 and part["size"] < MIN_PART_BYTES:
            raise S3Error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400,
                          ProposedSize=str(part["size"]), MinSizeAllowed=str(MIN_PART_BYTES),
                          PartNumber=str(number), ETag=part["etag"])
    md5s = b"".join(bytes.fromhex(uploaded[number]["md5"]) for number in numbers)
    etag = f'"{hashlib.md5(md5s, usedforsecurity=False).hexdigest()}-{len(numbers)}"'
    parts = [(folder / _DATA if "offset" in uploaded[number] else folder / str(number),
              uploaded[number].get("offset", 0), uploaded[number]["size"]) for number in numbers]
    if not _place_data_whole(call, folder, parts, etag):
        call.store.place(call.bucket, call.key, _join(call.store.require_bucket(call.bucket), parts), etag)
    shutil.rmtree(folder, ignore_errors=True)
    location = f"/{call.bucket}/{call.key}"
    return document("CompleteMultipartUploadResult", element("Location", location) + element("Bucket", call.bucket)
                    + element("Key", call.key) + element("ETag", etag))


def _place_data_whole(call: Call, folder: Path, parts: list[tuple[Path, int, int]], etag: str) -> bool:
    """Make ``data`` the object when the parts lie in it one after another from its start and no part is being
    written into it; False (nothing done) otherwise."""
    data, end = folder / _DATA, 0
    for path, offset, size in parts:
        if path != data or offset != end:
            return False
        end += size
    with data.open("r+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a part is being written into its slot: copy the parts out instead
            return False
        handle.truncate(end)  # parts uploaded but not completed are left out
        call.store.place(call.bucket, call.key, data, etag)
    return True


def _join(bucket_path: Path, parts: list[tuple[Path, int, int]]) -> Path:
    """The parts' bytes (``(file, offset, size)`` each) one after another in a temp file of the bucket, copied
    by the kernel where it can."""
    with temp_file(bucket_path) as target:
        try:
            for path, offset, size in parts:
                _append(path, offset, size, target)
        except BaseException:
            target.close()
            os.unlink(target.name)
            raise
    return Path(target.name)


def _append(path: Path, offset: int, size: int, target) -> None:
    with path.open("rb") as source:
        start = target.seek(0, os.SEEK_END)
        try:
            left = size
            while left > 0 and (copied := os.copy_file_range(source.fileno(), target.fileno(), left,
                                                             offset + size - left)):
                left -= copied
        except OSError:  # a file system without copy_file_range: copy through user space
            target.seek(start)
            target.truncate()
            source.seek(offset)
            left = size
            while left > 0 and (block := source.read(min(left, 1 << 20))):
                target.write(block)
                left -= len(block)


def abort_multipart_upload(call: Call) -> Response:
    shutil.rmtree(upload_folder(call))
    return Response(status_code=204)


def list_parts(call: Call) -> Response:
    folder = upload_folder(call)
    marker_text = call.query.get("part-number-marker", "0")
    marker = int(marker_text) if marker_text.isdigit() else 0
    limit = max_count(call.query, "max-parts")
    parts = _parts(folder)
    numbers = sorted(number for number in parts if number > marker)
    shown = numbers[:limit]
    body = [element("Bucket", call.bucket), element("Key", call.key), element("UploadId", call.query["uploadId"]),
            element("PartNumberMarker", marker), element("NextPartNumberMarker", shown[-1] if shown else 0),
            element("MaxParts", limit), element("IsTruncated", "true" if len(numbers) > limit else "false"),
            _INITIATOR, OWNER, element("StorageClass", "STANDARD")]
    for number in shown:
        part = parts[number]
        body.append("<Part>" + element("PartNumber", number) + element("LastModified", part["last_modified"])
                    + element("ETag", part["etag"]) + element("Size", part["size"]) + "</Part>")
    return document("ListPartsResult", "".join(body))


def list_multipart_uploads(call: Call) -> Response:
    """Uploads in progress, by key then initiation, with prefix, delimiter, markers and max-uploads."""
    uploads_folder = _uploads_folder(call.store.require_bucket(call.bucket))
    query, encode = call.query, encoder(call.query)
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    key_marker, id_marker = query.get("key-marker", ""), query.get("upload-id-marker", "")
    limit = max_count(query, "max-uploads")
    uploads = []
    for upload_id in os.listdir(uploads_folder) if uploads_folder.is_dir() else ():
        record = _read_json(uploads_folder / upload_id / "upload.json")
        if record and record["key"].startswith(prefix):
            uploads.append((record["key"].encode(), record["initiated"], upload_id, record["key"]))
    uploads.sort()
    shown, prefixes, truncated = [], [], False
    for sort_key, initiated, upload_id, key in uploads:
        if key_marker and (sort_key < key_marker.encode() or (
                sort_key == key_marker.encode() and (not id_marker or upload_id <= id_marker))):
            continue
        entry = rolled_up(key, prefix, delimiter)
        if entry != key and prefixes and prefixes[-1] == entry:
            continue
        if len(shown) + len(prefixes) == limit:
            truncated = True
            break
        if entry != key:
            prefixes.append(entry)
        else:
            shown.append((key, upload_id, initiated))
    body = [element("Bucket", call.bucket), element("KeyMarker", encode(key_marker)),
            element("UploadIdMarker", id_marker)]
    if truncated and shown:
        body += [element("NextKeyMarker", encode(shown[-1][0])), element("NextUploadIdMarker", shown[-1][1])]
    if delimiter:
        body.append(element("Delimiter", encode(delimiter)))
    body += [element("Prefix", encode(prefix)), element("MaxUploads", limit),
             element("IsTruncated", "true" if truncated else "false")]
    if query.get("encoding-type") == "url":
        body.append(element("EncodingType", "url"))
    for key, upload_id, initiated in shown:
        body.append("<Upload>" + element("Key", encode(key)) + element("UploadId", upload_id) + _INITIATOR + OWNER
                    + element("StorageClass", "STANDARD") + element("Initiated", initiated) + "</Upload>")
    body += [f"<CommonPrefixes>{element('Prefix', encode(p))}</CommonPrefixes>" for p in prefixes]
    return document("ListMultipartUploadsResult", "".join(body))
