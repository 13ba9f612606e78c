import { Button, Group, Modal, Select, Stack, Text, TextInput, Textarea } from "@mantine/core";
import { DateTimePicker } from "@mantine/dates";
import dayjs from "dayjs";
import { useState } from "react";
import { fieldErrors, svc } from "../api";
import { useAuth } from "../auth";
import { useChange, useReps } from "../hooks";
import { REMIND_OPTIONS, remindMinutes } from "./reminders";

export function NewTask({ contactId, ownerId, onClose }: { contactId: string; ownerId: string | null; onClose: () => void }) {
  const { me } = useAuth();
  const { data: reps } = useReps();
  const [kind, setKind] = useState<string | null>("call");
  const [title, setTitle] = useState("");
  const [due, setDue] = useState<string | null>(dayjs().add(1, "day").hour(10).minute(0).second(0).format("YYYY-MM-DD HH:mm:ss"));
  const [owner, setOwner] = useState<string | null>(me?.rep_id ?? ownerId);
  const [note, setNote] = useState("");
  const [remind, setRemind] = useState<string | null>("15");
  const create = useChange(
    () =>
      svc.post("automation", "/tasks", {
        contact_id: contactId,
        kind,
        title,
        due_at: due ? dayjs(due).toISOString() : undefined,
        ...(owner ? { owner_id: owner } : {}),
        ...(note ? { note } : {}),
        remind_before_minutes: remindMinutes(remind),
      }),
    [["tasks"]],
    "Task created",
  );
  const fields = fieldErrors(create.error);
  return (
    <Modal opened onClose={onClose} title="New task">
      <Stack>
        <Select
          label="What"
          value={kind}
          onChange={setKind}
          error={fields.kind}
          data={[
            { value: "call", label: "Call" },
            { value: "meeting", label: "Meeting" },
            { value: "visit", label: "Visit" },
            { value: "email", label: "Email" },
            { value: "todo", label: "To do" },
          ]}
        />
        <TextInput label="Title" placeholder="Call about the pricing question" value={title} onChange={(e) => setTitle(e.currentTarget.value)} error={fields.title} required />
        <DateTimePicker label="Due" value={due} onChange={(v) => setDue(v)} error={fields.due_at} />
        <Select label="Remind" data={REMIND_OPTIONS} value={remind} onChange={setRemind} allowDeselect={false} error={fields.remind_before_minutes} />
        <Select
          label="For"
          value={owner}
          onChange={setOwner}
          data={(reps ?? []).map((r) => ({ value: r.id, label: (r.name as string) || r.id }))}
          error={fields.owner_id}
          clearable
        />
        <Textarea label="Note" autosize minRows={2} value={note} onChange={(e) => setNote(e.currentTarget.value)} error={fields.note} />
        {create.error && !Object.keys(fields).length && <Text c="red">{create.error.message}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={create.isPending} onClick={() => create.mutate(undefined, { onSuccess: onClose })}>
            Create task
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
