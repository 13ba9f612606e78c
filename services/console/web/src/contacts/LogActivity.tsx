import { Button, Group, Modal, NumberInput, SegmentedControl, Select, Stack, Text, Textarea } from "@mantine/core";
import { useState } from "react";
import { fieldErrors, svc } from "../api";
import { useChange } from "../hooks";

// A call or meeting becomes an interaction event like any other: it scores, triggers
// workflows and counts on the leaderboard.
export function LogActivity({ contactId, kind, onClose }: { contactId: string; kind: "call" | "meeting"; onClose: () => void }) {
  const [direction, setDirection] = useState("made");
  const [minutes, setMinutes] = useState<number | string>(kind === "call" ? 5 : 30);
  const [outcome, setOutcome] = useState<string | null>("connected");
  const [note, setNote] = useState("");
  const log = useChange(
    () => {
      const duration = Number(minutes) || 0;
      const properties =
        kind === "call"
          ? { direction, duration_seconds: duration * 60, ...(outcome ? { outcome } : {}), ...(note ? { note } : {}) }
          : { duration_minutes: duration, ...(note ? { note } : {}) };
      return svc.post("contacts", "/events", {
        events: [
          {
            event_id: crypto.randomUUID(),
            type: "track",
            name: kind === "call" ? "call_logged" : "meeting_held",
            occurred_at: new Date().toISOString(),
            contact: { contact_id: contactId },
            properties,
          },
        ],
      });
    },
    [["timeline", contactId], ["contact", contactId], ["score", contactId]],
    kind === "call" ? "Call logged" : "Meeting logged",
  );
  const fields = fieldErrors(log.error);
  return (
    <Modal opened onClose={onClose} title={kind === "call" ? "Log a call" : "Log a meeting"}>
      <Stack>
        {kind === "call" && (
          <SegmentedControl
            value={direction}
            onChange={setDirection}
            data={[
              { value: "made", label: "I called them" },
              { value: "received", label: "They called me" },
            ]}
          />
        )}
        <NumberInput label="Minutes" min={0} max={1440} value={minutes} onChange={setMinutes} />
        {kind === "call" && (
          <Select
            label="Outcome"
            value={outcome}
            onChange={setOutcome}
            clearable
            data={[
              { value: "connected", label: "Connected" },
              { value: "meeting_booked", label: "Meeting booked" },
              { value: "voicemail", label: "Left a voicemail" },
              { value: "no_answer", label: "No answer" },
            ]}
          />
        )}
        <Textarea label="Note" autosize minRows={2} value={note} onChange={(e) => setNote(e.currentTarget.value)} />
        {log.error && <Text c="red">{log.error.message}{Object.keys(fields).length ? "" : ""}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={log.isPending} onClick={() => log.mutate(undefined, { onSuccess: onClose })}>
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
