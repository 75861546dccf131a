"""The operator's view in the Temporal UI, in a headless browser (issue #18, item 6).

A dev server with its UI, wired to the product's codec server as the local stack wires it,
one real request on the real workers, and Chromium driven by Playwright: the operators'
guide's own snippet sets the Dsar columns and saved views, then the workflow list must show
the request with its stage in the `DsarStatus` column, and the request's page its summary
and current details, decoded. Screenshots of both are kept in the test's folder.

Skipped when no Chromium (or Playwright) is installed: CI machines start without one, and
Playwright's own browsers cannot be downloaded here. docs/testing.md has the manual check.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client

from devstack.codec_issuer import AUDIENCE, LOCAL_ISSUER, LocalIssuer
from devstack.local_servers import LOOPBACK, TemporalDevServer, free_port
from dsar.codec import KeyRing, data_converter
from dsar.domain import Status
from tests.polling import eventually
from tests.workflow import conftest as workflow_fixtures
from tests.workflow.conftest import running_workers, start_request_for, wait_for_status
from web.codec_server import CodecServer, CodecServerConfig
from web.operator_tokens import OperatorTokens

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM = next((found for name in BROWSERS if (found := shutil.which(name))), None)
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        CHROMIUM is None or importlib.util.find_spec("playwright") is None,
        reason="no Chromium (or Playwright) on this machine; docs/testing.md describes the manual check",
    ),
]
workers_kwargs = workflow_fixtures.workers_kwargs
GUIDE = Path(__file__).parents[2] / "docs" / "operators-guide.md"


def guide_snippet() -> str:
    """The console snippet of the operators' guide, between its markers."""
    text = GUIDE.read_text(encoding="utf-8")
    found = re.search(r"<!-- ui-views:start -->\s*```js\n(.*?)```\s*<!-- ui-views:end -->", text, re.S)
    assert found, "the operators' guide holds the UI views snippet"
    return found.group(1)


async def test_the_ui_list_shows_the_dsar_columns_and_a_request_page_its_summary_and_details(
    ring: KeyRing, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    assert CHROMIUM is not None

    ui_port, codec_port = free_port(), free_port()
    ui = f"http://localhost:{ui_port}"
    # The operator's own access token, as the organisation's identity provider would issue it;
    # the codec server verifies it and names the operator in its decode log.
    issuer = LocalIssuer.generate()
    token = issuer.mint("tester")
    tokens = OperatorTokens(issuer=LOCAL_ISSUER, audience=AUDIENCE, public_key=issuer.public_key_pem())
    config = CodecServerConfig(ring=ring, tokens=tokens, ui_origin=ui, host=LOOPBACK, port=codec_port)
    codec = CodecServer(config)
    server = TemporalDevServer(
        None,
        free_port(),
        ui_port,
        tmp_path / "temporal.log",
        extra_args=["--ui-codec-endpoint", f"http://localhost:{codec_port}"],
    )
    codec.start()
    server.start()
    try:
        client = await Client.connect(server.address, data_converter=data_converter(ring))
        async with running_workers(client, **workers_kwargs) as queue:
            handle = await start_request_for(client, queue, case_pool, date.today())
            reference = handle.id.removeprefix("dsar-")
            await wait_for_status(handle, Status.IDENTITY)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = await browser.new_page(viewport={"width": 1600, "height": 1000})

                # A production UI signed in through the identity provider passes the user's
                # access token to the codec (`passAccessToken`); the dev server's UI has no
                # sign-in, so the browser adds the operator's token to the codec calls.
                async def with_token(route: Any) -> None:
                    headers = {**route.request.headers, "authorization": f"Bearer {token}"}
                    await route.continue_(headers=headers)

                await page.route(f"http://localhost:{codec_port}/**", with_token)
                await page.add_init_script(guide_snippet())

                # The list: the guide's "waiting for identity" view, with the Dsar columns.
                query = 'WorkflowType="RightsRequestWorkflow" AND DsarStatus="identity"'
                await page.goto(f"{ui}/namespaces/default/workflows?query={query}")
                row = page.locator("tr", has_text=handle.id)
                await row.first.wait_for(timeout=60_000)
                await page.screenshot(path=str(tmp_path / "ui-list.png"), full_page=True)
                headers = await page.locator("th").all_inner_texts()
                for column in ("DsarStatus", "DsarDueAt", "DsarRights", "DsarJurisdiction"):
                    assert any(column in h for h in headers), (column, headers)
                cells = await row.first.inner_text()
                assert "identity" in cells and "access" in cells and "SE" in cells, cells
                # The guide's saved views are in the Saved Views menu.
                await page.get_by_test_id("saved-views-button").click()
                menu = page.get_by_text("DSAR: waiting for review")
                await menu.first.wait_for(timeout=10_000)
                await page.screenshot(path=str(tmp_path / "ui-saved-views.png"))
                await page.keyboard.press("Escape")

                # The request's page: the summary and the current details, decoded.
                await page.goto(f"{ui}/namespaces/default/workflows/{handle.id}")
                await page.get_by_text(handle.id).first.wait_for(timeout=60_000)
                # UI 2.54 shows the summary and the current details on the User Metadata tab,
                # each rendered (as Markdown) in a frame of its own.
                await page.get_by_text("User Metadata", exact=True).first.click()

                async def shown() -> str | None:
                    texts = [await f.inner_text("body") for f in page.frames if f != page.main_frame]
                    text = "\n".join(texts)
                    return text if "Stage:" in text and f"{reference}: access" in text else None

                text: str = await eventually(shown, timeout=60, what="the summary and current details")
                await page.screenshot(path=str(tmp_path / "ui-request.png"), full_page=True)
                assert f"{reference}: access · SE · received {date.today().isoformat()}" in text
                assert "Stage: identity" in text and "days left" in text and "1 code sent" in text
                assert "Rights: access" in text and f"dsar status {reference}" in text
                assert "Astrid" not in text and "@" not in text  # process facts only
                await browser.close()
            await handle.terminate(reason="test finished")
    finally:
        server.stop()
        codec.stop()
