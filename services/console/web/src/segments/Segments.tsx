import { ActionIcon, Alert, Anchor, Badge, Button, Card, Group, NumberInput, Paper, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { fieldErrors } from "../api";
import { automation, contacts, ok } from "../client";
import { useAuth } from "../auth";
import { CURRENCIES, contactName, stageOptions } from "../format";
import { useChange, useSegments, useSettled } from "../hooks";
import { type Condition, countText, type Draft, draftToFilter, errorsByGroup, FIELD, KIND_GROUPS, type Kind } from "./filter";

const BANDS = ["hot", "warm", "cold"].map((b) => ({ value: b, label: b }));
const ACTIVITIES = [
  { value: "page_visit", label: "page visits" },
  { value: "email_opened", label: "email opens" },
  { value: "email_clicked", label: "email clicks" },
  { value: "form_submitted", label: "form submissions" },
  { value: "call_logged", label: "calls" },
  { value: "meeting_held", label: "meetings" },
  { value: "purchase", label: "purchases" },
];
const QUICK = 10_000;
const EMPTY: Draft = { all: [{ kind: "stage", value: "" }], any: [], none: [] };

function Unit({ children }: { children: string }) {
  return (
    <Text size="xs" c="dimmed">
      {children}
    </Text>
  );
}

function ConditionRow({ condition, label, error, onChange, onRemove }: { condition: Condition; label: string; error?: string; onChange: (c: Condition) => void; onRemove: () => void }) {
  const set = (patch: Partial<Condition>) => onChange({ ...condition, ...patch });
  const value = (() => {
    switch (condition.kind) {
      case "stage":
        return <Select aria-label={`${label} value`} data={stageOptions} value={condition.value || null} onChange={(v) => set({ value: v ?? "" })} error={error} placeholder="Choose a stage" />;
      case "score_band":
        return <Select aria-label={`${label} value`} data={BANDS} value={condition.value || null} onChange={(v) => set({ value: v ?? "" })} error={error} placeholder="Choose a band" />;
      case "min_score":
        return <NumberInput aria-label={`${label} value`} value={condition.value} onChange={(v) => set({ value: String(v) })} error={error} />;
      case "activity":
        return (
          <Group gap="xs" grow wrap="nowrap">
            <NumberInput aria-label={`${label} times`} min={1} value={condition.value} onChange={(v) => set({ value: String(v) })} error={error} />
            <Select aria-label={`${label} of what`} data={ACTIVITIES} value={condition.name ?? "page_visit"} onChange={(v) => set({ name: v ?? "page_visit" })} allowDeselect={false} />
          </Group>
        );
      case "bought":
      case "bought_category":
        return (
          <Group gap="xs" grow wrap="nowrap">
            <TextInput
              aria-label={`${label} ${condition.kind === "bought" ? "product" : "category"}`}
              placeholder={condition.kind === "bought" ? "product SKU (blank: anything)" : "category, e.g. shoes"}
              value={condition.value}
              onChange={(e) => set({ value: e.currentTarget.value })}
              error={error}
            />
            <NumberInput
              aria-label={`${label} within days`}
              placeholder="any time"
              min={1}
              leftSection={<Unit>last</Unit>}
              rightSection={<Unit>days</Unit>}
              rightSectionWidth={44}
              value={condition.days ?? ""}
              onChange={(v) => set({ days: String(v) })}
            />
            {condition.kind === "bought" && (
              <NumberInput
                aria-label={`${label} orders`}
                placeholder="1"
                min={1}
                leftSection={<Unit>≥</Unit>}
                rightSection={<Unit>orders</Unit>}
                rightSectionWidth={52}
                value={condition.count ?? ""}
                onChange={(v) => set({ count: String(v) })}
              />
            )}
          </Group>
        );
      case "spent":
        return (
          <Group gap="xs" grow wrap="nowrap">
            <NumberInput aria-label={`${label} amount`} min={0} decimalScale={2} placeholder="amount" value={condition.value} onChange={(v) => set({ value: String(v) })} error={error} />
            <Select aria-label={`${label} currency`} data={CURRENCIES} searchable value={condition.name ?? "USD"} onChange={(v) => set({ name: v ?? "USD" })} allowDeselect={false} />
          </Group>
        );
      case "active_within":
      case "inactive_for":
      case "no_purchase_for":
      case "created_within":
      case "contract_ends_within":
        return <NumberInput aria-label={`${label} days`} min={0} placeholder="how many" rightSection={<Unit>days</Unit>} rightSectionWidth={44} value={condition.value} onChange={(v) => set({ value: String(v) })} error={error} />;
      case "custom":
        return (
          <Group gap="xs" grow wrap="nowrap">
            <TextInput aria-label={`${label} field`} placeholder="field, e.g. plan" value={condition.name ?? ""} onChange={(e) => set({ name: e.currentTarget.value })} error={error} />
            <TextInput aria-label={`${label} value`} placeholder="is, e.g. pro" value={condition.value} onChange={(e) => set({ value: e.currentTarget.value })} />
          </Group>
        );
      default:
        return <TextInput aria-label={`${label} value`} value={condition.value} onChange={(e) => set({ value: e.currentTarget.value })} error={error} />;
    }
  })();
  return (
    <Group align="flex-start" wrap="nowrap" data-testid="condition">
      <Select aria-label={`${label} kind`} data={KIND_GROUPS} value={condition.kind} onChange={(v) => v && onChange({ kind: v as Kind, value: "" })} allowDeselect={false} w={190} />
      <div style={{ flex: 1 }}>{value}</div>
      <ActionIcon variant="subtle" color="gray" aria-label={`Remove ${label}`} onClick={onRemove} mt={6}>
        <IconTrash size={16} />
      </ActionIcon>
    </Group>
  );
}

function Conditions({ label, conditions, errors, onChange }: { label: string; conditions: Condition[]; errors?: Record<string, string>; onChange: (c: Condition[]) => void }) {
  const shown = errors ? Object.entries(errors).filter(([f]) => !conditions.some((c) => FIELD[c.kind] === f)) : [];
  return (
    <Stack gap="xs">
      {conditions.map((c, i) => (
        <ConditionRow
          key={i}
          condition={c}
          label={`${label} condition ${i + 1}`}
          error={errors?.[FIELD[c.kind]]}
          onChange={(n) => onChange(conditions.map((x, j) => (j === i ? n : x)))}
          onRemove={() => onChange(conditions.filter((_, j) => j !== i))}
        />
      ))}
      {shown.map(([f, m]) => (
        <Text key={f} size="sm" c="red">
          {m}
        </Text>
      ))}
      <Button size="compact-sm" variant="subtle" leftSection={<IconPlus size={14} />} onClick={() => onChange([...conditions, { kind: "tag", value: "" }])} w="fit-content">
        Add a condition
      </Button>
    </Stack>
  );
}

function Groups({ kind, title, groups, errors, onChange }: { kind: "any" | "none"; title: string; groups: Condition[][]; errors: Record<string, Record<string, string>>; onChange: (g: Condition[][]) => void }) {
  return (
    <Stack gap="xs">
      <Text fw={600}>{title}</Text>
      {groups.map((g, i) => (
        <Paper key={i} withBorder p="sm" data-testid={`${kind}-group`}>
          <Group justify="space-between" mb={4}>
            <Text size="sm" c="dimmed">
              {kind === "any" ? (i === 0 ? "Either" : "or") : i === 0 ? "Not" : "nor"}
            </Text>
            <Button size="compact-xs" variant="subtle" color="gray" onClick={() => onChange(groups.filter((_, j) => j !== i))}>
              Remove
            </Button>
          </Group>
          <Conditions label={`${kind === "any" ? "Either" : "Not"} group ${i + 1}`} conditions={g} errors={errors[`${kind}.${i}`]} onChange={(c) => onChange(groups.map((x, j) => (j === i ? c : x)))} />
        </Paper>
      ))}
      <Button size="compact-sm" variant="light" leftSection={<IconPlus size={14} />} onClick={() => onChange([...groups, [{ kind: "tag", value: "" }]])} w="fit-content">
        {kind === "any" ? (groups.length ? "Add another alternative" : "Add alternatives (OR)") : groups.length ? "Add another exclusion" : "Exclude contacts (NOT)"}
      </Button>
    </Stack>
  );
}

// A saved segment's members (the first page) and the workflows that enroll from it.
function SegmentDetail({ id, name }: { id: string; name: string }) {
  const members = useQuery({ queryKey: ["segment-members", id], queryFn: () => ok(contacts.GET("/v1/segments/{segment_id}/members", { params: { path: { segment_id: id }, query: { limit: 50 } } })) });
  const workflows = useQuery({
    queryKey: ["workflows"],
    queryFn: () => ok(automation.GET("/v1/workflows")),
  });
  // A saved definition comes back as the service stored it (documented as free-form).
  const using = (workflows.data ?? []).filter((w) => {
    const trigger = w.definition.trigger as { type?: string; segment_id?: string } | undefined;
    return trigger?.type === "segment_joined" && trigger.segment_id === id;
  });
  return (
    <Card withBorder data-testid="segment-detail">
      <Stack gap="xs">
        <Title order={4}>{name}</Title>
        <Text size="sm" fw={600}>
          Members
        </Text>
        {members.error && <Text c="red">{members.error.message}</Text>}
        <Group gap="xs">
          {(members.data?.items ?? []).map((c) => (
            <Anchor key={c.id} component={Link} to={`/contacts/${c.id}`} size="sm" data-testid="segment-member">
              {contactName(c)}
            </Anchor>
          ))}
          {members.data && !members.data.items.length && (
            <Text size="sm" c="dimmed">
              Nobody yet.
            </Text>
          )}
        </Group>
        <Text size="sm" fw={600}>
          Workflows that enroll its members
        </Text>
        <Text size="sm" c="dimmed" data-testid="segment-workflows">
          {using.length ? using.map((w) => `${w.definition.name} (${w.status})`).join(", ") : "None: a workflow with the trigger “joins a segment” would."}
        </Text>
      </Stack>
    </Card>
  );
}

export function SegmentsPage() {
  const { can } = useAuth();
  const { data: segments, error } = useSegments();
  const [name, setName] = useState("");
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [open, setOpen] = useState<{ id: string; name: string } | null>(null);
  const filter = draftToFilter(draft);
  const debounced = useSettled(filter, 400);
  // A quick answer first (at a large size an estimate from a sample of the contacts, else
  // counting stops at QUICK: "10,000 or more"), then the exact count, which at a million
  // contacts takes seconds for a broad filter.
  const quick = useQuery({
    queryKey: ["segment-preview", debounced, QUICK],
    queryFn: () => ok(contacts.POST("/v1/segments/preview", { body: { filter: debounced, at_most: QUICK, estimate: true } })),
    retry: false,
  });
  const exact = useQuery({
    queryKey: ["segment-preview", debounced],
    queryFn: () => ok(contacts.POST("/v1/segments/preview", { body: { filter: debounced } })),
    enabled: quick.data !== undefined && !quick.data.exact,
    retry: false,
  });
  const preview = quick.data?.exact || quick.error ? quick : exact.data || exact.error ? exact : quick;
  const save = useChange(() => ok(contacts.POST("/v1/segments", { body: { name, filter } })), [["segments"]], "Segment saved");
  const fields = fieldErrors(preview.error, save.error);
  const errors = errorsByGroup(fields);
  return (
    <Stack>
      <Title order={2}>Segments</Title>
      <Text c="dimmed" maw={760}>
        A segment is a list of contacts that keeps itself up to date: a contact joins the moment it matches and leaves the moment it stops — also when
        only time passes (“no activity for 30 days”, “contract ends within 60 days”). Workflows and campaigns send to segments.
      </Text>
      {can("segments:write") && (
        <Card withBorder>
          <Stack>
            <Title order={4}>New segment</Title>
            <TextInput label="Name" placeholder="e.g. Engaged leads at target accounts" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fields.name} maw={480} />
            <Stack gap="lg" maw={900}>
              <Stack gap="xs">
                <Text fw={600}>Contacts who match all of</Text>
                <Conditions label="All" conditions={draft.all} errors={errors.all} onChange={(all) => setDraft({ ...draft, all })} />
              </Stack>
              <Groups kind="any" title="…and at least one of" groups={draft.any} errors={errors} onChange={(any) => setDraft({ ...draft, any })} />
              <Groups kind="none" title="…and none of" groups={draft.none} errors={errors} onChange={(none) => setDraft({ ...draft, none })} />
            </Stack>
            <Group justify="space-between" align="flex-end">
              <Stack gap={2}>
                <Text size="sm" data-testid="live-count">
                  {preview.error
                    ? "Fix the condition marked in red to count its contacts"
                    : preview.data
                      ? countText(preview.data)
                      : "Counting…"}
                </Text>
                {preview.data && preview.data.sample.length > 0 && (
                  <Text size="xs" c="dimmed">
                    e.g. {preview.data.sample.map(contactName).join(", ")}
                  </Text>
                )}
              </Stack>
              <Button disabled={!name.trim()} loading={save.isPending} onClick={() => save.mutate(undefined, { onSuccess: () => { setName(""); setDraft(EMPTY); } })}>
                Save segment
              </Button>
            </Group>
            {save.error && !Object.keys(fields).length && <Alert color="red">{save.error.message}</Alert>}
          </Stack>
        </Card>
      )}
      {error && <Text c="red">{error.message}</Text>}
      <Table.ScrollContainer minWidth={420}>
        <Table striped aria-label="Segments">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Segment</Table.Th>
              <Table.Th>Members</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(segments ?? []).map((s) => (
              <Table.Tr key={s.id} data-testid="segment-row">
                <Table.Td>
                  <Anchor component="button" onClick={() => setOpen({ id: s.id, name: s.name })}>
                    {s.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light">{s.members.toLocaleString("en-US")}</Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {open && <SegmentDetail id={open.id} name={open.name} />}
    </Stack>
  );
}
