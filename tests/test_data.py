"""Offline, missing or corrupted data gives a clear bilingual message, never a raw ConnectionError.

We execute the standard setup cell in an empty directory and call its `fetch_data`, with the
network cut off (requests.get raises ConnectionError, as it does offline)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest
import requests
from nb import SETUP_CELL

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "data"
FILES = {"timemachine.txt": "090b5e7e70c295757f55df93cb0a180b9691891a",
         "fra-eng.zip": "94646ad1522d915e7b0f9296181140edcf86a4f5"}


@pytest.fixture
def setup_namespace(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise requests.exceptions.ConnectionError("no network in this test")

    monkeypatch.setattr(requests, "get", offline)
    (tmp_path / "notebook").mkdir()
    monkeypatch.chdir(tmp_path / "notebook")  # so "../data" is tmp_path/data, like chapters/ → data/
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(SETUP_CELL, "setup_cell", "exec"), namespace)
    return namespace, tmp_path / "data"


@pytest.mark.parametrize("name", FILES)
def test_missing_file_offline_says_how_to_get_it(setup_namespace, name):
    namespace, data = setup_namespace
    with pytest.raises(FileNotFoundError) as error:
        namespace["fetch_data"](name)
    message = str(error.value)
    assert name in message and "d2l-data" in message and str(data) in message
    assert "缺失或损坏" in message and "missing or corrupted" in message


@pytest.mark.parametrize("name", FILES)
def test_corrupted_file_is_not_used(setup_namespace, name):
    namespace, data = setup_namespace
    data.mkdir()
    (data / name).write_bytes(b"<html>an error page saved instead of the data</html>")
    with pytest.raises(FileNotFoundError, match="missing or corrupted"):
        namespace["fetch_data"](name)


@pytest.mark.parametrize("name", FILES)
def test_verified_cache_is_used_without_network(setup_namespace, name):
    source = SHARED / name
    if not source.exists():
        pytest.skip(f"{source} is not here (.ci/run copies it from ../shared/data)")
    namespace, data = setup_namespace
    data.mkdir()
    shutil.copy(source, data / name)
    path = namespace["fetch_data"](name)
    assert os.path.samefile(path, data / name)
    assert hashlib.sha1(Path(path).read_bytes()).hexdigest() == FILES[name]
