"""Owners' numbers out of the access log (Nghị định 13/2023/NĐ-CP).

``GET /api/v1/owners/{id_type}/{id_number}/documents`` carries an id number in its path, and an
owner search may carry one in its query; uvicorn's access log would keep them whole. This filter
masks them (``001*******89``) before the line is written, whoever asked.
"""

from __future__ import annotations

import logging
import re

from sohoa.core.owners import mask_id

__all__ = ["OwnerNumberFilter", "install_access_log_filter", "mask_owner_numbers"]

_PATH = re.compile(r"(/owners/[^/?#]+/)([^/?#]+)")
_QUERY = re.compile(r"([?&](?:number|owner_id|id_number)=)([^&#]*)")


def mask_owner_numbers(target: str) -> str:
    masked = _PATH.sub(lambda m: m.group(1) + mask_id(m.group(2)), target)
    return _QUERY.sub(lambda m: m.group(1) + mask_id(m.group(2)), masked)


class OwnerNumberFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn.access: (client_addr, method, full_path, http_version, status_code)
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], mask_owner_numbers(args[2]), *args[3:])
        return True


def install_access_log_filter() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, OwnerNumberFilter) for f in access.filters):
        access.addFilter(OwnerNumberFilter())
