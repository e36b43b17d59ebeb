"""The merchant-lookup cache (`merchants`): what the lookup API said about a merchant key,
kept with a TTL (the client uses 30 days for a found merchant, 1 day for a "not found")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cassandra.cluster import Session
from cassandra.query import UNSET_VALUE

# Reads in flight per get_many: enough to hide round trips, few enough not to flood one node
# when a cold consumer asks for thousands of keys at once.
READ_WINDOW = 128


@dataclass(frozen=True)
class MerchantInfo:
    """One lookup answer. `found` False is a negative result (the API knows no such merchant);
    then name and categories are None. `category` is Tally's slug (None when the API's
    `api_category` has no Tally equivalent)."""

    merchant_key: str
    found: bool
    name: str | None
    category: str | None
    api_category: str | None


class MerchantRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._get = session.prepare(
            "SELECT merchant_key, found, merchant_name, category, api_category FROM merchants "
            "WHERE merchant_key = ?")
        self._get.is_idempotent = True
        # fetched_at is bound, never now(): replaying the statement writes the same cells.
        self._put = session.prepare(
            "INSERT INTO merchants (merchant_key, found, merchant_name, category, api_category, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?) USING TTL ?")
        self._put.is_idempotent = True

    def get_many(self, keys: Iterable[str]) -> dict[str, MerchantInfo]:
        """The cached entries among `keys` (absent keys are cache misses). Reads run
        concurrently, each bounded by the session's request timeout; the first failed read
        is raised after all have finished."""
        unique = list(dict.fromkeys(keys))
        found: dict[str, MerchantInfo] = {}
        error: BaseException | None = None
        for start in range(0, len(unique), READ_WINDOW):
            futures = [self.session.execute_async(self._get, (key,)) for key in unique[start:start + READ_WINDOW]]
            for future in futures:
                try:
                    row = future.result().one()
                except Exception as exc:  # noqa: BLE001 - collected, raised once all reads are done
                    error = error or exc
                    continue
                if row is not None:
                    found[row.merchant_key] = _info(row)
        if error is not None:
            raise error
        return found

    def put(self, info: MerchantInfo, ttl_seconds: int) -> None:
        """Stores `info` for `ttl_seconds`; absent values are left unset (no tombstones)."""
        self.session.execute(self._put, (
            info.merchant_key, info.found, _bind(info.name), _bind(info.category), _bind(info.api_category),
            datetime.now(UTC), int(ttl_seconds)))


def _bind(value: str | None) -> Any:
    return UNSET_VALUE if value is None else value


def _info(row: Any) -> MerchantInfo:
    return MerchantInfo(merchant_key=row.merchant_key, found=bool(row.found), name=row.merchant_name,
                        category=row.category, api_category=row.api_category)
