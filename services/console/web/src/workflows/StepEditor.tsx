import { ActionIcon, Badge, Button, Checkbox, Group, MultiSelect, NumberInput, Paper, SegmentedControl, Select, SimpleGrid, Stack, TagsInput, Text, Textarea, TextInput } from "@mantine/core";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { automation, ok } from "../client";
import { stageOptions } from "../format";
import { useReps } from "../hooks";
import { Conditions, CONTACT_FIELDS, EVENT_FIELDS } from "../components/Conditions";
import { splitDuration, type Step, STEPS, UNITS, WEBHOOK_FIELDS } from "./definition";
import { Problems } from "./Problems";
import { ACTIVITIES } from "./TriggerEditor";

const TASK_KINDS = ["call", "meeting", "follow_up", "email"].map((k) => ({ value: k, label: k.replace("_", " ") }));

export interface StepProgress {
  here: number;
  waiting: number;
}

export const stepLabel = (s: Step) => STEPS.find((k) => k.value === s.type)?.label ?? s.type;

function Duration({ label, seconds, onChange }: { label: string; seconds: number; onChange: (s: number) => void }) {
  const { amount, unit } = splitDuration(seconds);
  return (
    <Group gap="xs" align="flex-end" wrap="nowrap">
      <NumberInput label={label} min={0} decimalScale={2} value={amount} onChange={(v) => onChange(Math.round((Number(v) || 0) * unit))} w={140} />
      <Select aria-label={`${label} unit`} data={UNITS} value={String(unit)} onChange={(v) => v && onChange(amount * Number(v))} allowDeselect={false} w={110} />
    </Group>
  );
}

// Where a branch or a timed-out wait goes: the next step, a later one, or out.
function Jump({ label, value, later, onChange, next = true }: { label: string; value: string | undefined; later: Step[]; onChange: (v: string | undefined) => void; next?: boolean }) {
  const data = [
    ...(next ? [{ value: "", label: "the next step" }] : []),
    ...later.map((s) => ({ value: s.id, label: `${s.id}: ${stepLabel(s)}` })),
    { value: "exit", label: "leave the workflow" },
  ];
  return <Select label={label} data={data} value={value ?? ""} onChange={(v) => onChange(v || undefined)} allowDeselect={false} />;
}

function EmailStep({ step, n, set }: { step: Step; n: number; set: (p: Partial<Step>) => void }) {
  const templates = useQuery({ queryKey: ["email-templates"], queryFn: () => ok(automation.GET("/v1/email-templates")) });
  const usesTemplate = step.template_id != null;
  return (
    <>
      <SegmentedControl
        aria-label={`Step ${n} content`}
        data={[
          { value: "inline", label: "Write it here" },
          { value: "template", label: "Use a designed template" },
        ]}
        value={usesTemplate ? "template" : "inline"}
        onChange={(v) => set(v === "template" ? { template_id: "", subject: undefined, body: undefined } : { template_id: undefined, subject: "", body: "" })}
        w="fit-content"
      />
      {usesTemplate ? (
        <Select
          label={`Step ${n} template`}
          placeholder={templates.data?.length ? "Choose a template" : "No templates yet (Emails page)"}
          data={(templates.data ?? []).map((t) => ({ value: t.id, label: `${t.name} (version ${t.version})` }))}
          value={step.template_id || null}
          onChange={(v) => set({ template_id: v ?? "" })}
          searchable
        />
      ) : (
        <>
          <TextInput label={`Step ${n} subject`} value={step.subject ?? ""} onChange={(e) => set({ subject: e.currentTarget.value })} />
          <Textarea label={`Step ${n} text`} autosize minRows={3} value={step.body ?? ""} onChange={(e) => set({ body: e.currentTarget.value })} description="{{first_name}} and other fields fill in per person" />
        </>
      )}
      <TextInput label={`Step ${n} from (optional)`} placeholder="the installation's sender" value={step.from ?? ""} onChange={(e) => set({ from: e.currentTarget.value })} maw={420} />
    </>
  );
}

