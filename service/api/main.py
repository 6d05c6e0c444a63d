"""The ASGI app for `uvicorn service.api.main:app` (and `ftjobs api`)."""

from service.api.app import create_app
from service.config import get_settings

app = create_app(get_settings())
