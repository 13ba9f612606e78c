"""What reporting does with each event: project it into the read models.

One handler for every type: the projector folds a whole batch in order over the views it
loaded once, and the stores write the result back in bulk.
"""

from __future__ import annotations

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.processing import HandlerTable, UnitOfWork

from .domain.projector import REPORTED, project
from .stores import ReadModels


def handlers(models: ReadModels) -> HandlerTable:
    async def project_batch(events: list[EnvelopeEvent], uow: UnitOfWork) -> None:
        state = await models.load(events, uow.session)
        project(state, events)
        await models.save(state, uow.session)

    return dict.fromkeys(REPORTED, project_batch)
