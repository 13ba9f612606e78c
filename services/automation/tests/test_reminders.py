"""Reminders against the real services and mail catcher: a task's rep is emailed once when
its reminder time comes, again after a snooze, never for a task done or without a reminder;
the task says when its rep was reminded (the console's live feed reads that)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from lodestone_common.envelope import utcnow


async def test_the_rep_is_reminded_once_and_again_after_a_snooze(services, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    rep, address = f"rep-{tag}", f"rae.{tag}@example.com"
    mailbox = services.stack.mailbox()
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        made = await automation.put(f"/v1/reps/{rep}", json={"name": "Rae", "email": address})
        assert made.status_code == 200, made.text
        person = await contacts.post(
            "/v1/contacts",
            json={
                "email": f"quinn.{tag}@example.com",
                "first_name": "Quinn",
                "phone": "+1 555 0100",
            },
        )
        contact = person.json()["id"]

        async def task(title: str, minutes: int | None, due_in: timedelta) -> dict[str, Any] | None:
            answer = await automation.post(
                "/v1/tasks",
                json={
                    "contact_id": contact,
                    "title": title,
                    "owner_id": rep,
                    "due_at": (utcnow() + due_in).isoformat(),
                    "remind_before_minutes": minutes,
                },
            )
            return answer.json() if answer.status_code == 201 else None  # 404 until it knows

        # Due in five minutes, a reminder five minutes before: it goes now.
        call = await eventually(lambda: task(f"Call Quinn {tag}", 5, timedelta(minutes=5)))
        assert call["remind_at"] is not None and call["reminded_at"] is None
        quiet = await task(f"No reminder {tag}", None, timedelta(minutes=1))
        done = await task(f"Done already {tag}", 5, timedelta(minutes=5))
        assert quiet and done and quiet["remind_at"] is None
        closed = await automation.patch(f"/v1/tasks/{done['id']}", json={"status": "done"})
        assert closed.json()["remind_at"] is None

        async def reminders() -> list[dict[str, Any]]:
            return [m for m in await mailbox.messages(to=address) if tag in str(m["subject"])]

        async def one() -> list[dict[str, Any]] | None:
            found = await reminders()
            return found or None

        (first,) = await eventually(one, timeout=60)
        assert first["subject"].startswith(f"Reminder: Call Quinn {tag} (due ")
        assert "Phone: +15550100" in first["text"] and f"/contacts/{contact}" in first["text"]

        async def reminded() -> dict[str, Any] | None:
            found = (await automation.get("/v1/tasks", params={"contact_id": contact})).json()
            mine = next(t for t in found if t["id"] == call["id"])
            return mine if mine["reminded_at"] else None

        after = await eventually(reminded, timeout=60)
        assert after["remind_at"] is None
        # Snoozed: reminded again at the new time, once.
        snoozed = await automation.patch(
            f"/v1/tasks/{call['id']}",
            json={"due_at": (utcnow() + timedelta(minutes=5)).isoformat()},
        )
        assert snoozed.json()["reminded_at"] is None and snoozed.json()["remind_at"]

        async def two() -> list[dict[str, Any]] | None:
            found = await reminders()
            return found if len(found) >= 2 else None

        assert len(await eventually(two, timeout=60)) == 2
        await eventually(reminded, timeout=60)
        assert len(await reminders()) == 2  # the task done and the one without: nothing


async def test_a_task_left_undone_is_told_to_the_reps_manager_once(services, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    rep, manager = f"rep-{tag}", f"boss.{tag}@example.com"
    mailbox = services.stack.mailbox()
    async with services.client("automation") as automation, services.client("contacts") as contacts:
        put = await automation.put(
            f"/v1/reps/{rep}", json={"name": f"Rae {tag}", "manager_email": manager}
        )
        assert put.status_code == 200 and put.json()["manager_email"] == manager
        contact = (
            await contacts.post("/v1/contacts", json={"email": f"o.{tag}@example.com"})
        ).json()

        async def task(title: str, due_in: timedelta) -> dict[str, Any] | None:
            answer = await automation.post(
                "/v1/tasks",
                json={
                    "contact_id": contact["id"],
                    "title": title,
                    "owner_id": rep,
                    "due_at": (utcnow() + due_in).isoformat(),
                    "remind_before_minutes": None,
                },
            )
            return answer.json() if answer.status_code == 201 else None

        # Due 25 hours ago (the escalation comes 24 hours after): told now. Due in an hour: not.
        late = await eventually(lambda: task(f"Late call {tag}", -timedelta(hours=25)))
        soon = await task(f"Soon call {tag}", timedelta(hours=1))
        assert late["escalate_at"] and soon and soon["escalate_at"]

        async def told() -> list[dict[str, Any]] | None:
            return [
                m for m in await mailbox.messages(to=manager) if tag in str(m["subject"])
            ] or None

        (mail,) = await eventually(told, timeout=60)
        assert mail["subject"] == f"Overdue: Late call {tag} (Rae {tag})"

        async def escalated() -> bool:
            found = (await automation.get("/v1/tasks", params={"contact_id": contact["id"]})).json()
            mine = next(t for t in found if t["id"] == late["id"])
            return mine["escalated_at"] is not None and mine["escalate_at"] is None

        await eventually(escalated, timeout=60)
        assert len(await told() or []) == 1
