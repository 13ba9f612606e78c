import { Modal, Select, Stack, TextInput, Textarea } from "@mantine/core";
import { DateTimePicker } from "@mantine/dates";
import dayjs from "dayjs";
import { isNotEmpty, useForm } from "@mantine/form";
import { automation, ok } from "../client";
import type { components } from "../generated/automation";
import { useAuth } from "../auth";
import { submitTo, useChange, useReps } from "../hooks";
import { REMIND_OPTIONS, remindMinutes } from "./reminders";
import { FormActions, Unplaced } from "../components/FormActions";

type Kind = NonNullable<components["schemas"]["TaskDraft"]["kind"]>;

export function NewTask({ contactId, ownerId, onClose }: { contactId: string; ownerId: string | null; onClose: () => void }) {
  const { me } = useAuth();
  const { data: reps } = useReps();
  const form = useForm({
    initialValues: {
      kind: "call" as Kind,
      title: "",
      due: dayjs().add(1, "day").hour(10).minute(0).second(0).format("YYYY-MM-DD HH:mm:ss") as string | null,
      owner_id: (me?.rep_id ?? ownerId) as string | null,
      note: "",
      remind: "15" as string | null,
    },
    validate: { title: isNotEmpty("What is to be done"), due: isNotEmpty("When it is due") },
  });
  const create = useChange(
    (v: typeof form.values) =>
      ok(
        automation.POST("/v1/tasks", {
          body: {
            contact_id: contactId,
            kind: v.kind,
            title: v.title,
            due_at: dayjs(v.due).toISOString(),
            owner_id: v.owner_id,
            note: v.note || null,
            remind_before_minutes: remindMinutes(v.remind),
          },
        }),
      ),
    [["tasks"]],
    "Task created",
  );
  const submit = submitTo(form, create, onClose);
  return (
    <Modal opened onClose={onClose} title="New task">
      <form onSubmit={submit}>
      <Stack>
        <Select
          label="What"
          allowDeselect={false}
          {...form.getInputProps("kind")}
          data={[
            { value: "call", label: "Call" },
            { value: "meeting", label: "Meeting" },
            { value: "visit", label: "Visit" },
            { value: "email", label: "Email" },
            { value: "todo", label: "To do" },
          ]}
        />
        <TextInput label="Title" placeholder="Call about the pricing question" required {...form.getInputProps("title")} />
        <DateTimePicker label="Due" {...form.getInputProps("due")} error={form.errors.due_at} />
        <Select label="Remind" data={REMIND_OPTIONS} allowDeselect={false} {...form.getInputProps("remind")} error={form.errors.remind_before_minutes} />
        <Select
          label="For"
          data={(reps ?? []).map((r) => ({ value: r.id, label: (r.name as string) || r.id }))}
          {...form.getInputProps("owner_id")}
          clearable
        />
        <Textarea label="Note" autosize minRows={2} {...form.getInputProps("note")} />
        <Unplaced error={create.error} placed={form.errors} />
        <FormActions submit="Create task" busy={create.isPending} onCancel={onClose} />
      </Stack>
      </form>
    </Modal>
  );
}