function UpdateStep({ step, n, set }: { step: Step; n: number; set: (p: Partial<Step>) => void }) {
  const fields = Object.entries(step.set ?? {});
  const setField = (i: number, key: string, value: string) => set({ set: Object.fromEntries(fields.map(([k, v], j) => (j === i ? [key, value] : [k, v]))) });
  return (
    <Stack gap="xs">
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Select label={`Step ${n} stage`} placeholder="Leave the stage" data={stageOptions} value={step.stage ?? null} onChange={(v) => set({ stage: v ?? undefined })} clearable />
        <TagsInput label={`Step ${n} add tags`} placeholder="a tag, then Enter" value={step.add_tags ?? []} onChange={(v) => set({ add_tags: v })} />
      </SimpleGrid>
      {fields.map(([k, v], i) => (
        <Group key={i} gap="xs" wrap="nowrap" align="flex-end">
          <TextInput label={i === 0 ? "Set the field" : undefined} aria-label={`Step ${n} field ${i + 1}`} placeholder="e.g. custom.nurtured" value={k} onChange={(e) => setField(i, e.currentTarget.value, String(v))} />
          <TextInput label={i === 0 ? "To" : undefined} aria-label={`Step ${n} field ${i + 1} value`} value={String(v ?? "")} onChange={(e) => setField(i, k, e.currentTarget.value)} />
          <ActionIcon variant="subtle" color="gray" aria-label={`Remove step ${n} field ${i + 1}`} onClick={() => set({ set: Object.fromEntries(fields.filter((_, j) => j !== i)) })} mb={6}>
            <IconTrash size={16} />
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button size="compact-sm" variant="subtle" leftSection={<IconPlus size={14} />} onClick={() => set({ set: { ...(step.set ?? {}), "": "" } })} disabled={"" in (step.set ?? {})}>
          Set a field
        </Button>
      </Group>
    </Stack>
  );
}

function OwnerStep({ step, n, set }: { step: Step; n: number; set: (p: Partial<Step>) => void }) {
  const { data: reps } = useReps();
  const options = (reps ?? []).map((r) => ({ value: r.id, label: (r.name as string) || r.id }));
  const territories = step.territories ?? [];
  return (
    <Stack gap="xs">
      <MultiSelect
        label={`Step ${n} reps`}
        placeholder="Every available rep"
        description="In turn, by their weights; reps away are skipped (the Reps page)"
        data={options}
        value={step.reps ?? []}
        onChange={(v) => set({ reps: v })}
        searchable
      />
      {territories.map((t, i) => (
        <Paper key={i} withBorder p="xs" data-testid="territory">
          <Stack gap={6}>
            <Group justify="space-between">
              <Text size="sm" fw={500}>
                Territory {i + 1}: contacts who match go to
              </Text>
              <ActionIcon variant="subtle" color="gray" aria-label={`Remove step ${n} territory ${i + 1}`} onClick={() => set({ territories: territories.filter((_, j) => j !== i) })}>
                <IconTrash size={16} />
              </ActionIcon>
            </Group>
            <Select aria-label={`Step ${n} territory ${i + 1} rep`} data={options} value={t.rep_id || null} onChange={(v) => set({ territories: territories.map((x, j) => (j === i ? { ...x, rep_id: v ?? "" } : x)) })} placeholder="Choose a rep" maw={320} />
            <Conditions conditions={t.conditions} label={`Step ${n} territory ${i + 1} condition`} fields={CONTACT_FIELDS} onChange={(c) => set({ territories: territories.map((x, j) => (j === i ? { ...x, conditions: c } : x)) })} />
          </Stack>
        </Paper>
      ))}
      <Group>
        <Button size="compact-sm" variant="subtle" leftSection={<IconPlus size={14} />} onClick={() => set({ territories: [...territories, { rep_id: "", conditions: [{ field: "country", op: "equals", value: "" }] }] })}>
          Add a territory (checked first)
        </Button>
        <Checkbox label="Keep contacts that already have an owner" checked={step.keep_existing ?? false} onChange={(e) => set({ keep_existing: e.currentTarget.checked })} />
      </Group>
    </Stack>
  );
}

export function StepEditor({ step, index, later, progress, onChange, onRemove, errors }: { step: Step; index: number; later: Step[]; progress?: StepProgress; onChange: (s: Step) => void; onRemove: () => void; errors: string[] }) {
  const set = (patch: Partial<Step>) => onChange({ ...step, ...patch });
  const n = index + 1;
  return (
    <Paper withBorder p="sm" data-testid="step">
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap">
          <Group gap="xs">
            <Text fw={600}>
              Then {n}. {stepLabel(step)}
            </Text>
            <Text size="xs" c="dimmed">
              {step.id}
            </Text>
          </Group>
          <Group gap="xs" wrap="nowrap">
            {progress && (
              <Badge variant="light" color={progress.here ? "blue" : "gray"} data-testid="step-progress" title={`${progress.waiting} of them waiting`}>
                {progress.here.toLocaleString()} here{progress.waiting ? ` · ${progress.waiting.toLocaleString()} waiting` : ""}
              </Badge>
            )}
            <ActionIcon variant="subtle" color="gray" aria-label={`Remove step ${n}`} onClick={onRemove}>
              <IconTrash size={16} />
            </ActionIcon>
          </Group>
        </Group>
        {step.type === "send_email" && <EmailStep step={step} n={n} set={set} />}
        {step.type === "wait" && <Duration label={`Step ${n} wait`} seconds={step.seconds ?? 0} onChange={(s) => set({ seconds: s })} />}
        {step.type === "wait_for" && (
          <>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Select label={`Step ${n} until they`} data={ACTIVITIES} value={step.interaction_type ?? "custom"} onChange={(v) => v && set({ interaction_type: v })} allowDeselect={false} />
              {step.interaction_type === "custom" && <TextInput label="Event name" value={step.event_name ?? ""} onChange={(e) => set({ event_name: e.currentTarget.value })} />}
            </SimpleGrid>
            <Conditions conditions={step.conditions ?? []} label={`Step ${n} condition`} fields={EVENT_FIELDS} onChange={(c) => set({ conditions: c })} add="Add a condition on the event" />
            <Group align="flex-end">
              <Duration label={`Step ${n} at most`} seconds={step.timeout_seconds ?? 0} onChange={(s) => set({ timeout_seconds: s })} />
              <Jump label="If they do not, go to" value={step.on_timeout} later={later} onChange={(v) => set({ on_timeout: v })} />
            </Group>
          </>
        )}
        {step.type === "if" && (
          <>
            <Text size="sm">When the contact meets every condition:</Text>
            <Conditions conditions={step.conditions ?? []} label={`Step ${n} condition`} fields={CONTACT_FIELDS} onChange={(c) => set({ conditions: c })} />
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Jump label="Then go to" value={step.then} later={later} onChange={(v) => set({ then: v })} />
              <Jump label="Otherwise go to" value={step.else} later={later} next={false} onChange={(v) => set({ else: v ?? "exit" })} />
            </SimpleGrid>
          </>
        )}
        {step.type === "create_task" && (
          <Group grow align="flex-start">
            <TextInput label={`Step ${n} task`} value={step.title ?? ""} onChange={(e) => set({ title: e.currentTarget.value })} />
            <Select label="Kind" data={TASK_KINDS} value={step.kind ?? "call"} onChange={(v) => v && set({ kind: v })} allowDeselect={false} />
            <NumberInput label="Due in hours" min={0} value={step.due_in_hours} onChange={(v) => set({ due_in_hours: Number(v) || 0 })} />
          </Group>
        )}
        {step.type === "update_contact" && <UpdateStep step={step} n={n} set={set} />}
        {step.type === "assign_owner" && <OwnerStep step={step} n={n} set={set} />}
        {step.type === "webhook" && (
          <>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput label={`Step ${n} address`} placeholder="https://…" value={step.url ?? ""} onChange={(e) => set({ url: e.currentTarget.value })} />
              <TextInput label={`Step ${n} signing secret`} description="8 characters or more; it signs each call (X-Lodestone-Signature)" value={step.secret ?? ""} onChange={(e) => set({ secret: e.currentTarget.value })} />
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <MultiSelect label="Send these fields" data={[...new Set([...WEBHOOK_FIELDS, ...(step.fields ?? [])])]} value={step.fields ?? []} onChange={(v) => set({ fields: v })} />
              <NumberInput label="Tries before giving up" min={1} max={20} value={step.max_attempts} onChange={(v) => set({ max_attempts: Number(v) || 1 })} />
            </SimpleGrid>
          </>
        )}
        {step.type === "exit" && (
          <Text size="sm" c="dimmed">
            The contact leaves the workflow here (a branch can jump past this step).
          </Text>
        )}
        <Problems messages={errors} />
      </Stack>
    </Paper>
  );
}
