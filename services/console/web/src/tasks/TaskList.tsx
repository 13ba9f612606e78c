import { ActionIcon, Badge, Button, Checkbox, Group, NumberInput, Menu, Modal, Paper, Select, Stack, Text, Textarea, Tooltip } from "@mantine/core";
import { IconAlarm, IconCheck, IconUserShare } from "@tabler/icons-react";
import { useForm } from "@mantine/form";
import dayjs from "dayjs";
import { useState } from "react";
import { Link } from "react-router-dom";
import { automation, ok } from "../client";
import { logActivity } from "../contacts/interactions";
import type { components } from "../generated/automation";
import { useAuth } from "../auth";
import { ago, when } from "../format";
import { repName, submitTo, useChange, useReps } from "../hooks";
import type { Task } from "../types";
import { FormActions, Unplaced } from "../components/FormActions";

type TaskChange = components["schemas"]["TaskChange"];

const OUTCOMES = [
  { value: "connected", label: "Connected" },
  { value: "meeting_booked", label: "Meeting booked" },
  { value: "voicemail", label: "Left a voicemail" },
  { value: "no_answer", label: "No answer" },
  { value: "not_interested", label: "Not interested" },
  { value: "wrong_number", label: "Wrong number" },
];

const KIND: Record<string, string> = { call: "Call", email: "Email", meeting: "Meeting", follow_up: "Follow up", visit: "Visit", todo: "To do" };

export function TaskList({ tasks, contactNames, empty }: { tasks: Task[]; contactNames?: Record<string, string>; empty: string }) {
  const [finishing, setFinishing] = useState<Task | null>(null);
  if (!tasks.length) return <Text c="dimmed">{empty}</Text>;
  return (
    <Stack gap="xs">
      {tasks.map((t) => (
        <TaskRow key={t.id} task={t} contact={contactNames ? (contactNames[t.contact_id] ?? "the contact") : undefined} onDone={() => setFinishing(t)} />
      ))}
      {finishing && <FinishTask task={finishing} onClose={() => setFinishing(null)} />}
    </Stack>
  );
}

function TaskRow({ task, contact, onDone }: { task: Task; contact?: string; onDone: () => void }) {
  const { canChange } = useAuth();
  const { data: reps } = useReps();
  const overdue = task.status === "open" && dayjs(task.due_at).isBefore(dayjs());
  const change = useChange((body: TaskChange) => ok(automation.PATCH("/v1/tasks/{task_id}", { params: { path: { task_id: task.id } }, body })), [["tasks"]], "Task updated");
  const snooze = (to: dayjs.Dayjs) => change.mutate({ due_at: to.toISOString() });
  const writable = canChange("tasks", task.owner_id);
  return (
    <Paper withBorder p="sm" data-testid="task" aria-label={task.title}>
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Stack gap={2}>
          <Group gap="xs">
            <Badge variant="light">{KIND[task.kind] ?? task.kind}</Badge>
            <Text fw={600}>{task.title}</Text>
            {task.status === "open" && task.reminded_at && (
              <Badge color="yellow" variant="light" data-testid="reminded">
                Reminded {ago(task.reminded_at)}
              </Badge>
            )}
            {task.status === "open" && task.remind_at && (
              <Badge color="gray" variant="light" title="a reminder by email and here">
                Reminder {dayjs(task.remind_at).format("HH:mm")}
              </Badge>
            )}
            {task.status === "done" && (
              <Badge color="green" variant="light">
                Done{task.outcome ? `: ${OUTCOMES.find((o) => o.value === task.outcome)?.label ?? task.outcome}` : ""}
              </Badge>
            )}
          </Group>
          <Text size="sm" c={overdue ? "red" : "dimmed"}>
            {overdue ? "Overdue: " : "Due "}
            {when(task.due_at)} ({ago(task.due_at)}) · {repName(reps, task.owner_id)}
            {contact !== undefined && (
              <>
                {" · "}
                <Link to={`/contacts/${task.contact_id}`}>{contact}</Link>
              </>
            )}
          </Text>
          {task.note && <Text size="sm">{task.note}</Text>}
          {change.error && (
            <Text size="sm" c="red">
              {change.error.message}
            </Text>
          )}
        </Stack>
        {writable && task.status === "open" && (
          <Group gap="xs">
            <Button size="xs" leftSection={<IconCheck size={14} />} onClick={onDone}>
              Done
            </Button>
            <Menu>
              <Menu.Target>
                <Tooltip label="Snooze">
                  <ActionIcon variant="default" size="lg" aria-label="Snooze">
                    <IconAlarm size={16} />
                  </ActionIcon>
                </Tooltip>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item onClick={() => snooze(dayjs().add(1, "hour"))}>In an hour</Menu.Item>
                <Menu.Item onClick={() => snooze(dayjs().add(1, "day").hour(9).minute(0))}>Tomorrow 9:00</Menu.Item>
                <Menu.Item onClick={() => snooze(dayjs().add(1, "week").hour(9).minute(0))}>In a week</Menu.Item>
              </Menu.Dropdown>
            </Menu>
            <Menu>
              <Menu.Target>
                <Tooltip label="Hand to another rep">
                  <ActionIcon variant="default" size="lg" aria-label="Reassign">
                    <IconUserShare size={16} />
                  </ActionIcon>
                </Tooltip>
              </Menu.Target>
              <Menu.Dropdown>
                {(reps ?? []).filter((r) => r.id !== task.owner_id).map((r) => (
                  <Menu.Item key={r.id} onClick={() => change.mutate({ owner_id: r.id })}>
                    {(r.name as string) || r.id}
                  </Menu.Item>
                ))}
              </Menu.Dropdown>
            </Menu>
          </Group>
        )}
      </Group>
    </Paper>
  );
}

