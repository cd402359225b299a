"""AES-256-GCM at rest: round trips, tamper detection, key loading, rotation, the model field."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import FieldError
from django.db import connection, models
from django.test.utils import isolate_apps

from security.crypto import (
    DataKey,
    DataKeyError,
    DecryptionError,
    EncryptedTextField,
    Keyring,
    data_decrypt,
    data_encrypt,
    data_key_generate,
    data_reencrypt,
    key_decode,
    keyring_get,
    keyring_load,
    keyring_reset,
    token_key_id,
)

ROOT = Path(__file__).resolve().parents[2]


def ring(*keys: bytes) -> Keyring:
    current, *old = (DataKey(k) for k in keys)
    return Keyring(current, tuple(old))


KEY_A, KEY_B = b"A" * 32, b"B" * 32


@pytest.fixture
def env_key(monkeypatch):
    """A fixed current key in the environment, loaded fresh for the test."""
    key = data_key_generate()
    monkeypatch.setenv("J1MSKY_DATA_KEY", key)
    monkeypatch.delenv("J1MSKY_DATA_KEYS_OLD", raising=False)
    keyring_reset()
    yield key
    keyring_reset()


@pytest.mark.parametrize("text", ["", "hello", "naïve ☕ 𝄞", "x" * 100_000, "line\nbreak\x00nul"])
def test_round_trip(text):
    keys = ring(KEY_A)
    token = data_encrypt(text, keyring=keys)
    assert data_decrypt(token, keyring=keys) == text
    assert text not in token or text == ""


def test_token_format_names_the_version_and_key_and_differs_every_time():
    keys = ring(KEY_A)
    first, second = data_encrypt("same", keyring=keys), data_encrypt("same", keyring=keys)
    assert first != second  # a fresh nonce each time
    version, key_id, body = first.split(":")
    assert version == "j1e1"
    assert key_id == DataKey(KEY_A).key_id == token_key_id(first)
    assert len(key_id) == 12
    assert len(base64.urlsafe_b64decode(body)) == 12 + len("same") + 16


def test_any_change_to_a_token_fails_to_decrypt():
    keys = ring(KEY_A)
    token = data_encrypt("the secret", keyring=keys)
    version, key_id, body = token.split(":")
    raw = bytearray(base64.urlsafe_b64decode(body))
    for index in range(len(raw)):
        altered = bytearray(raw)
        altered[index] ^= 0x01
        tampered = f"{version}:{key_id}:{base64.urlsafe_b64encode(bytes(altered)).decode()}"
        with pytest.raises(DecryptionError, match="does not authenticate"):
            data_decrypt(tampered, keyring=keys)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "plain text",
        "j1e2:0123456789ab:AAAA",
        "j1e1:XYZ:AAAA",
        "j1e1:0123456789ab:%%%%",
        "j1e1:0123456789ab:" + base64.urlsafe_b64encode(b"short").decode(),
        "j1e1:0123456789ab:AAAA:extra",
    ],
)
def test_malformed_tokens_are_refused(token):
    with pytest.raises(DecryptionError):
        data_decrypt(token, keyring=ring(KEY_A))


def test_a_token_sealed_with_an_unknown_key_is_refused():
    token = data_encrypt("x", keyring=ring(KEY_A))
    with pytest.raises(DecryptionError, match="unknown data key"):
        data_decrypt(token, keyring=ring(KEY_B))


def test_a_key_id_swapped_to_another_held_key_fails():
    keys = ring(KEY_A, KEY_B)
    token = data_encrypt("x", keyring=keys)
    swapped = token.replace(DataKey(KEY_A).key_id, DataKey(KEY_B).key_id)
    with pytest.raises(DecryptionError, match="does not authenticate"):
        data_decrypt(swapped, keyring=keys)


def test_rotation_old_keys_decrypt_new_writes_use_the_current_key():
    before = ring(KEY_A)
    during = ring(KEY_B, KEY_A)
    after = ring(KEY_B)
    old_token = data_encrypt("customer task", keyring=before)

    assert data_decrypt(old_token, keyring=during) == "customer task"
    assert token_key_id(data_encrypt("new", keyring=during)) == DataKey(KEY_B).key_id

    moved = data_reencrypt(old_token, keyring=during)
    assert token_key_id(moved) == DataKey(KEY_B).key_id
    assert data_reencrypt(moved, keyring=during) == moved  # already current: unchanged
    assert data_decrypt(moved, keyring=after) == "customer task"
    with pytest.raises(DecryptionError, match="unknown data key"):
        data_decrypt(old_token, keyring=after)


def test_keys_load_from_the_environment(tmp_path):
    current, old1, old2 = data_key_generate(), data_key_generate(), data_key_generate()
    urlsafe_old2 = old2.replace("+", "-").replace("/", "_").rstrip("=")
    keys = keyring_load(
        {"J1MSKY_DATA_KEY": current, "J1MSKY_DATA_KEYS_OLD": f"{old1}, {urlsafe_old2} {current}"},
        data_dir=tmp_path,
    )
    assert keys.current.key == base64.b64decode(current)
    assert [k.key for k in keys.old] == [base64.b64decode(old1), base64.b64decode(old2)]
    assert list(tmp_path.iterdir()) == []  # no key file when the variable is set


@pytest.mark.parametrize(
    ("value", "message"),
    [("not base64!", "not base64"), (base64.b64encode(b"k" * 16).decode(), "32 bytes, not 16")],
)
def test_bad_keys_are_configuration_errors(value, message, tmp_path):
    with pytest.raises(DataKeyError, match=message):
        keyring_load({"J1MSKY_DATA_KEY": value}, data_dir=tmp_path)
    with pytest.raises(DataKeyError, match="J1MSKY_DATA_KEYS_OLD"):
        keyring_load(
            {"J1MSKY_DATA_KEY": data_key_generate(), "J1MSKY_DATA_KEYS_OLD": value},
            data_dir=tmp_path,
        )


def test_without_a_variable_a_key_file_is_generated_once_with_mode_0600(tmp_path):
    old_umask = os.umask(0)  # the mode must not depend on a permissive umask
    try:
        first = keyring_load({}, data_dir=tmp_path / "var")
    finally:
        os.umask(old_umask)
    key_file = tmp_path / "var" / "data_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_decode(key_file.read_text(), source="file") == first.current.key
    assert keyring_load({}, data_dir=tmp_path / "var") == first
    assert sorted(p.name for p in (tmp_path / "var").iterdir()) == ["data_key"]


def test_the_key_file_lives_in_the_configured_data_dir(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    monkeypatch.delenv("J1MSKY_DATA_KEY", raising=False)
    monkeypatch.delenv("J1MSKY_DATA_KEYS_OLD", raising=False)
    keyring_reset()
    try:
        token = data_encrypt("hello")
        assert (tmp_path / "data_key").exists()
        keyring_reset()
        assert data_decrypt(token) == "hello"  # reloaded from the same file
    finally:
        keyring_reset()


def test_processes_starting_together_agree_on_one_generated_key(tmp_path):
    code = (
        "import sys; from security.crypto import keyring_load;"
        "print(keyring_load({}, data_dir=sys.argv[1]).current.key_id)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("J1MSKY_DATA_KEY", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err for _, err in outputs]
    key_ids = {out.strip() for out, _ in outputs}
    assert len(key_ids) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["data_key"]
    assert key_ids == {keyring_load({}, data_dir=tmp_path).current.key_id}


def test_keyring_get_caches_until_reset(env_key, monkeypatch):
    first = keyring_get()
    assert first.current.key == base64.b64decode(env_key)
    monkeypatch.setenv("J1MSKY_DATA_KEY", data_key_generate())
    assert keyring_get() is first
    keyring_reset()
    assert keyring_get() != first


def test_the_field_encrypts_on_save_and_decrypts_on_load(env_key):
    field = EncryptedTextField()
    stored = field.get_db_prep_save("api secret", connection)
    assert stored.startswith("j1e1:") and "api secret" not in stored
    assert field.from_db_value(stored, None, connection) == "api secret"
    assert field.get_db_prep_save(None, connection) is None
    assert field.from_db_value(None, None, connection) is None
    assert field.deconstruct()[1] == "security.crypto.EncryptedTextField"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_field_round_trips_through_a_real_table(env_key):
    with isolate_apps("security"):

        class Sealed(models.Model):
            secret = EncryptedTextField(null=True)

            class Meta:
                app_label = "security"
                db_table = "test_crypto_sealed"

            def __str__(self) -> str:
                return f"sealed {self.pk}"

        with connection.schema_editor() as editor:
            editor.create_model(Sealed)
        try:
            row = Sealed.objects.create(secret="whsec_top")
            empty = Sealed.objects.create(secret=None)
            with connection.cursor() as cursor:
                cursor.execute("SELECT secret FROM test_crypto_sealed WHERE id = %s", [row.pk])
                [raw] = cursor.fetchone()
            assert raw.startswith("j1e1:") and "whsec_top" not in raw
            assert Sealed.objects.get(pk=row.pk).secret == "whsec_top"
            assert Sealed.objects.get(pk=empty.pk).secret is None
            assert list(Sealed.objects.filter(secret__isnull=True)) == [empty]
            Sealed.objects.filter(pk=row.pk).update(secret="rotated")
            assert Sealed.objects.get(pk=row.pk).secret == "rotated"
            with pytest.raises(FieldError):
                Sealed.objects.filter(secret="whsec_top").count()
        finally:
            with connection.schema_editor() as editor:
                editor.delete_model(Sealed)


def test_a_tampered_stored_value_fails_to_load(env_key):
    field = EncryptedTextField()
    stored = field.get_db_prep_save("x", connection)
    with pytest.raises(DecryptionError):
        field.from_db_value(stored[:-4] + "AAAA", None, connection)
