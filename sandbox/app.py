"""What every request handler of the sandbox shares: the store, tokens, WeChat's state, faults and settings.

Below the handlers (sandbox/cloud.py, wechat.py, control.py) and the server that routes to them; imports none.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sandbox.cloud_auth import CloudTokens
from sandbox.faults import Faults
from sandbox.store import Store, now_ms
from sandbox.wechat_state import WeChat

log = logging.getLogger("sandbox")


class App:
    """Everything a request handler needs: the store, tokens, WeChat state, faults and settings."""

    def __init__(
        self,
        store: Store,
        client_id: str,
        client_secret: str,
        payment_delay: float = 2.0,
    ) -> None:
        self.store = store
        self.client_id = client_id
        self.client_secret = client_secret
        self.payment_delay = payment_delay
        self.cloud_tokens = CloudTokens()
        self.wechat = WeChat()
        self.faults = Faults()
        self.flips = 0
        self._stop = threading.Event()

    @property
    def seed(self) -> int:
        return int(self.store.world.get("seed", 0))

    def start_background(self, complete_payment: Callable[[App, str], Any]) -> None:
        """Turn created orders into paid ones in the background (the cloud's side: ``complete_payment``)."""
        threading.Thread(
            target=self._payments, args=(complete_payment,), name="payments", daemon=True
        ).start()

    def stop(self) -> None:
        self._stop.set()

    def _payments(self, complete_payment: Callable[[App, str], Any]) -> None:
        """Turns created orders into paid ones once their --payment-delay has passed."""
        while not self._stop.wait(0.2):
            try:
                due = self.store.query(
                    "SELECT order_id FROM orders WHERE pay_due IS NOT NULL AND pay_due <= ? ORDER BY pay_due",
                    (now_ms(),),
                )
                for row in due:
                    complete_payment(self, row[0])
            except Exception:  # pragma: no cover - keep the thread alive
                log.exception("payment completion failed")