function FinishTask({ task, onClose }: { task: Task; onClose: () => void }) {
  const loggable = task.kind === "call" || task.kind === "meeting";
  const form = useForm({
    initialValues: { outcome: (task.kind === "call" ? "connected" : null) as string | null, note: "", log: loggable, minutes: (task.kind === "call" ? 5 : 30) as number | string },
  });
  const finish = useChange(
    async ({ outcome, note, log, minutes }: typeof form.values) => {
      const done = await ok(automation.PATCH("/v1/tasks/{task_id}", { params: { path: { task_id: task.id } }, body: { status: "done", ...(outcome ? { outcome } : {}), ...(note ? { note } : {}) } }));
      // On the contact's timeline like any call: it scores and counts on the leaderboard. The
      // event id is the task's, so marking it done twice logs it once.
      if (log && loggable)
        await logActivity(task.contact_id, task.kind === "call" ? "call" : "meeting", `task-done-${task.id}`, {
          task_id: task.id,
          ...(task.kind === "call" ? { direction: "made", duration_seconds: (Number(minutes) || 0) * 60 } : { duration_minutes: Number(minutes) || 0 }),
          ...(outcome ? { outcome } : {}),
          ...(note ? { note } : {}),
        });
      return done;
    },
    [["tasks"], ["timeline", task.contact_id]],
    "Task done",
  );
  const submit = submitTo(form, finish, onClose);
  return (
    <Modal opened onClose={onClose} title={`Done: ${task.title}`}>
      <form onSubmit={submit}>
      <Stack>
        <Select label="How did it go?" data={OUTCOMES} clearable {...form.getInputProps("outcome")} />
        <Textarea label="Note" autosize minRows={3} {...form.getInputProps("note")} />
        {loggable && (
          <Group align="flex-end">
            <Checkbox label={`Log this ${task.kind} on the contact's timeline`} mb={8} {...form.getInputProps("log", { type: "checkbox" })} />
            {form.values.log && <NumberInput label="Minutes" min={0} max={1440} w={110} {...form.getInputProps("minutes")} error={form.errors["events.0.properties.duration_seconds"]} />}
          </Group>
        )}
        <Unplaced error={finish.error} placed={form.errors} />
        <FormActions submit="Mark done" busy={finish.isPending} onCancel={onClose} />
      </Stack>
      </form>
    </Modal>
  );
}
