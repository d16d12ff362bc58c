"""driftloop's HTTP API (FastAPI) and dashboard, served by ``driftloop up`` from the store-owning process."""

from driftloop.api.app import create_api
from driftloop.api.auth import InsecureBinding, check_binding
from driftloop.api.context import ApiContext

__all__ = ["ApiContext", "InsecureBinding", "check_binding", "create_api"]
