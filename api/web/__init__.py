"""The web interface for records staff, in Vietnamese (default) and English.

``install_web(app)`` adds the pages, their static files and their error pages to the API's app.
"""

from sohoa.api.web.routes import install_web, router

__all__ = ["install_web", "router"]
