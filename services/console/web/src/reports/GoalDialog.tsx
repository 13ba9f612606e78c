import { Group, Modal, NumberInput, Select, Stack, Text } from "@mantine/core";
import { useForm } from "@mantine/form";
import { ok, reporting } from "../client";
import { submitTo, useChange } from "../hooks";
import { FormActions, Unplaced } from "../components/FormActions";
import { CURRENCIES } from "../format";

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

const KEYS = [...FIELDS.map((f) => f.key), "revenue"] as const;
type Key = (typeof KEYS)[number];


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
  const form = useForm({
    initialValues: {
      ...(Object.fromEntries(KEYS.map((k) => [k, current[k]?.target ?? ""])) as Record<Key, number | string>),
      currency: current.revenue?.currency ?? "EUR",
    },
  });
  const save = useChange(
    (v: typeof form.values) => {
      // An empty goal is none; a revenue goal says its currency.
      const targets = Object.fromEntries(KEYS.filter((k) => typeof v[k] === "number").map((k) => [k, v[k] as number]));
      return ok(
        reporting.PUT("/v1/goals/{owner}/{month}", {
          params: { path: { owner: rep, month } },
          body: { ...targets, ...(typeof v.revenue === "number" ? { currency: v.currency } : {}) },
        }),
      );
    },
    [["report"]],
    "Goals saved",
  );
  const submit = submitTo(form, save, onClose);
  return (
    <Modal opened onClose={onClose} title={`Goals of ${name} for ${label}`}>
      <form onSubmit={submit}>
      <Stack>
        <Text size="sm" c="dimmed">
          Leave a goal empty to have none. The leaderboard shows how far {name} is.
        </Text>
        <Group grow align="flex-start">
          <NumberInput label="Revenue" min={0} thousandSeparator="," {...form.getInputProps("revenue")} />
          <Select label="Currency" data={CURRENCIES} allowDeselect={false} {...form.getInputProps("currency")} error={form.errors.currency ?? form.errors._} />
        </Group>
        <Group grow>
          {FIELDS.map((f) => (
            <NumberInput key={f.key} label={f.label} min={0} {...form.getInputProps(f.key)} />
          ))}
        </Group>
        <Unplaced error={save.error} placed={form.errors} />
        <FormActions submit="Save goals" busy={save.isPending} onCancel={onClose} />
      </Stack>
      </form>
    </Modal>
  );
}
