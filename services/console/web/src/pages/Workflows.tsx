import { ActionIcon, Alert, Badge, Button, Card, Group, List, MultiSelect, NumberInput, Paper, Select, SimpleGrid, Stack, Table, Text, Textarea, TextInput, Title } from "@mantine/core";
import { IconTrash } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError, svc } from "../api";
import { useAuth } from "../auth";
import { interactionLabel, stageOptions } from "../format";
import { useChange, useReps, useSegments, useSettled } from "../hooks";
import { NEW_TRIGGER, newStep, STEPS, type StepDraft, type StepKind, stepErrors, toDefinition, TRIGGERS, type TriggerDraft, type TriggerKind } from "../workflows/definition";

interface Workflow {
  id: string;
  status: string;
  version: number;
  definition: { name: string; trigger: { type: string }; steps: unknown[] };
}
interface Walk {
  path: { step_id: string; type: string; what: string }[];
  outcome: string;
  reason: string;
}

const ACTIVITIES = ["page_visit", "email_opened", "email_clicked", "form_submitted", "call_logged", "meeting_held", "purchase"].map((t) => ({ value: t, label: interactionLabel(t) }));
const TASK_KINDS = ["call", "meeting", "follow_up", "email"].map((k) => ({ value: k, label: k.replace("_", " ") }));

// What the service said is wrong here, where it is wrong.
function Problems({ messages }: { messages: string[] }) {
  return (
    <>
      {messages.map((m) => (
        <Text key={m} c="red" size="sm">
          {m}
        </Text>
      ))}
    </>
  );
}

function TriggerEditor({ trigger, onChange, errors }: { trigger: TriggerDraft; onChange: (t: TriggerDraft) => void; errors: string[] }) {
  const { data: segments } = useSegments();
  const { data: models } = useQuery({ queryKey: ["scoring-models"], queryFn: () => svc.get<{ id: string; definition: { name: string } }[]>("scoring", "/scoring-models") });
  const set = (patch: Partial<TriggerDraft>) => onChange({ ...trigger, ...patch });
  return (
    <Paper withBorder p="sm">
      <Stack gap="xs">
        <Text fw={600}>When</Text>
        <Select aria-label="Trigger" data={TRIGGERS} value={trigger.type} onChange={(v) => v && set({ type: v as TriggerKind })} allowDeselect={false} />
        {trigger.type === "interaction_count" && (
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <Select label="Does" data={ACTIVITIES} value={trigger.interaction_type} onChange={(v) => v && set({ interaction_type: v })} allowDeselect={false} />
            <NumberInput label="Times" min={1} value={trigger.count} onChange={(v) => set({ count: Number(v) || 0 })} />
            <NumberInput label="Within days" min={1} value={trigger.within_days} onChange={(v) => set({ within_days: Number(v) || 0 })} />
            <TextInput label="Page address contains" placeholder="e.g. /pricing (optional)" value={trigger.url_contains} onChange={(e) => set({ url_contains: e.currentTarget.value })} />
          </SimpleGrid>
        )}
        {trigger.type === "stage_changed" && <Select label="To" data={stageOptions} value={trigger.to} onChange={(v) => v && set({ to: v })} allowDeselect={false} />}
        {trigger.type === "segment_joined" && (
          <Select label="The segment" data={(segments ?? []).map((s) => ({ value: s.id, label: s.name }))} value={trigger.segment_id || null} onChange={(v) => v && set({ segment_id: v })} allowDeselect={false} searchable />
        )}
        {trigger.type === "lead_qualified" && (
          <Select label="By the scoring model" data={(models ?? []).map((m) => ({ value: m.id, label: m.definition.name }))} value={trigger.model_id} onChange={(v) => v && set({ model_id: v })} allowDeselect={false} />
        )}
        <Problems messages={errors} />
      </Stack>
    </Paper>
  );
}

