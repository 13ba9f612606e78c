import { Alert, Button, Group } from "@mantine/core";

// A form's last line: Cancel (in a dialog), and the button that submits it (busy while sent).
export function FormActions({ submit, busy, onCancel }: { submit: string; busy: boolean; onCancel?: () => void }) {
  return (
    <Group justify="flex-end">
      {onCancel && (
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
      )}
      <Button type="submit" loading={busy}>
        {submit}
      </Button>
    </Group>
  );
}

// What the API refused that no field of the form shows: a message for the whole form ("_", a
// rule over several fields) or a refusal naming no field at all (a conflict, a lost session).
export function Unplaced({ error, placed }: { error: Error | null; placed: Record<string, unknown> }) {
  const whole = typeof placed._ === "string" ? placed._ : null;
  const message = whole ?? (error && !Object.keys(placed).length ? error.message : null);
  return message ? (
    <Alert color="red" role="alert">
      {message}
    </Alert>
  ) : null;
}
