"""Typed dependencies of reporting's routes: the read models the composition root built."""

from __future__ import annotations

from typing import Annotated

from lodestone_common.provided import provided

from ..stores import ReadModels

ReadModelsDep = Annotated[ReadModels, provided("read_models")]
