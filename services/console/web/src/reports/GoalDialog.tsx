import { Alert, Button, Group, Modal, NumberInput, Select, Stack, Text } from "@mantine/core";
import { useState } from "react";
import { fieldErrors, svc } from "../api";
import { useChange } from "../hooks";

export interface GoalProgress {
  target: number;
  currency: string | null;
  actual: number | null;
  attainment: number | null;
}

const FIELDS = [
  { key: "conversions", label: "Customers won" },
  { key: "calls", label: "Calls" },
  { key: "meetings", label: "Meetings" },
  { key: "tasks_done", label: "Tasks done" },
] as const;

const CURRENCIES = ["EUR", "USD", "GBP", "INR", "JPY", "CHF", "AUD", "CAD", "BRL"];

// A rep's goals for one month (the reporting service's /v1/goals): what they should reach.
export function GoalDialog({
  rep,
  name,
  month,
  label,
  current,
  onClose,
}: {
  rep: string;
  name: string;
  month: string;
  label: string;
  current: Record<string, GoalProgress>;
  onClose: () => void;
}) {
  const [values, setValues] = useState<Record<string, number | "">>(() =>
    Object.fromEntries([...FIELDS.map((f) => f.key), "revenue"].map((k) => [k, current[k]?.target ?? ""])),
  );
  const [currency, setCurrency] = useState<string | null>(current.revenue?.currency ?? "EUR");
  const save = useChange(
    () => {
      const targets = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ""));
      return svc.put("reporting", `/goals/${encodeURIComponent(rep)}/${month}`, {
        ...targets,
        ...(values.revenue !== "" ? { currency } : {}),
      });
    },
    [["report"]],
    "Goals saved",
  );
  const fields = fieldErrors(save.error);
  const set = (key: string) => (v: number | string) => setValues((old) => ({ ...old, [key]: typeof v === "number" ? v : "" }));
  return (
    <Modal opened onClose={onClose} title={`Goals of ${name} for ${label}`}>
      <Stack>
        <Text size="sm" c="dimmed">
          Leave a goal empty to have none. The leaderboard shows how far {name} is.
        </Text>
        <Group grow align="flex-start">
          <NumberInput label="Revenue" min={0} thousandSeparator="," value={values.revenue} onChange={set("revenue")} error={fields.revenue} />
          <Select label="Currency" data={CURRENCIES} value={currency} onChange={setCurrency} allowDeselect={false} error={fields.currency ?? fields._} />
        </Group>
        <Group grow>
          {FIELDS.map((f) => (
            <NumberInput key={f.key} label={f.label} min={0} value={values[f.key]} onChange={set(f.key)} error={fields[f.key]} />
          ))}
        </Group>
        {save.error && !Object.keys(fields).length && <Alert color="red">{save.error.message}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={save.isPending} onClick={() => save.mutate(undefined, { onSuccess: onClose })}>
            Save goals
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
