"""Qualified names the HTTP-concern rules match against."""

from __future__ import annotations

from typing import Final

from layercheck.layers import Layer

HTTP_EXCEPTION_BASES: Final = frozenset(
    {
        "fastapi.HTTPException",
        "fastapi.exceptions.HTTPException",
        "starlette.exceptions.HTTPException",
    }
)
SERVICE_AND_REPOSITORY: Final = frozenset({Layer.SERVICES, Layer.REPOSITORIES})
