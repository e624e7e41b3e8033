"""An Fn Python function with its unit tests inline, in the style fdk-python's README shows
(pytest with pytest-asyncio, ``fdk.fixtures``). It must run unchanged on Cleave: served by the
runtime, and its tests passing against Cleave's fdk."""

import io
import json

import pytest

from fdk import fixtures
from fdk import response


def handler(ctx, data: io.BytesIO = None):
    who = "stranger"
    try:
        who = json.loads(data.getvalue()).get("who", who)
    except (Exception, ValueError) as ex:
        print("no JSON body:", ex)
    if who == "nobody":
        raise ValueError("nobody is not a name")
    return response.Response(
        ctx, response_data=json.dumps({"greeting": "Good day, {}".format(who)}),
        headers={"Content-Type": "application/json", "X-Greeter": "fixtures_func"})


@pytest.mark.asyncio
async def test_greets_a_stranger_without_data():
    call = await fixtures.setup_fn_call(handler)
    content, status, headers = await call

    assert 200 == status
    assert {"greeting": "Good day, stranger"} == json.loads(content)
    assert "application/json" == headers.get("content-type")


@pytest.mark.asyncio
async def test_greets_by_name():
    body = io.BytesIO(json.dumps({"who": "Ada"}).encode("utf-8"))
    call = await fixtures.setup_fn_call(handler, content=body)
    content, status, headers = await call

    assert 200 == status
    assert {"greeting": "Good day, Ada"} == json.loads(content)


@pytest.mark.asyncio
async def test_trigger_headers_come_back_prefixed():
    call = await fixtures.setup_fn_call(handler, gateway=True, headers={"accept": "*/*"})
    content, status, headers = await call

    assert 200 == status
    assert "fixtures_func" == headers.get("fn-http-h-x-greeter")
    assert "200" == headers.get("fn-http-status")


@pytest.mark.asyncio
async def test_refusing_a_name_fails_the_call():
    body = io.BytesIO(b'{"who": "nobody"}')
    call = await fixtures.setup_fn_call(handler, content=body)
    content, status, headers = await call

    assert 502 == status
    assert "nobody is not a name" == content
