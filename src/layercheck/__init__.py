"""layercheck: keeps FastAPI / SQLAlchemy / Pydantic backends in their layers."""

__version__ = "0.1.0"