function StepEditor({ step, index, onChange, onRemove, errors }: { step: StepDraft; index: number; onChange: (s: StepDraft) => void; onRemove: () => void; errors: string[] }) {
  const { data: reps } = useReps();
  const set = (patch: Partial<StepDraft>) => onChange({ ...step, ...patch });
  const label = STEPS.find((s) => s.value === step.type)?.label ?? step.type;
  const n = index + 1;
  return (
    <Paper withBorder p="sm" data-testid="step">
      <Stack gap="xs">
        <Group justify="space-between">
          <Text fw={600}>
            Then {n}. {label}
          </Text>
          <ActionIcon variant="subtle" color="gray" aria-label={`Remove step ${n}`} onClick={onRemove}>
            <IconTrash size={16} />
          </ActionIcon>
        </Group>
        {step.type === "send_email" && (
          <>
            <TextInput label={`Step ${n} subject`} value={step.subject} onChange={(e) => set({ subject: e.currentTarget.value })} />
            <Textarea label={`Step ${n} text`} autosize minRows={3} value={step.body} onChange={(e) => set({ body: e.currentTarget.value })} description="{{first_name}} and other fields fill in per person" />
          </>
        )}
        {step.type === "wait" && <NumberInput label={`Step ${n} days`} min={0} value={step.days} onChange={(v) => set({ days: Number(v) || 0 })} w={160} />}
        {step.type === "create_task" && (
          <Group grow align="flex-start">
            <TextInput label={`Step ${n} task`} value={step.title} onChange={(e) => set({ title: e.currentTarget.value })} />
            <Select label="Kind" data={TASK_KINDS} value={step.kind} onChange={(v) => v && set({ kind: v })} allowDeselect={false} />
            <NumberInput label="Due in hours" min={0} value={step.due_in_hours} onChange={(v) => set({ due_in_hours: Number(v) || 0 })} />
          </Group>
        )}
        {step.type === "assign_owner" && (
          <MultiSelect
            label={`Step ${n} reps`}
            placeholder="Every available rep"
            description="In turn, by their weights; reps away are skipped (the Reps page)"
            data={(reps ?? []).map((r) => ({ value: r.id, label: (r.name as string) || r.id }))}
            value={step.reps ?? []}
            onChange={(v) => set({ reps: v })}
            searchable
          />
        )}
        {step.type === "if" && (
          <Group grow>
            <Select label="Field" data={["lifecycle_stage", "grade", "score_band", "country", "company"]} value={step.field} onChange={(v) => v && set({ field: v })} allowDeselect={false} />
            <TextInput label="Is" value={step.value} onChange={(e) => set({ value: e.currentTarget.value })} description="else the contact leaves the workflow" />
          </Group>
        )}
        <Problems messages={errors} />
      </Stack>
    </Paper>
  );
}

