import { ActionIcon, Autocomplete, Button, Group, NumberInput, Select, Stack, TagsInput, TextInput } from "@mantine/core";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import { stageOptions } from "../format";
import type { Condition, Op } from "../workflows/definition";

// The condition language scoring and workflows share, one row per condition.

const OPS: { value: Op; label: string }[] = [
  { value: "equals", label: "is" },
  { value: "not_equals", label: "is not" },
  { value: "contains", label: "contains" },
  { value: "starts_with", label: "starts with" },
  { value: "in", label: "is one of" },
  { value: "gte", label: "is at least" },
  { value: "lte", label: "is at most" },
  { value: "exists", label: "is set or empty" },
];

// Fields of a contact (branches, goals, territories) and of an event (triggers, waits).
export const CONTACT_FIELDS = ["lifecycle_stage", "grade", "score", "score_band", "country", "company", "company_size", "industry", "title", "owner_id", "tags", "email", "source", "contract_end_date", "custom."];
export const EVENT_FIELDS = ["url", "path", "title", "referrer", "form_id", "campaign", "amount", "sku"];

// The value a test needs: a list for "is one of", a number for at least/at most, else text.
function valueFor(op: Op, value: unknown): unknown {
  switch (op) {
    case "in":
      return Array.isArray(value) ? value : value === undefined || value === "" ? [] : [String(value)];
    case "gte":
    case "lte":
      return typeof value === "number" ? value : Number(value) || 0;
    case "exists":
      return value === false ? false : true;
    default:
      return Array.isArray(value) ? value.join(", ") : value === undefined || value === null ? "" : String(value);
  }
}

function ConditionRow({ condition, label, fields, onChange, onRemove }: { condition: Condition; label: string; fields: string[]; onChange: (c: Condition) => void; onRemove: () => void }) {
  const set = (patch: Partial<Condition>) => onChange({ ...condition, ...patch });
  const value = (() => {
    switch (condition.op) {
      case "in":
        return <TagsInput aria-label={`${label} value`} placeholder="type a value, then Enter" value={(condition.value as string[]) ?? []} onChange={(v) => set({ value: v })} />;
      case "gte":
      case "lte":
        return <NumberInput aria-label={`${label} value`} value={condition.value as number} onChange={(v) => set({ value: Number(v) || 0 })} />;
      case "exists":
        return (
          <Select
            aria-label={`${label} value`}
            data={[
              { value: "true", label: "is set" },
              { value: "false", label: "is empty" },
            ]}
            value={condition.value === false ? "false" : "true"}
            onChange={(v) => set({ value: v !== "false" })}
            allowDeselect={false}
          />
        );
      default:
        if (condition.field === "lifecycle_stage")
          return <Select aria-label={`${label} value`} data={stageOptions} value={(condition.value as string) || null} onChange={(v) => set({ value: v ?? "" })} placeholder="Choose a stage" />;
        return <TextInput aria-label={`${label} value`} value={(condition.value as string) ?? ""} onChange={(e) => set({ value: e.currentTarget.value })} />;
    }
  })();
  return (
    <Group align="flex-start" wrap="nowrap" gap="xs" data-testid="condition">
      <Autocomplete aria-label={`${label} field`} placeholder="field" data={fields} value={condition.field} onChange={(v) => set({ field: v })} w={170} />
      <Select aria-label={`${label} test`} data={OPS} value={condition.op} onChange={(v) => v && onChange({ ...condition, op: v as Op, value: valueFor(v as Op, condition.value) })} allowDeselect={false} w={140} />
      <div style={{ flex: 1, minWidth: 0 }}>{value}</div>
      <ActionIcon variant="subtle" color="gray" aria-label={`Remove ${label}`} onClick={onRemove} mt={6}>
        <IconTrash size={16} />
      </ActionIcon>
    </Group>
  );
}

export function Conditions({ conditions, label, fields, onChange, add = "Add a condition" }: { conditions: Condition[]; label: string; fields: string[]; onChange: (c: Condition[]) => void; add?: string }) {
  return (
    <Stack gap={6}>
      {conditions.map((c, i) => (
        <ConditionRow
          key={i}
          condition={c}
          label={`${label} ${i + 1}`}
          fields={fields}
          onChange={(n) => onChange(conditions.map((x, j) => (j === i ? n : x)))}
          onRemove={() => onChange(conditions.filter((_, j) => j !== i))}
        />
      ))}
      <Group>
        <Button size="compact-sm" variant="subtle" leftSection={<IconPlus size={14} />} onClick={() => onChange([...conditions, { field: fields[0] ?? "", op: "equals", value: "" }])} aria-label={`${add} (${label})`}>
          {add}
        </Button>
      </Group>
    </Stack>
  );
}
