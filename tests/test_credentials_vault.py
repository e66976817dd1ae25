"""The vault: AES-GCM round trip, key ids, bound associated data, key rings and key files."""

import base64
import stat

import pytest

from credentials.vault import (
    CredentialsKeyError,
    DecryptionError,
    Vault,
    add_key_to_file,
    format_key_entry,
    generate_key,
    key_file_path,
    load_key_ring,
    parse_key_ring,
    remove_keys_from_file,
)
from tests.conftest import make_settings

CTX = ("0b8f2c1e-0000-4000-8000-000000000001", "github", "GITHUB_TOKEN")


def ring(*kids: str) -> dict[str, bytes]:
    return {kid: generate_key() for kid in kids}


def test_round_trip_and_ciphertext_is_not_plaintext() -> None:
    vault = Vault(ring("a"))
    sealed = vault.encrypt(CTX, "ghp_secretvalue123")
    assert sealed.key_id == "a"
    assert b"ghp_secretvalue123" not in sealed.ciphertext
    assert len(sealed.nonce) == 12
    assert vault.decrypt(CTX, sealed) == "ghp_secretvalue123"
    # a fresh nonce every time
    assert vault.encrypt(CTX, "x").nonce != vault.encrypt(CTX, "x").nonce


def test_wrong_key_fails() -> None:
    sealed = Vault(ring("a")).encrypt(CTX, "value")
    with pytest.raises(DecryptionError) as info:
        Vault(ring("a")).decrypt(CTX, sealed)  # same id, different key
    assert "value" not in str(info.value)
    with pytest.raises(DecryptionError, match="unknown credentials key id"):
        Vault(ring("b")).decrypt(CTX, sealed)


@pytest.mark.parametrize(
    "other",
    [
        ("0b8f2c1e-0000-4000-8000-000000000002", "github", "GITHUB_TOKEN"),  # another user
        (CTX[0], "slack", "GITHUB_TOKEN"),  # another server
        (CTX[0], "github", "OTHER"),  # another name
    ],
)
def test_associated_data_prevents_swapping_rows(other: tuple[str, ...]) -> None:
    vault = Vault(ring("a"))
    sealed = vault.encrypt(CTX, "value")
    with pytest.raises(DecryptionError):
        vault.decrypt(other, sealed)


def test_ring_decrypts_old_keys_and_encrypts_with_the_first() -> None:
    old_keys, new_key = ring("old"), generate_key()
    sealed = Vault(old_keys).encrypt(CTX, "value")
    rotated = Vault({"new": new_key, **old_keys})
    assert rotated.active_key_id == "new"
    assert rotated.decrypt(CTX, sealed) == "value"
    again = rotated.reencrypt(CTX, sealed)
    assert again.key_id == "new"
    assert Vault({"new": new_key}).decrypt(CTX, again) == "value"  # old key no longer needed


def test_parse_key_ring_formats_and_errors() -> None:
    key = generate_key()
    entry = format_key_entry(key, "k1")
    assert parse_key_ring(entry) == {"k1": key}
    bare = base64.b64encode(key).decode()
    (kid,) = parse_key_ring(bare)
    assert kid.startswith("k") and parse_key_ring(bare) == parse_key_ring(bare)
    two = parse_key_ring(f"{entry}, {format_key_entry(generate_key(), 'k0')}")
    assert list(two) == ["k1", "k0"]
    for bad in [
        "",
        "k1:notbase64!!",
        "k1:" + base64.b64encode(b"short").decode(),
        f"{entry},{entry}",
        "bad id:" + bare,
    ]:
        with pytest.raises(CredentialsKeyError):
            parse_key_ring(bad)


def test_missing_key_with_external_database_is_a_clear_error(tmp_path) -> None:
    settings = make_settings(
        tmp_path, database_url="postgresql://db.example/app", credentials_key=None
    )
    with pytest.raises(CredentialsKeyError, match="CREDENTIALS_KEY is not set"):
        load_key_ring(settings)


def test_environment_key_wins(tmp_path) -> None:
    entry = format_key_entry(generate_key(), "env1")
    settings = make_settings(tmp_path, credentials_key=entry)
    assert list(load_key_ring(settings)) == ["env1"]
    assert not key_file_path(settings).exists()


def test_embedded_key_file_is_created_private_and_reused(tmp_path) -> None:
    settings = make_settings(tmp_path / "data", credentials_key=None)
    first = load_key_ring(settings)
    path = key_file_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key_ring(settings) == first
    with pytest.raises(CredentialsKeyError, match="does not exist"):
        load_key_ring(make_settings(tmp_path / "other", credentials_key=None), create=False)


def test_key_file_rotation_helpers(tmp_path) -> None:
    settings = make_settings(tmp_path, credentials_key=None)
    (old_kid,) = load_key_ring(settings)
    new_kid = add_key_to_file(settings)
    assert list(load_key_ring(settings)) == [new_kid, old_kid]
    remove_keys_from_file(settings, keep=[new_kid])
    assert list(load_key_ring(settings)) == [new_kid]
    assert stat.S_IMODE(key_file_path(settings).stat().st_mode) == 0o600


def test_corrupt_key_file_is_a_clear_error(tmp_path) -> None:
    settings = make_settings(tmp_path, credentials_key=None)
    key_file_path(settings).write_text("garbage")
    with pytest.raises(CredentialsKeyError, match="32 bytes"):
        load_key_ring(settings)


def test_cli_generate_key_and_rotate_guard(capsys, monkeypatch, tmp_path) -> None:
    from core import config
    from dynamic_mcp import cli

    assert cli.main(["credentials", "generate-key"]) == 0
    entry = capsys.readouterr().out.strip()
    (kid,) = parse_key_ring(entry)
    assert entry.startswith(kid + ":")

    # --new-key only manages the embedded key file; with CREDENTIALS_KEY it explains what to do
    monkeypatch.setenv("CREDENTIALS_KEY", entry)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    config.get_settings.cache_clear()
    try:
        assert cli.main(["credentials", "rotate-key", "--new-key"]) == 2
    finally:
        config.get_settings.cache_clear()
    assert "put a new key first in the ring" in capsys.readouterr().out