export function WorkflowsPage() {
  const { can } = useAuth();
  const list = useQuery({ queryKey: ["workflows"], queryFn: () => svc.get<Workflow[]>("automation", "/workflows"), refetchInterval: 10_000 });
  const [name, setName] = useState("");
  const [trigger, setTrigger] = useState<TriggerDraft>(NEW_TRIGGER);
  const [steps, setSteps] = useState<StepDraft[]>([]);
  const [adding, setAdding] = useState<string | null>(null);
  const [email, setEmail] = useState("");
  const [walk, setWalk] = useState<Walk | null>(null);
  const [walkError, setWalkError] = useState("");
  const definition = toDefinition(name || "Untitled", trigger, steps);
  const checking = useSettled(definition, 300);
  const check = useQuery({
    queryKey: ["validate-workflow", checking],
    queryFn: () => svc.post("automation", "/workflows/validate", checking),
    enabled: (checking.steps as unknown[]).length > 0,
    retry: false,
  });
  const save = useChange(() => svc.post<Workflow>("automation", "/workflows", definition), [["workflows"]], "Workflow saved as a draft");
  const change = useChange(
    ({ id, verb }: { id: string; verb: "activate" | "pause" | "archive" }) => svc.post("automation", `/workflows/${id}/${verb}`, {}),
    [["workflows"]],
    "Workflow changed",
  );
  const errors = stepErrors({ ...(check.error instanceof ApiError ? check.error.fields : {}), ...(save.error instanceof ApiError ? save.error.fields : {}) });
  const dryRun = async () => {
    setWalkError("");
    setWalk(null);
    try {
      const found = await svc.get<{ items: { id: string }[] }>("contacts", "/contacts", { email: email.trim() });
      if (!found.items.length) throw new Error(`No contact with the email ${email.trim()}`);
      setWalk(await svc.post<Walk>("automation", "/workflows/dry-run", { definition, contact_id: found.items[0].id }));
    } catch (e) {
      setWalkError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <Stack>
      <Title order={2}>Workflows</Title>
      <Text c="dimmed" maw={760}>
        A workflow enrolls a contact the moment its trigger happens and takes them through its steps; each email and task happens once per person.
      </Text>
      {can("workflows:write") && (
        <Card withBorder>
          <Stack maw={900}>
            <Title order={4}>New workflow</Title>
            <TextInput label="Name" placeholder="e.g. Pricing follow-up" value={name} onChange={(e) => setName(e.currentTarget.value)} maw={480} />
            <TriggerEditor trigger={trigger} onChange={setTrigger} errors={errors.trigger} />
            {steps.map((s, i) => (
              <StepEditor key={s.id} step={s} index={i} errors={errors.steps[i] ?? []} onChange={(n) => setSteps(steps.map((x, j) => (j === i ? n : x)))} onRemove={() => setSteps(steps.filter((_, j) => j !== i))} />
            ))}
            <Group>
              <Select aria-label="Add a step" placeholder="Add a step…" data={STEPS} value={adding} onChange={(v) => { if (v) setSteps([...steps, newStep(v as StepKind, steps)]); setAdding(null); }} w={280} />
            </Group>
            {errors.other.map((e) => (
              <Alert key={e} color="red">
                {e}
              </Alert>
            ))}
            <Paper withBorder p="sm">
              <Stack gap="xs">
                <Text fw={600}>Dry run</Text>
                <Group align="flex-end">
                  <TextInput label="On the contact" placeholder="their email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} w={320} error={walkError} />
                  <Button variant="light" onClick={dryRun} disabled={!email.trim() || !steps.length}>
                    Dry run
                  </Button>
                </Group>
                {walk && (
                  <Stack gap={4} data-testid="dry-run">
                    <List size="sm">
                      {walk.path.map((p, i) => (
                        <List.Item key={i}>{p.what}</List.Item>
                      ))}
                    </List>
                    <Text size="sm" c="dimmed">
                      Then: {walk.outcome.replace("_", " ")} ({walk.reason})
                    </Text>
                  </Stack>
                )}
              </Stack>
            </Paper>
            <Group justify="flex-end">
              <Button disabled={!name.trim() || !steps.length} loading={save.isPending} onClick={() => save.mutate(undefined, { onSuccess: () => { setName(""); setSteps([]); setTrigger(NEW_TRIGGER); setWalk(null); } })}>
                Save as draft
              </Button>
            </Group>
          </Stack>
        </Card>
      )}
      {list.error && <Text c="red">{list.error.message}</Text>}
      <Table.ScrollContainer minWidth={520}>
        <Table striped aria-label="Workflows">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Workflow</Table.Th>
              <Table.Th>Steps</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(list.data ?? []).map((w) => (
              <Table.Tr key={w.id} data-testid="workflow-row">
                <Table.Td>{w.definition.name}</Table.Td>
                <Table.Td>{w.definition.steps.length}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={w.status === "active" ? "teal" : "gray"}>
                    {w.status}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  {can("workflows:write") && w.status !== "archived" && (
                    <Group gap="xs" wrap="nowrap">
                      {w.status === "active" ? (
                        <Button size="compact-xs" variant="light" onClick={() => change.mutate({ id: w.id, verb: "pause" })} aria-label={`Pause ${w.definition.name}`}>
                          Pause
                        </Button>
                      ) : (
                        <Button size="compact-xs" onClick={() => change.mutate({ id: w.id, verb: "activate" })} aria-label={`Activate ${w.definition.name}`}>
                          Activate
                        </Button>
                      )}
                      {w.status !== "active" && (
                        <Button size="compact-xs" variant="subtle" color="gray" onClick={() => change.mutate({ id: w.id, verb: "archive" })} aria-label={`Archive ${w.definition.name}`}>
                          Archive
                        </Button>
                      )}
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
