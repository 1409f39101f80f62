"""The fitted n-gram models are cached on disk, keyed by what they are made from (issue 16)."""

from __future__ import annotations

import shutil

import pytest

from intake import model, model_cache
from tests.conftest import ROOT


@pytest.fixture
def cache(tmp_path, monkeypatch):
    where = tmp_path / "cache"
    monkeypatch.setenv("INTAKE_MODEL_CACHE", str(where))
    model.trained.cache_clear()
    yield where
    model.trained.cache_clear()


@pytest.fixture
def rules(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy)
    return copy


def test_a_process_reads_the_cached_models_instead_of_training(cache, rules):
    # What is cached under the rules' key is what trained() returns: nothing is retrained.
    sentinel = model.Models(intent=None, group=None, examples=-1)  # type: ignore[arg-type]
    model_cache.save(model_cache.key(rules, model.SEED), sentinel)
    assert model.trained(str(rules)).examples == -1


def test_trained_models_are_written_and_read_back(cache, rules):
    # The first process trains and writes the cache; the next one reads the same predictions.
    first = model.trained(str(rules))
    assert list(cache.glob("*.pickle"))
    model.trained.cache_clear()
    again = model.trained(str(rules))
    assert again is not first and again.examples == first.examples
    text = "Nous souhaiterions rejoindre le groupe sur le coût du cycle de vie."
    assert again.intent.predict(text) == first.intent.predict(text)


def test_a_changed_training_file_makes_a_new_key(rules):
    # Editing a phrase bank (or any rules file) never reads a model trained before the edit.
    before = model_cache.key(rules, model.SEED)
    bank = next((rules / "training").glob("phrases_*.toml"))
    bank.write_text(bank.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert model_cache.key(rules, model.SEED) != before
    assert model_cache.key(rules, model.SEED + 1) != model_cache.key(rules, model.SEED)


def test_a_damaged_cache_file_is_ignored(cache, rules):
    # A truncated or foreign file is not fatal: load says nothing and the models are trained.
    name = model_cache.key(rules, model.SEED)
    cache.mkdir(mode=0o700)
    (cache / f"{name}.pickle").write_bytes(b"not a pickle")
    assert model_cache.load(name) is None


def test_a_file_others_can_write_is_never_read(cache):
    # A pickle runs code when loaded: a group- or world-writable file is ignored.
    model_cache.save("k", {"a": 1})
    assert model_cache.load("k") == {"a": 1}
    (cache / "k.pickle").chmod(0o666)
    assert model_cache.load("k") is None


def test_caching_can_be_turned_off(tmp_path, monkeypatch):
    # INTAKE_MODEL_CACHE=off writes nothing and reads nothing.
    monkeypatch.setenv("INTAKE_MODEL_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    model_cache.save("k", {"a": 1})
    assert model_cache.load("k") is None
    assert not list(tmp_path.rglob("*.pickle"))


def test_only_the_most_recent_models_are_kept(cache):
    # Each edit of the rules or upgrade leaves a model behind; all but the KEEP newest go.
    import os

    for n in range(model_cache.KEEP + 3):
        model_cache.save(f"model-{n}", {"n": n})
        os.utime(cache / f"model-{n}.pickle", (1_000_000 + n, 1_000_000 + n))
    model_cache.save("newest", {"n": "newest"})
    kept = sorted(path.stem for path in cache.glob("*.pickle"))
    assert len(kept) == model_cache.KEEP and "newest" in kept
    assert "model-0" not in kept and f"model-{model_cache.KEEP + 2}" in kept
