"""The setup job registers its namespace itself: with the authoriser on, the server's image
holds no token to do it. On the Temporal dev server, a fresh namespace is registered once,
served at once (search attributes can be listed), and a second setup leaves it alone."""

from __future__ import annotations

import uuid

import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from dsar.client import ensure_namespace

pytestmark = pytest.mark.integration


async def test_setup_registers_a_missing_namespace_once(dev_env: WorkflowEnvironment) -> None:
    namespace = f"dsar-setup-{uuid.uuid4().hex[:8]}"
    client = await Client.connect(dev_env.client.service_client.config.target_host, namespace=namespace)
    assert await ensure_namespace(client) is True
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    assert described.config.workflow_execution_retention_ttl.ToSeconds() == 30 * 86400
    await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    assert await ensure_namespace(client) is False
    assert await ensure_namespace(dev_env.client) is False  # "default" exists on the dev server
