"""Each component's access token for Temporal's authoriser: read from its own file, sent as
`authorization: Bearer` on every call, followed when the file is rotated."""

from __future__ import annotations

import asyncio
import gc
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import Client

from dsar.client import access_token, connect_options, follow_token, refresh_token
from dsar.codec import KeyRing
from dsar.config import Settings

JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ3b3JrZXItZ2IwMSJ9.c2lnbmF0dXJl"
RING = KeyRing.from_settings("k1:" + "A" * 43 + "=", None)


def settings_with_token(tmp_path: Path, content: str) -> Settings:
    (tmp_path / "ca.crt").write_text("-----ca-----")
    (tmp_path / "token").write_text(content)
    return Settings.from_env(
        {
            "DSAR_TEMPORAL_TLS_CA": str(tmp_path / "ca.crt"),
            "DSAR_TEMPORAL_TOKEN_FILE": str(tmp_path / "token"),
        }
    )


def test_the_connection_carries_the_token_from_the_components_file(tmp_path: Path) -> None:
    options = connect_options(settings_with_token(tmp_path, JWT + "\n"), RING)
    assert options["api_key"] == JWT  # the SDK sends it as `authorization: Bearer <token>`
    assert options["tls"] is not False  # never without TLS
    assert connect_options(Settings.from_env({}), RING)["api_key"] is None  # the dev server: anonymous


async def test_the_sdk_sends_it_as_a_bearer_header(tmp_path: Path) -> None:
    """A real client (lazy: no server needed) holds the token where the SDK's core adds the header."""
    options = connect_options(settings_with_token(tmp_path, JWT), RING)
    client = await Client.connect("127.0.0.1:1", lazy=True, **options)
    assert client.api_key == JWT and client.service_client.config.api_key == JWT


def test_a_bad_token_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="DSAR_TEMPORAL_TOKEN_FILE must hold one access token"):
        access_token(settings_with_token(tmp_path, "Bearer " + JWT))
    with pytest.raises(ValueError, match="DSAR_TEMPORAL_TOKEN_FILE must hold one access token"):
        access_token(settings_with_token(tmp_path, "  \n"))
    with pytest.raises(ValueError, match="DSAR_TEMPORAL_TOKEN_FILE does not name a readable file"):
        access_token(
            Settings.from_env({"DSAR_TEMPORAL_TLS_CA": "x", "DSAR_TEMPORAL_TOKEN_FILE": "/nonexistent"})
        )
    with pytest.raises(ValueError, match="DSAR_TEMPORAL_TOKEN_FILE needs TLS to Temporal"):
        Settings.from_env({"DSAR_TEMPORAL_TOKEN_FILE": str(tmp_path / "token")})


async def test_a_rotated_token_replaces_the_old_one_without_a_restart(tmp_path: Path) -> None:
    settings = settings_with_token(tmp_path, JWT)
    client = await Client.connect("127.0.0.1:1", lazy=True, **connect_options(settings, RING))
    assert refresh_token(client, settings) is False  # unchanged
    (tmp_path / "token").write_text(JWT + "x")
    assert refresh_token(client, settings) is True
    assert client.api_key == JWT + "x" and client.service_client.config.api_key == JWT + "x"
    (tmp_path / "token").write_text("")  # caught mid-rotation: keep the token in use
    assert refresh_token(client, settings) is False and client.api_key == JWT + "x"
    # The follower does the same on its own, and ends when the client is gone.
    (tmp_path / "token").write_text(JWT + "y")
    follower = asyncio.create_task(follow_token(client, settings, every=timedelta(milliseconds=10)))
    for _ in range(200):
        if client.api_key == JWT + "y":
            break
        await asyncio.sleep(0.01)
    assert client.api_key == JWT + "y"
    del client
    gc.collect()  # the SDK's client holds reference cycles
    await asyncio.wait_for(follower, timeout=5)
