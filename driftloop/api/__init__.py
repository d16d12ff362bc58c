"""driftloop's HTTP API (FastAPI), served by ``driftloop up`` from the store-owning process."""

from driftloop.api.app import create_api

__all__ = ["create_api"]
