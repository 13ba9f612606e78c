import { ActionIcon, Button, Group, NumberInput, Paper, Select, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import { Conditions, EVENT_FIELDS } from "../components/Conditions";
import { interactionLabel } from "../format";
import { Problems } from "../workflows/Problems";
import { type Cap, type FitRule, freshId, type Rule } from "./definition";

const TYPES = ["page_visit", "email_opened", "email_clicked", "form_submitted", "call_logged", "meeting_held", "purchase", "email_unsubscribed", "email_bounced", "custom"].map((t) => ({
  value: t,
  label: t === "custom" ? "sends an event of their own" : interactionLabel(t),
}));
const CAPS = [
  { value: "", label: "no cap" },
  { value: "day", label: "a day" },
  { value: "week", label: "a week" },
];
// Who a contact is, as fit rules read it.
export const FIT_FIELDS = ["title", "company_size", "industry", "country", "company", "age", "income_band", "source", "email", "custom."];

function RuleCard({ rule, errors, readOnly, onChange, onRemove }: { rule: Rule; errors: string[]; readOnly: boolean; onChange: (r: Rule) => void; onRemove: () => void }) {
  const set = (patch: Partial<Rule>) => onChange({ ...rule, ...patch });
  const what = rule.interaction_type ?? "custom";
  const setCap = (cap: Cap | null) => set({ cap });
  return (
    <Paper withBorder p="sm" data-testid="rule">
      <Stack gap={6}>
        <SimpleGrid cols={{ base: 1, sm: 4 }} spacing="xs">
          <TextInput label="Rule" aria-label={`Name of rule ${rule.id}`} value={rule.name} onChange={(e) => set({ name: e.currentTarget.value })} readOnly={readOnly} />
          <Select label="When someone" aria-label={`What rule ${rule.id} counts`} data={TYPES} value={what} onChange={(v) => v && set({ interaction_type: v === "custom" ? null : v, event_name: v === "custom" ? (rule.event_name ?? "") : null })} allowDeselect={false} readOnly={readOnly} />
          {what === "custom" ? (
            <TextInput label="Event name" aria-label={`Event of rule ${rule.id}`} value={rule.event_name ?? ""} onChange={(e) => set({ event_name: e.currentTarget.value })} readOnly={readOnly} />
          ) : (
            <NumberInput label="Points" aria-label={`Points of rule ${rule.id}`} value={rule.points} onChange={(v) => set({ points: typeof v === "number" ? v : 0 })} readOnly={readOnly} />
          )}
          <Group gap={4} wrap="nowrap" align="flex-end">
            <NumberInput label="At most" aria-label={`Cap of rule ${rule.id}`} min={1} style={{ flex: 1, minWidth: 70 }} value={rule.cap?.max_points ?? ""} disabled={!rule.cap} onChange={(v) => rule.cap && setCap({ ...rule.cap, max_points: Number(v) || 0 })} readOnly={readOnly} />
            <Select aria-label={`Cap period of rule ${rule.id}`} data={CAPS} value={rule.cap?.per ?? ""} onChange={(v) => setCap(v ? { max_points: rule.cap?.max_points ?? Math.max(rule.points * 3, 1), per: v as Cap["per"] } : null)} allowDeselect={false} readOnly={readOnly} w={112} style={{ flexShrink: 0 }} />
            {!readOnly && (
              <ActionIcon variant="subtle" color="gray" aria-label={`Remove rule ${rule.id}`} onClick={onRemove} mb={6}>
                <IconTrash size={16} />
              </ActionIcon>
            )}
          </Group>
        </SimpleGrid>
        {what === "custom" && <NumberInput label="Points" aria-label={`Points of rule ${rule.id}`} value={rule.points} onChange={(v) => set({ points: typeof v === "number" ? v : 0 })} readOnly={readOnly} w={160} />}
        {(rule.conditions?.length || !readOnly) && <Conditions conditions={rule.conditions ?? []} label={`Rule ${rule.id} condition`} fields={EVENT_FIELDS} onChange={(c) => set({ conditions: c })} add="Only when…" />}
        <Problems messages={errors} />
      </Stack>
    </Paper>
  );
}

export function RulesEditor({ rules, errors, readOnly, onChange }: { rules: Rule[]; errors: Record<number, string[]>; readOnly: boolean; onChange: (r: Rule[]) => void }) {
  return (
    <Stack gap="xs">
      {rules.map((r, i) => (
        <RuleCard key={r.id} rule={r} errors={errors[i] ?? []} readOnly={readOnly} onChange={(n) => onChange(rules.map((x, j) => (j === i ? n : x)))} onRemove={() => onChange(rules.filter((_, j) => j !== i))} />
      ))}
      {!readOnly && (
        <Group>
          <Button size="compact-sm" variant="light" leftSection={<IconPlus size={14} />} onClick={() => onChange([...rules, { id: freshId("rule", rules), name: "New rule", interaction_type: "page_visit", conditions: [], points: 5, cap: null }])}>
            Add a behaviour rule
          </Button>
        </Group>
      )}
    </Stack>
  );
}

export function FitEditor({ rules, errors, readOnly, onChange }: { rules: FitRule[]; errors: Record<number, string[]>; readOnly: boolean; onChange: (r: FitRule[]) => void }) {
  const set = (i: number, patch: Partial<FitRule>) => onChange(rules.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  return (
    <Stack gap="xs">
      {rules.length === 0 && (
        <Text size="sm" c="dimmed">
          No fit rules: everyone is graded on 0 fit points.
        </Text>
      )}
      {rules.map((r, i) => (
        <Paper key={r.id} withBorder p="sm" data-testid="fit-rule">
          <Stack gap={6}>
            <Group align="flex-end" wrap="nowrap">
              <TextInput label="Fit rule" aria-label={`Name of fit rule ${r.id}`} value={r.name} onChange={(e) => set(i, { name: e.currentTarget.value })} readOnly={readOnly} style={{ flex: 1 }} />
              <NumberInput label="Points" aria-label={`Points of fit rule ${r.id}`} value={r.points} onChange={(v) => set(i, { points: typeof v === "number" ? v : 0 })} readOnly={readOnly} w={120} />
              {!readOnly && (
                <ActionIcon variant="subtle" color="gray" aria-label={`Remove fit rule ${r.id}`} onClick={() => onChange(rules.filter((_, j) => j !== i))} mb={6}>
                  <IconTrash size={16} />
                </ActionIcon>
              )}
            </Group>
            <Conditions conditions={r.conditions} label={`Fit rule ${r.id} condition`} fields={FIT_FIELDS} onChange={(c) => set(i, { conditions: c })} add="And when…" />
            <Problems messages={errors[i] ?? []} />
          </Stack>
        </Paper>
      ))}
      {!readOnly && (
        <Group>
          <Button size="compact-sm" variant="light" leftSection={<IconPlus size={14} />} onClick={() => onChange([...rules, { id: freshId("fit", rules), name: "New fit rule", conditions: [{ field: "title", op: "contains", value: "" }], points: 10 }])}>
            Add a fit rule
          </Button>
        </Group>
      )}
    </Stack>
  );
}
