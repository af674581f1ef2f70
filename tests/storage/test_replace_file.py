"""Putting a finished file in place of another: atomic for readers, and the old file gone."""
import os
import time

import pytest

from sagelocal.storage.s3 import replace_file


def _gone(path, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not path.exists()


def test_replacing_a_file_swaps_it_whole_and_deletes_the_old_one(tmp_path):
    target, finished = tmp_path / "object", tmp_path / "finished"
    target.write_bytes(b"old" * 1000)
    finished.write_bytes(b"new" * 1000)
    new_inode = finished.stat().st_ino
    with target.open("rb") as reader:  # a GET that started before the replacement
        replace_file(finished, target)
        assert reader.read() == b"old" * 1000
    assert target.read_bytes() == b"new" * 1000 and target.stat().st_ino == new_inode
    assert _gone(finished)  # the old file, deleted in the background


def test_a_new_name_is_a_plain_rename(tmp_path):
    finished = tmp_path / "finished"
    finished.write_bytes(b"body")
    replace_file(finished, tmp_path / "object")
    assert (tmp_path / "object").read_bytes() == b"body" and not finished.exists()


def test_a_folder_or_a_link_in_the_way_is_never_swapped(tmp_path):
    """os.replace's own errors, not an exchange that would put the file's name on a folder."""
    finished, folder = tmp_path / "finished", tmp_path / "folder"
    finished.write_bytes(b"body")
    folder.mkdir()
    (folder / "inside").write_bytes(b"x")
    with pytest.raises(IsADirectoryError):
        replace_file(finished, folder)
    assert (folder / "inside").read_bytes() == b"x" and finished.read_bytes() == b"body"
    outside = tmp_path / "outside"
    outside.write_bytes(b"kept")
    os.symlink(outside, tmp_path / "link")
    replace_file(finished, tmp_path / "link")
    assert (tmp_path / "link").read_bytes() == b"body" and not (tmp_path / "link").is_symlink()
    assert outside.read_bytes() == b"kept"
