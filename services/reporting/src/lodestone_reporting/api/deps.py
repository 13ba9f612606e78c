"""Typed dependencies of reporting's routes: the read models the composition root built."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..stores import ReadModels


def read_models(request: Request) -> ReadModels:
    return request.app.state.read_models


ReadModelsDep = Annotated[ReadModels, Depends(read_models)]
