"""Connecting to Temporal with the product's data converter (pydantic + encryption).

In production the connection is mutual TLS: `DSAR_TEMPORAL_TLS_CERT` and `_KEY` are this
component's own client certificate, `DSAR_TEMPORAL_TLS_CA` the CA the server's certificate
is checked against. On top of it every call carries this component's own access token
(`DSAR_TEMPORAL_TOKEN_FILE`, a JWT from the organisation's identity provider) as
`authorization: Bearer <token>`: the server's `default` authoriser reads the component's
role in the namespace from its `permissions` claim (docs/containers.md). The file is
re-read while the client lives, so a token rotated in place (a Kubernetes Secret, a
refreshed file) is used without a restart. Without these settings the connection is plain
and anonymous, as the local dev server speaks.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TypedDict

import structlog
from google.protobuf.duration_pb2 import Duration
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client, Interceptor
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from dsar.codec import KeyRing, UnboundPayloads, data_converter
from dsar.config import Settings
from dsar.tracing import tracing_interceptors

log = structlog.get_logger("dsar.client")

# How often a running client looks for a rotated token. Identity providers and Kubernetes
# renew a token well before it expires (Kubernetes at 80 % of its lifetime), so a minute is
# far inside the margin.
TOKEN_RECHECK = timedelta(seconds=60)
_followers: set[asyncio.Task[None]] = set()


def key_ring(settings: Settings) -> KeyRing:
    return KeyRing.from_settings(settings.codec_keys, settings.codec_key_file)


def _read(path: str, setting: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{setting} does not name a readable file")
    return file.read_bytes()


def tls_config(settings: Settings) -> TLSConfig | bool:
    """The client's TLS settings; False (plain gRPC) when no certificate or CA is configured."""
    if settings.temporal_tls_cert is None and settings.temporal_tls_ca is None:
        return False
    ca, cert, key = settings.temporal_tls_ca, settings.temporal_tls_cert, settings.temporal_tls_key
    return TLSConfig(
        server_root_ca_cert=_read(ca, "DSAR_TEMPORAL_TLS_CA") if ca else None,
        domain=settings.temporal_tls_server_name,
        client_cert=_read(cert, "DSAR_TEMPORAL_TLS_CERT") if cert else None,
        client_private_key=_read(key, "DSAR_TEMPORAL_TLS_KEY") if key else None,
    )


def access_token(settings: Settings) -> str | None:
    """This component's access token for Temporal, read from DSAR_TEMPORAL_TOKEN_FILE now.

    One token and nothing else: a file holding two lines or a `Bearer ` prefix would be
    sent as a malformed header and refused by the server with a less useful message.
    """
    if settings.temporal_token_file is None:
        return None
    token = _read(settings.temporal_token_file, "DSAR_TEMPORAL_TOKEN_FILE").decode("utf-8", "replace").strip()
    if not token or any(c.isspace() for c in token):
        raise ValueError("DSAR_TEMPORAL_TOKEN_FILE must hold one access token (a JWT) and nothing else")
    return token


class ConnectOptions(TypedDict):
    """The keyword arguments of `Client.connect` this product sets, built without I/O to Temporal."""

    namespace: str
    api_key: str | None
    data_converter: DataConverter
    tls: TLSConfig | bool
    runtime: Runtime | None
    interceptors: Sequence[Interceptor]


def connect_options(
    settings: Settings, ring: KeyRing | None = None, runtime: Runtime | None = None
) -> ConnectOptions:
    """What every connection carries: the codec, this component's certificate and token.

    `api_key` is how the SDK sends `authorization: Bearer <token>` on every call, workers'
    polls included (they share the client's connection).
    """
    return ConnectOptions(
        namespace=settings.temporal_namespace,
        api_key=access_token(settings),
        data_converter=data_converter(
            ring or key_ring(settings),
            UnboundPayloads(settings.codec_unbound_payloads),
            compress=settings.codec_compress,
        ),
        tls=tls_config(settings),
        runtime=runtime,
        interceptors=tracing_interceptors(settings.otel_endpoint),
    )


async def connect(settings: Settings, ring: KeyRing | None = None, runtime: Runtime | None = None) -> Client:
    client = await Client.connect(settings.temporal_address, **connect_options(settings, ring, runtime))
    if settings.temporal_token_file is not None:
        task = asyncio.get_running_loop().create_task(follow_token(client, settings))
        _followers.add(task)
        task.add_done_callback(_followers.discard)
    return client


def refresh_token(client: Client, settings: Settings) -> bool:
    """Re-read the token file and give the client a changed token; True when it changed.

    A file caught half-written or emptied keeps the token in use (the next check sees the
    finished one) rather than sending nothing.
    """
    try:
        token = access_token(settings)
    except ValueError as error:
        log.warning("temporal.token_unreadable", reason=str(error))
        return False
    if token is None or token == client.api_key:
        return False
    client.api_key = token
    log.info("temporal.token_rotated")
    return True


async def follow_token(client: Client, settings: Settings, every: timedelta = TOKEN_RECHECK) -> None:
    """Keep a long-lived client on the current token until the client is gone."""
    ref = weakref.ref(client)
    del client  # only the weak reference: this task must not keep a closed client alive
    while True:
        await asyncio.sleep(every.total_seconds())
        current = ref()
        if current is None:
            return
        refresh_token(current, settings)
        del current


async def ensure_namespace(client: Client, retention: timedelta = timedelta(days=30)) -> bool:
    """Register the client's namespace if the server has none by that name; True if it did.

    With the authoriser on, the server's image cannot create it itself (its own CLI holds no
    token), so the setup job, whose token is the namespace's admin, does.
    """
    service = client.workflow_service
    try:
        await service.describe_namespace(DescribeNamespaceRequest(namespace=client.namespace))
        return False
    except RPCError as missing:
        if missing.status != RPCStatusCode.NOT_FOUND:
            raise
    keep = Duration()
    keep.FromTimedelta(retention)
    try:
        await service.register_namespace(
            RegisterNamespaceRequest(namespace=client.namespace, workflow_execution_retention_period=keep)
        )
    except RPCError as taken:
        if taken.status != RPCStatusCode.ALREADY_EXISTS:
            raise
        return False
    # The frontend knows a new namespace only after its cache refreshes (seconds).
    listing = ListSearchAttributesRequest(namespace=client.namespace)
    for _ in range(60):
        try:
            await client.operator_service.list_search_attributes(listing)
            break
        except RPCError as unknown:
            if unknown.status != RPCStatusCode.NOT_FOUND:
                raise
            await asyncio.sleep(1)
    return True
