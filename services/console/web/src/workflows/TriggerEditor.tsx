import { Autocomplete, Paper, NumberInput, Select, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { ok, scoring } from "../client";
import { interactionLabel, stageOptions } from "../format";
import { useSegments } from "../hooks";
import { Conditions, EVENT_FIELDS } from "../components/Conditions";
import { newTrigger, type Condition, type Trigger, type TriggerKind, TRIGGERS } from "./definition";
import { Problems } from "./Problems";

export const ACTIVITIES = ["page_visit", "email_opened", "email_clicked", "form_submitted", "call_logged", "meeting_held", "purchase", "custom"].map((t) => ({
  value: t,
  label: t === "custom" ? "an event of your own" : interactionLabel(t),
}));

const DATE_FIELDS = ["contract_end_date", "custom.renewal_date", "custom.birthday"];

// "Page address contains" is the url condition most triggers want; the rest are listed below it.
const isUrl = (c: Condition) => c.field === "url" && c.op === "contains";

export function useModels() {
  return useQuery({ queryKey: ["scoring-models"], queryFn: () => ok(scoring.GET("/v1/scoring-models")) });
}

export function TriggerEditor({ trigger, onChange, errors }: { trigger: Trigger; onChange: (t: Trigger) => void; errors: string[] }) {
  const { data: segments } = useSegments();
  const { data: models } = useModels();
  const set = (patch: Partial<Trigger>) => onChange({ ...trigger, ...patch });
  const conditions = trigger.conditions ?? [];
  const url = conditions.find(isUrl);
  const others = conditions.filter((c) => !isUrl(c));
  const setUrl = (text: string) => set({ conditions: text.trim() ? [{ field: "url", op: "contains", value: text }, ...others] : others });
  const byEvent = trigger.type === "interaction" || trigger.type === "interaction_count";
  return (
    <Paper withBorder p="sm">
      <Stack gap="xs">
        <Text fw={600}>When</Text>
        <Select aria-label="Trigger" data={TRIGGERS} value={trigger.type} onChange={(v) => v && onChange(newTrigger(v as TriggerKind))} allowDeselect={false} />
        {byEvent && (
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <Select label="Does" data={ACTIVITIES} value={trigger.interaction_type ?? "custom"} onChange={(v) => v && set({ interaction_type: v, event_name: v === "custom" ? trigger.event_name : undefined })} allowDeselect={false} />
            {trigger.interaction_type === "custom" && <TextInput label="Event name" placeholder="e.g. Trial Started" value={trigger.event_name ?? ""} onChange={(e) => set({ event_name: e.currentTarget.value })} />}
            {trigger.type === "interaction_count" && (
              <>
                <NumberInput label="Times" min={1} value={trigger.count} onChange={(v) => set({ count: Number(v) || 0 })} />
                <NumberInput label="Within days" min={1} value={trigger.within_days} onChange={(v) => set({ within_days: Number(v) || 0 })} />
              </>
            )}
            <TextInput label="Page address contains" placeholder="e.g. /pricing (optional)" value={(url?.value as string) ?? ""} onChange={(e) => setUrl(e.currentTarget.value)} />
          </SimpleGrid>
        )}
        {byEvent && (
          <Conditions conditions={others} label="Trigger condition" fields={EVENT_FIELDS} onChange={(c) => set({ conditions: url ? [url, ...c] : c })} add="Add a condition on the event" />
        )}
        {trigger.type === "stage_changed" && (
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select label="To" data={stageOptions} value={trigger.to} onChange={(v) => v && set({ to: v })} allowDeselect={false} />
            <Select label="From (optional)" placeholder="Any stage" data={stageOptions} value={trigger.from ?? null} onChange={(v) => set({ from: v ?? undefined })} clearable />
          </SimpleGrid>
        )}
        {trigger.type === "field_changed" && <TextInput label="Field" placeholder="e.g. country or custom.plan" value={trigger.field ?? ""} onChange={(e) => set({ field: e.currentTarget.value })} maw={320} />}
        {trigger.type === "segment_joined" && (
          <Select label="The segment" data={(segments ?? []).map((s) => ({ value: s.id, label: s.name }))} value={trigger.segment_id || null} onChange={(v) => v && set({ segment_id: v })} allowDeselect={false} searchable />
        )}
        {trigger.type === "lead_qualified" && (
          <Select label="By the scoring model" data={(models ?? []).map((m) => ({ value: m.id, label: String(m.definition.name ?? m.id) }))} value={trigger.model_id} onChange={(v) => v && set({ model_id: v })} allowDeselect={false} />
        )}
        {trigger.type === "date_offset" && (
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <NumberInput label="Days from the date" description="negative: before it (−60: sixty days before)" value={trigger.offset_days} onChange={(v) => set({ offset_days: Number(v) || 0 })} />
            <Autocomplete label="The date" data={DATE_FIELDS} value={trigger.field ?? ""} onChange={(v) => set({ field: v })} />
          </SimpleGrid>
        )}
        <Problems messages={errors} />
      </Stack>
    </Paper>
  );
}
