"""How each event moves the read models: plain Python over in-memory state, no I/O.

Order matters only within a topic partition (one contact's events on one topic). Across
topics the projection is order-independent, so a live run and a replay of the same topics
end in the same counters:
- each part of a contact's view is written by one topic only (`c` by contacts, `i` by
  interactions, score rows by scores);
- interactions carry their contact's owner, source and segments (event-carried state);
- what happened (created, reached a stage, time in stage) is counted even for a contact that
  was merged away or erased; only "now" counters depend on the contact still existing.
"""

from __future__ import annotations

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import (
    PAYLOAD_TYPES,
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactOwnerAssigned,
    ContactSegmentsChanged,
    ContactStageChanged,
    ContactUpdated,
    InteractionRecorded,
    LeadDisqualified,
    LeadQualified,
    RepChanged,
    ScoreChanged,
    TaskChanged,
    WorkflowActionPerformed,
    WorkflowEnrollmentChanged,
)

from .activity_events import action, interaction, task
from .contact_events import created, end, move, score, stage, updated
from .state import State, day

__all__ = ["REPORTED", "State", "contact_ids", "project", "task_ids"]

# Reporting projects every event type of the contacts, interactions, scores and automation
# topics.
REPORTED = PAYLOAD_TYPES


def contact_ids(events: list[EnvelopeEvent]) -> set[str]:
    """Every contact whose view a batch may touch (merges touch the merged ones too)."""
    ids = {e.envelope.contact_id for e in events if not isinstance(e.payload, RepChanged)}
    for e in events:
        if isinstance(e.payload, ContactMerged):
            ids.update(e.payload.merged_ids)
    return ids


def score_rows(events: list[EnvelopeEvent]) -> tuple[set[tuple[str, str]], set[str]]:
    """The score rows a batch reads: the (model, contact) of each verdict, and every row of
    the contacts it ends (merged away or erased). Not every row of every contact it touches:
    most events are interactions, and a contact's rows are found by a secondary index, which
    costs the local database dearly at batch sizes (bench/README)."""
    verdicts = {
        (e.payload.model_id, e.envelope.contact_id)
        for e in events
        if isinstance(e.payload, ScoreChanged)
    }
    ended: set[str] = set()
    for e in events:
        if isinstance(e.payload, ContactMerged):
            ended.update(e.payload.merged_ids)
        elif isinstance(e.payload, ContactErased):
            ended.add(e.envelope.contact_id)
    return verdicts, ended


def task_ids(events: list[EnvelopeEvent]) -> set[str]:
    return {e.payload.task_id for e in events if isinstance(e.payload, TaskChanged)}


def project(state: State, events: list[EnvelopeEvent]) -> None:
    for event in events:
        payload, env = event.payload, event.envelope
        cid, at = env.contact_id, env.occurred_at
        match payload:
            case ContactCreated():
                created(state, cid, at, payload)
            case ContactStageChanged():
                stage(state, cid, at, payload.to_stage)
            case ContactUpdated():
                updated(state, cid, at, payload)
            case ContactOwnerAssigned():
                move(state, cid, owner=payload.owner_id)
            case ContactSegmentsChanged():
                c = state.part(cid, "c")
                segments = (set(c.get("segments", [])) | set(payload.joined)) - set(payload.left)
                move(state, cid, segments=sorted(segments))
            case ContactMerged():
                for merged in payload.merged_ids:
                    end(state, merged, "merged")
            case ContactErased():
                end(state, cid, "erased")
            case ScoreChanged():
                score(state, cid, at, payload)
            case LeadQualified() | LeadDisqualified():
                what = "qualified" if isinstance(payload, LeadQualified) else "disqualified"
                state.deltas.add("leads", day(at), {"model": payload.model_id, "what": what})
            case InteractionRecorded():
                interaction(state, cid, at, payload)
            case WorkflowActionPerformed():
                dims = {"workflow": payload.workflow_id, "what": action(payload)}
                state.deltas.add("workflow", day(at), dims)
            case WorkflowEnrollmentChanged():
                if payload.workflow_name:
                    state.workflow_names[payload.workflow_id] = payload.workflow_name
                dims = {"workflow": payload.workflow_id, "what": payload.status}
                state.deltas.add("workflow", day(at), dims)
            case TaskChanged():
                task(state, cid, payload)
            case RepChanged():
                state.reps[payload.rep_id] = {
                    "name": payload.name,
                    "team": payload.team,
                    "removed": payload.removed,
                }
