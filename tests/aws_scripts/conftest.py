"""Script tests: the scripts folder on the path, and boto3 clients under botocore's Stubber."""
from __future__ import annotations

import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))


class Stubs:
    """Stubbed clients (us-east-1, dummy credentials): each request is checked against botocore's model."""

    def __init__(self):
        self.stubbers: dict[str, Stubber] = {}

    def client(self, service: str):
        client = boto3.client(service, region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                              aws_secret_access_key="secret")
        stubber = Stubber(client)
        stubber.activate()
        self.stubbers[service] = stubber
        return client

    def __getitem__(self, service: str) -> Stubber:
        return self.stubbers[service]

    def assert_done(self):
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def stubs():
    made = Stubs()
    yield made
    made.assert_done()


@pytest.fixture
def stubbed_clients(monkeypatch, stubs):
    """Make the scripts' ``_aws.clients`` hand out stubbed clients, one per service."""
    import _aws

    def clients(args, *services):
        return [stubs.stubbers[s].client if s in stubs.stubbers else stubs.client(s) for s in services]

    monkeypatch.setattr(_aws, "clients", clients)
    return stubs
