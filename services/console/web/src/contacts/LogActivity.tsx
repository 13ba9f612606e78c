import { Anchor, Modal, NumberInput, SegmentedControl, Select, Stack, Text, Textarea } from "@mantine/core";
import { useForm } from "@mantine/form";
import { submitTo, useChange } from "../hooks";
import { logActivity } from "./interactions";
import { FormActions } from "../components/FormActions";

// A call or meeting the rep had, logged on the contact's timeline.
export function LogActivity({ contactId, kind, phone = null, onClose }: { contactId: string; kind: "call" | "meeting"; phone?: string | null; onClose: () => void }) {
  const form = useForm({
    initialValues: { direction: "made", minutes: (kind === "call" ? 5 : 30) as number | string, outcome: "connected" as string | null, note: "" },
  });
  const log = useChange(
    ({ direction, minutes, outcome, note }: typeof form.values) => {
      const duration = Number(minutes) || 0;
      const properties =
        kind === "call"
          ? { direction, duration_seconds: duration * 60, ...(outcome ? { outcome } : {}), ...(note ? { note } : {}) }
          : { duration_minutes: duration, ...(note ? { note } : {}) };
      return logActivity(contactId, kind, crypto.randomUUID(), properties);
    },
    [["timeline", contactId], ["contact", contactId], ["score", contactId]],
    kind === "call" ? "Call logged" : "Meeting logged",
  );
  const submit = submitTo(form, log, onClose);
  return (
    <Modal opened onClose={onClose} title={kind === "call" ? "Log a call" : "Log a meeting"}>
      <form onSubmit={submit}>
      <Stack>
        {kind === "call" && (
          <Text size="sm" data-testid="dialog-phone">
            {phone ? (
              <>
                Their number: <Anchor href={`tel:${phone}`}>{phone}</Anchor>
              </>
            ) : (
              "No phone number on this contact yet: add it under Details."
            )}
          </Text>
        )}
        {kind === "call" && (
          <SegmentedControl
            {...form.getInputProps("direction")}
            data={[
              { value: "made", label: "I called them" },
              { value: "received", label: "They called me" },
            ]}
          />
        )}
        <NumberInput label="Minutes" min={0} max={1440} {...form.getInputProps("minutes")} />
        {kind === "call" && (
          <Select
            label="Outcome"
            {...form.getInputProps("outcome")}
            clearable
            data={[
              { value: "connected", label: "Connected" },
              { value: "meeting_booked", label: "Meeting booked" },
              { value: "voicemail", label: "Left a voicemail" },
              { value: "no_answer", label: "No answer" },
            ]}
          />
        )}
        <Textarea label="Note" autosize minRows={2} {...form.getInputProps("note")} />
        {log.error && <Text c="red">{log.error.message}</Text>}
        <FormActions submit="Save" busy={log.isPending} onCancel={onClose} />
      </Stack>
      </form>
    </Modal>
  );
}
