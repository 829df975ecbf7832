"""Configuration from the environment: the generated secret key."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from survey import config


def _key(instance: str, out) -> None:  # type: ignore[no-untyped-def]
    out.put(config._secret_key(Path(instance)))


def test_secret_key_is_generated_once_and_shared_by_racing_workers(tmp_path, monkeypatch):
    """Eight processes starting together on an empty instance folder all read the same key."""
    monkeypatch.delenv("SIPAS_SECRET_KEY", raising=False)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_key, args=(str(tmp_path / "instance"), out)) for _ in range(8)]
    for p in procs:
        p.start()
    keys = {out.get(timeout=30) for _ in procs}
    for p in procs:
        p.join(30)
    assert len(keys) == 1 and len(keys.pop()) >= 48
    assert [f.name for f in (tmp_path / "instance").iterdir()] == ["secret_key"]
    assert oct((tmp_path / "instance" / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_empty_key_file_is_an_error_not_an_empty_key(tmp_path, monkeypatch):
    """An empty secret_key file stops the start-up instead of signing with an empty key."""
    monkeypatch.delenv("SIPAS_SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="empty"):
        config._secret_key(tmp_path)


def test_environment_key_wins(tmp_path, monkeypatch):
    """SIPAS_SECRET_KEY is used as given and nothing is written."""
    monkeypatch.setenv("SIPAS_SECRET_KEY", "from-the-environment")
    assert config._secret_key(tmp_path / "i") == "from-the-environment"
    assert not (tmp_path / "i").exists()
