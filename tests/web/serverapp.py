"""The app the browser tests serve with uvicorn: the API with the web interface installed.

``uvicorn --factory tests.web.serverapp:build``. Routers that exist in the tree but that
``create_app`` does not include yet (signature verification, archive) are added here so the
pages that use them can be tested; once ``create_app`` has them this adds nothing.
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI

from api.app import create_app
from api.web import install_web

__all__ = ["add_pending_routers", "build"]

_OPTIONAL_ROUTERS = ("api.routes.verify", "api.routes.archive")


def build() -> FastAPI:
    app = create_app()
    add_pending_routers(app)
    install_web(app)
    return app


def add_pending_routers(app: FastAPI) -> None:
    """Include the optional routers none of whose paths the app serves yet."""
    served = set(app.openapi().get("paths", {}))
    app.openapi_schema = None  # built again, with what is added here, when first asked for
    for name in _OPTIONAL_ROUTERS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        paths = {route.path for route in module.router.routes}
        if not paths & served:
            app.include_router(module.router)
