"""A partner whose bank API is a running bank simulator, and link codes issued by it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import requests

from service.bootstrap import Runtime
from tests.support.simulators import TEST_API_TOKEN, TEST_SIGNING_SECRET, SimulatorProcess, start_bank_sim
from tests.support.webhooks import BankPartner


@dataclass
class SimulatedBank:
    partner: BankPartner
    sim: SimulatorProcess

    def link_code(self, account_number: str, card_ids: list[str] | None = None) -> str:
        """What the bank's app shows its customer: a one-time code for the account."""
        body: dict[str, object] = {"account_number": account_number}
        if card_ids is not None:
            body["card_ids"] = card_ids
        response = requests.post(f"{self.sim.url}/sim/link-codes", json=body, timeout=10)
        assert response.status_code == 201, response.text
        return str(response.json()["link_code"])


def start_simulated_bank(runtime: Runtime, log_dir: Path, webhook_url: str = "http://127.0.0.1:9/unused",
                         api_token: str = TEST_API_TOKEN) -> SimulatedBank:
    """A bank simulator playing a fresh partner (registered with the simulator's URL and token)."""

    partner = BankPartner(f"bank-{uuid.uuid4().hex[:8]}", TEST_SIGNING_SECRET)
    sim = start_bank_sim(partner_id=partner.partner_id, webhook_url=webhook_url, log_dir=log_dir)
    assert runtime.partners().add(partner.partner_id, "Simulated bank", sim.url, api_token,
                                                     partner.secret)
    return SimulatedBank(partner, sim)
