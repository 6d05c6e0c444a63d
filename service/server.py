"""The ASGI app `ftjobs api` serves (`uvicorn service.server:app`): the HTTP API with the web
console beside it, in one process and one state. The API never imports the console; this module,
above both, puts them together."""

from service.api.app import create_app
from service.config import get_settings
from service.console.plugin import ConsolePlugin

settings = get_settings()
app = create_app(settings, extensions=[ConsolePlugin(settings)])
